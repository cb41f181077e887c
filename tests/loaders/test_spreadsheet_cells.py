"""Cell values as people type them (loaders.spreadsheet.cells)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

import pytest

from loaders.spreadsheet.cells import (
    CellError,
    clean_text,
    is_blank,
    parse_code,
    parse_count,
    parse_date,
    parse_key,
    parse_level,
    parse_phone,
    parse_text,
    parse_tier,
    split_list,
)
from loaders.spreadsheet.rows import parse_table
from loaders.spreadsheet.tables import Table
from registry.codes import Level

V1 = "451225100201"


def _code(fn: Any, value: Any) -> str:
    with pytest.raises(CellError) as info:
        fn(value)
    assert info.value.zh and info.value.en
    return info.value.code


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("  东门村  ", "东门村"),
        ("东门　村", "东门 村"),  # a full-width space
        ("ＡＢＣ１２３", "ABC123"),
        ("大塘屯\t\n 二组", "大塘屯 二组"),
        (None, ""),
        (320.0, "320"),
        (datetime(2024, 3, 1), "2024-03-01"),
    ],
)
def test_clean_text(raw: Any, text: str) -> None:
    assert clean_text(raw) == text


@pytest.mark.parametrize(
    "raw",
    [
        V1,
        f" {V1} ",
        int(V1),
        float(V1),
        f"{V1}.0",
        "４５１２２５１００２０１",
        f"'{V1}",
        "4512 2510 0201",
    ],
)
def test_codes_typed_any_way(raw: Any) -> None:
    assert parse_code(raw) == V1


def test_hamlet_ids() -> None:
    assert parse_code(f"{V1}-003") == f"{V1}-003"
    assert parse_code(f"{V1}－003") == f"{V1}-003"  # a full-width dash


@pytest.mark.parametrize(
    "raw",
    [
        45122510020,
        "45122510020",
        "451225",
        451225.0,
        "4.51225E+11",
        "4.51225100201e11",
        f"{V1}-1",
        f"{V1}-01",
    ],
)
def test_codes_that_lost_digits_are_reported_not_guessed(raw: Any) -> None:
    assert _code(parse_code, raw) == "CODE_LOST_ZEROS"


@pytest.mark.parametrize(
    "raw",
    [
        "45122510020X",
        "4512251002011",
        "451225000201",
        "001225100201",
        4512251002.5,
        f"{V1}-0001",
        "东门村",
    ],
)
def test_malformed_codes(raw: Any) -> None:
    assert _code(parse_code, raw) == "BAD_CODE"


def test_keys_lose_spaces_and_number_formatting() -> None:
    assert parse_key(" G451225 - 001 ") == "G451225-001"
    assert parse_key(1001.0) == "1001"
    assert parse_key("1001.0") == "1001"


@pytest.mark.parametrize(
    "raw",
    [
        "2021-03-01",
        "2021-3-1",
        "2021/3/1",
        "2021.3.1",
        "2021.03.01",
        "2021年3月1日",
        "2021 年 3 月 1 日",
        "２０２１－０３－０１",
        "20210301",
        20210301,
        "2021-03-01 00:00:00",
        "2021-03-01T08:30",
        44256,  # the Excel serial number of 2021-03-01
        44256.5,
        "44256",
        datetime(2021, 3, 1, 9, 0),
        date(2021, 3, 1),
    ],
)
def test_dates_typed_any_way(raw: Any) -> None:
    assert parse_date(raw) == date(2021, 3, 1)


@pytest.mark.parametrize(
    "raw", ["2021-02-30", "2021-13-01", "21/3/1", "3/1/2021", "2021年3月", "去年", 2021, 12, "x"]
)
def test_bad_dates(raw: Any) -> None:
    assert _code(parse_date, raw) == "BAD_DATE"


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13807781234", "13807781234"),
        (13807781234, "13807781234"),
        (13807781234.0, "13807781234"),
        ("138 0778 1234", "13807781234"),
        ("138-0778-1234", "13807781234"),
        ("+86 138 0778 1234", "13807781234"),
        ("８６１３８０７７８１２３４", "13807781234"),
        ("0778-1234567", "0778-1234567"),
        ("07781234567", "07781234567"),
        ("(0778)1234567", "0778-1234567"),
        ("010-12345678", "010-12345678"),
    ],
)
def test_phone_numbers(raw: Any, phone: str) -> None:
    assert parse_phone(raw) == phone


@pytest.mark.parametrize(
    "raw",
    [
        "1380778",
        "12345678901",
        "23807781234",
        "138077812345",
        "0778",
        "电话",
        "13807781234、13907781111",
    ],
)
def test_malformed_phone_numbers(raw: Any) -> None:
    assert _code(parse_phone, raw) == "PHONE_MALFORMED"


def test_a_landline_that_lost_its_zero_is_pointed_out() -> None:
    with pytest.raises(CellError) as info:
        parse_phone(7781234567)
    assert "leading 0" in info.value.en and "0已丢失" in info.value.zh


@pytest.mark.parametrize(
    ("raw", "tier"),
    [
        (1, 1),
        ("2", 2),
        ("一级", 1),
        ("二级网格", 2),
        ("第三级", 3),
        ("三级网格", 3),
        ("微网格", 3),
        ("末端防处单元", 4),
        ("四级", 4),
        (3.0, 3),
    ],
)
def test_tiers(raw: Any, tier: int) -> None:
    assert parse_tier(raw) == tier


@pytest.mark.parametrize("raw", [0, 5, "五级", "顶级", "1.5"])
def test_bad_tiers(raw: Any) -> None:
    assert _code(parse_tier, raw) == "BAD_NUMBER"


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("省", Level.PROVINCE),
        ("自治区", Level.PROVINCE),
        ("市", Level.PREFECTURE),
        ("县", Level.COUNTY),
        ("自治县", Level.COUNTY),
        ("镇", Level.TOWNSHIP),
        ("街道", Level.TOWNSHIP),
        ("村", Level.VILLAGE),
        ("社区", Level.VILLAGE),
        ("屯", Level.HAMLET),
        ("村民小组", Level.HAMLET),
        ("Village", Level.VILLAGE),
    ],
)
def test_levels(raw: str, level: Level) -> None:
    assert parse_level(raw) is level


@pytest.mark.parametrize(
    ("raw", "n"),
    [(320, 320), (320.0, 320), ("1,234", 1234), ("210户", 210), ("３２０", 320), ("0", 0)],
)
def test_counts(raw: Any, n: int) -> None:
    assert parse_count(raw) == n


@pytest.mark.parametrize("raw", [-1, 2.5, "很多", "约300", "-3"])
def test_bad_counts(raw: Any) -> None:
    assert _code(parse_count, raw) == "BAD_NUMBER"


def test_lists() -> None:
    assert split_list(f"{V1}-001、{V1}-002，{V1}-003;{V1}-004 {V1}-005") == [
        f"{V1}-00{i}" for i in range(1, 6)
    ]
    assert split_list(float(V1)) == [V1]


# --- the fast paths give what the full rules give ----------------------------------------------

_WHITE = re.compile(r"\s+")


def _clean_slowly(text: str) -> str:
    return _WHITE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _key_slowly(text: str) -> str:
    key = _WHITE.sub("", _clean_slowly(text)).lstrip("'")
    return key[:-2] if key.endswith(".0") and key[:-2].isdigit() else key


def test_fast_paths_agree_with_the_full_rules_on_every_basic_plane_character() -> None:
    """clean_text, is_blank and parse_key skip NFKC and the white-space rules for text that
    needs neither; over every character of the basic plane, alone and among others, they give
    exactly what the full rules give."""
    for point in range(0x10000):
        if 0xD800 <= point < 0xE000:
            continue
        c = chr(point)
        for text in (c, f"a{c}b", f" {c}", f"{c} ", f"中{c}{c}文", f"{c}\u3000", f"'{c}.0"):
            assert clean_text(text) == _clean_slowly(text), repr(text)
            assert is_blank(text) == (_clean_slowly(text) == ""), repr(text)
            assert parse_key(text) == _key_slowly(text), repr(text)


@pytest.mark.parametrize(
    "raw", ["13807781234", "12807781234", "1380778123", "138077812345", "１３８０７７８１２３４"]
)
def test_the_plain_mobile_fast_path_agrees_with_the_full_rules(raw: str) -> None:
    text = _WHITE.sub("", _clean_slowly(raw))
    full = re.fullmatch(r"(?:\+?86)?(1[3-9]\d{9})", text)
    if full is None:
        assert _code(parse_phone, raw) == "PHONE_MALFORMED"
    else:
        assert parse_phone(raw) == full.group(1)


def test_a_remembered_bad_cell_is_reported_at_every_row() -> None:
    """Cells are parsed once per distinct text in a column; a bad one is still an issue at
    each row that holds it, with that row's number and column."""
    table = Table("s.csv", None, "staff", (1,), {"name": (0, "姓名"), "phone": (1, "电话")})
    table.rows = [(2, ["甲", "123"]), (3, ["乙", "13807781234"]), (4, ["丙", "123"])]
    rows = parse_table(table, {"name": parse_text, "phone": parse_phone}, ())
    found = [(i.code, i.row, i.column) for r in rows for i in r.issues]
    assert found == [("PHONE_MALFORMED", 2, "电话"), ("PHONE_MALFORMED", 4, "电话")]
    assert [r.values["phone"] for r in rows] == [None, "13807781234", None]
    assert rows[0].origin.row == 2 and rows[2].origin.row == 4
