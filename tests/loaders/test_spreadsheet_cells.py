"""Cell values as people type them (loaders.spreadsheet.cells)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from loaders.spreadsheet.cells import (
    CellError,
    clean_text,
    parse_code,
    parse_count,
    parse_date,
    parse_key,
    parse_level,
    parse_phone,
    parse_tier,
    split_list,
)
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
