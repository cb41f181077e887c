"""Layouts people actually have: encodings, title and footer rows, two-row headers, English
headers, several sheets per workbook, the mapping file, organizations, vacancies; and the
documentation of every code and header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loaders.spreadsheet import CODES, apply_import, parse_mapping, plan_import
from loaders.spreadsheet.headers import SHEET_KINDS
from loaders.spreadsheet.mapping import Mapping
from loaders.spreadsheet.sources import RawSheet
from loaders.spreadsheet.tables import make_table
from registry.model import Holding, Organization, OrgKind, Person, Place, Post
from registry.store import GraphStore, open_store
from registry.testing import sample_records
from tests.loaders.fixtures.spreadsheets import DAY, write_text, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
V1, G111 = "451225100201", "G451225-001-01-01"
PLACES = "区划代码,村名,户数\n451225100203,北门村,150\n451225100203-001,北门屯,150\n"


@pytest.fixture
def sample() -> GraphStore:
    store = open_store("memory://")
    store.apply(sample_records(), actor="test")
    return store


def _ok(store: GraphStore, files: list[Path], mapping: Path | Mapping | None = None) -> None:
    plan = plan_import(store, files, mapping=mapping, effective=DAY)
    assert plan.issues == [], [str(i) for i in plan.issues]
    apply_import(store, plan, actor="test")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(sample: GraphStore, tmp_path: Path, encoding: str) -> None:
    text = PLACES.replace(",", "\t") if encoding == "utf-16" else PLACES  # Excel "Unicode text"
    _ok(sample, [write_text(tmp_path / "区划.txt", text, encoding)])
    assert sample.get(Place, "451225100203-001").name == "北门屯"  # type: ignore[union-attr]


def test_gb18030_only_characters(sample: GraphStore, tmp_path: Path) -> None:
    # 𬌗 is outside GBK: only GB18030 (four bytes) has it.
    _ok(sample, [write_text(tmp_path / "区划.csv", PLACES.replace("北门屯", "𬌗屯"), "gb18030")])
    assert sample.get(Place, "451225100203-001").name == "𬌗屯"  # type: ignore[union-attr]


def test_declared_encoding_wins(sample: GraphStore, tmp_path: Path) -> None:
    text = "code,name,level\n451225100203,北門村,village\n"  # traditional characters
    path = write_text(tmp_path / "區劃.csv", text, "big5")
    guessed = plan_import(sample, [path], effective=DAY)
    assert guessed.issues == []  # big5 bytes are valid GB18030 too: read, but garbled
    assert guessed.records[0].name != "北門村"  # type: ignore[union-attr]
    _ok(sample, [path], parse_mapping('encoding = "big5"\n', "map.toml"))
    assert sample.get(Place, "451225100203").name == "北門村"  # type: ignore[union-attr]
    badly = parse_mapping('encoding = "utf-8"\n', "map.toml")
    plan = plan_import(sample, [path], mapping=badly, effective=DAY)
    assert [(i.code, i.file) for i in plan.issues] == [("ENCODING", "區劃.csv")]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiters(sample: GraphStore, tmp_path: Path, delimiter: str) -> None:
    _ok(sample, [write_text(tmp_path / "区划.csv", PLACES.replace(",", delimiter))])
    assert sample.get(Place, "451225100203").households == 150  # type: ignore[union-attr]


def test_title_footer_and_blank_rows(sample: GraphStore, tmp_path: Path) -> None:
    text = (
        "罗城县东门镇村名册（2026年）,,\n"
        "填报单位：东门镇,,\n"
        "\n"
        "区划代码,村名,户数\n"
        "451225100203,北门村,150\n"
        ",,\n"
        "451225100203-001,北门屯,150\n"
        "合计,,300\n"
        "填表人：张三,,\n"
        ",,\n"
    )
    plan = plan_import(sample, [write_text(tmp_path / "区划.csv", text)], effective=DAY)
    assert plan.issues == []
    assert [(s.header_rows, s.rows) for s in plan.sheets] == [((4,), 2)]


def test_two_row_header_in_a_csv(sample: GraphStore, tmp_path: Path) -> None:
    text = (
        "网格编码,网格员,,岗位,任职\n"
        ",姓名,联系电话,,日期\n"
        f"{G111},韦小红,13807781234,网格员,2024-01-01\n"
    )
    plan = plan_import(sample, [write_text(tmp_path / "名册.csv", text)], effective=DAY)
    assert plan.issues == [] and plan.diff.empty
    assert plan.sheets[0].header_rows == (1, 2)


def test_english_headers_and_several_sheets(sample: GraphStore, tmp_path: Path) -> None:
    book = write_xlsx(
        tmp_path / "county.xlsx",
        {
            "places": [
                ["code", "name", "level", "households"],
                ["451225100203", "North", "village", 9],
            ],
            "Grids": [
                ["Grid Code", "Grid Name", "Tier", "Parent", "Covers"],
                ["G9", "North grid", 1, None, "451225100203"],
            ],
            "empty": [],
            "staff": [
                ["Name", "Phone", "Role", "Grid", "Start Date", "End Date"],
                ["Wei", "13800001111", "grid_worker", "G9", "2025-01-01", None],
            ],
        },
    )
    plan = plan_import(sample, [book], effective=DAY)
    assert plan.issues == []
    assert [(s.sheet, s.kind) for s in plan.sheets] == [
        ("places", "places"),
        ("Grids", "grids"),
        ("staff", "staff"),
    ]
    apply_import(sample, plan)
    assert sample.get(Post, "G9-grid_worker") is not None


def test_merged_cells_fill_data_rows(sample: GraphStore, tmp_path: Path) -> None:
    # A village code merged down two rows belongs to both.
    book = write_xlsx(
        tmp_path / "名册.xlsx",
        {
            "村级岗位": [
                ["区划代码", "姓名", "岗位", "任职日期"],
                [V1, "吴丽", "综治专员", "2025-01-01"],
                [None, "潘明", "法律明白人", "2025-01-01"],
            ]
        },
        {"村级岗位": ["A2:A3"]},
    )
    _ok(sample, [book])
    assert [h.post for h in sample.scan(Holding) if h.valid_from == DAY.replace(2025, 1, 1)] == [
        f"{V1}-governance_officer",
        f"{V1}-law_literate",
    ]


def test_mapping_file_for_another_layout(sample: GraphStore, tmp_path: Path) -> None:
    book = write_xlsx(
        tmp_path / "花名册2026.xlsx",
        {
            "填表说明": [["请按要求填写"], ["每人一行"]],
            "网格员": [
                ["东门镇网格员花名册"],
                ["序号", "所在网格", "姓 名", "手机", "类别", "备注"],
                [1, G111, "韦小红", 13807781234, "专职网格员", "组长"],
            ],
        },
    )
    toml = (
        '[roles]\n"专职网格员" = "grid_worker"\n\n'
        '[[sheets]]\nfile = "花名册*.xlsx"\nsheet = "填表说明"\nkind = "ignore"\n\n'
        '[[sheets]]\nfile = "花名册*.xlsx"\nsheet = "网格员"\nkind = "staff"\nheader_row = 2\n'
        'strict = true\n[sheets.columns]\n"序号" = ""\n"所在网格" = "grid"\n"手机" = "phone"\n'
        '"类别" = "role"\n"备注" = "ignore"\n'
    )
    mapping = write_text(tmp_path / "映射.toml", toml)
    plan = plan_import(sample, [book], mapping=mapping, effective=DAY)
    assert plan.issues == [] and plan.diff.empty  # the stored term, recognised
    assert [(s.sheet, s.header_rows) for s in plan.sheets] == [("网格员", (2,))]
    as_json = write_text(
        tmp_path / "映射.json",
        '{"roles": {"专职网格员": "grid_worker"}, "sheets": [{"file": "*.xlsx", "sheet": "填表说明",'
        ' "kind": "ignore"}, {"file": "*.xlsx", "columns": {"所在网格": "grid", "手机": "phone",'
        ' "类别": "role"}}]}',
    )
    assert plan_import(sample, [book], mapping=as_json, effective=DAY).diff.empty


@pytest.mark.parametrize(
    "text",
    [
        "[[sheets]\n",  # not TOML
        'colour = "red"\n',  # unknown key
        '[[sheets]]\nfile = "*.csv"\nkind = "staff"\n[sheets.columns]\n"手机" = "mobile"\n',
        "[[sheets]]\nheader_rows = 3\n",
        "[[sheets]]\nheader_row = 0\n",
        'encoding = "klingon"\n',
        'crs = "BD09"\n',
        '[roles]\n"x" = 1\n',
    ],
)
def test_bad_mapping_files(text: str) -> None:
    found = parse_mapping(text, "map.toml")
    assert [i.code for i in found.issues] == ["BAD_MAPPING"]
    assert found.issues[0].message_zh and found.issues[0].message_en


def test_header_row_and_header_rows_from_the_mapping() -> None:
    raw = RawSheet(
        "a.csv",
        None,
        [(1, ["姓名", "岗位"]), (2, ["姓名", "岗位", "网格编码"]), (3, ["甲", "网格员", "G1"])],
    )
    table, _ = make_table(raw, Mapping().rule_for("a.csv", None))
    assert table is not None and table.header_rows == (1, 2)  # read as a two-row header
    rule = parse_mapping("[[sheets]]\nheader_row = 2\n", "m.toml").rule_for("a.csv", None)
    table, _ = make_table(raw, rule)
    assert table is not None and table.header_rows == (2,) and len(table.rows) == 1
    rule = parse_mapping("[[sheets]]\nheader_rows = 1\n", "m.toml").rule_for("a.csv", None)
    table, problems = make_table(raw, rule)
    assert table is None and [p.code for p in problems] == ["MISSING_COLUMN"]  # row 1 alone
    rule = parse_mapping('[[sheets]]\nheader_row = 3\nkind = "staff"\n', "m.toml").rule_for(
        "a.csv", None
    )
    table, problems = make_table(raw, rule)
    assert table is None and [(p.code, p.row) for p in problems] == [("MISSING_COLUMN", 3)] * 2


def test_organizations_and_seats_at_them(sample: GraphStore, tmp_path: Path) -> None:
    orgs = write_text(
        tmp_path / "机构.csv",
        "机构代码,机构名称,机构类型,所在区划,上级机构,联系电话\n"
        "451225100-ps,东门派出所,派出所,451225100000,,0778-7212110\n"
        "451225100201-centre,东门村综治中心,综治中心,451225100201,451225100-centre,12345\n",
    )
    staff = write_text(
        tmp_path / "名册.csv",
        "姓名,联系电话,岗位,机构代码,任职日期\n莫强,13977001234,警务助理,451225100-ps,2025-01-01\n",
    )
    _ok(sample, [orgs, staff])
    centre = sample.get(Organization, "451225100201-centre")
    assert centre is not None and centre.kind is OrgKind.CENTRE and centre.level == "village"
    assert sample.get(Post, "451225100-ps-police_assistant") is not None


def test_a_vacancy_row_ends_the_term_and_keeps_the_seat(sample: GraphStore, tmp_path: Path) -> None:
    staff = write_text(
        tmp_path / "名册.csv", f"姓名,岗位,区划代码\n空缺,警务助理,{V1}\n,法律明白人,{V1}\n"
    )
    plan = plan_import(sample, [staff], effective=DAY)
    assert plan.issues == []
    assert plan.diff.ended == [("holding", "H000002")]
    assert plan.diff.counts()["post"] == {"added": 0, "changed": 0, "ended": 0, "unchanged": 2}
    apply_import(sample, plan)
    assert str(sample.get(Holding, "H000002").valid_to) == "2026-10-31"  # type: ignore[union-attr]


def test_a_new_phone_is_a_change_not_a_new_person(sample: GraphStore, tmp_path: Path) -> None:
    staff = write_text(
        tmp_path / "名册.csv",
        f"姓名,联系电话,岗位,网格编码,任职日期\n韦小红,13900009999,网格员,{G111},2024-01-01\n",
    )
    plan = plan_import(sample, [staff], effective=DAY)
    assert plan.issues == [] and plan.diff.added == [] and plan.diff.ended == []
    assert [(c.kind, c.key, c.fields) for c in plan.diff.changed] == [
        ("person", "P000001", ("phone",))
    ]
    apply_import(sample, plan)
    assert sample.get(Person, "P000001").phone == "13900009999"  # type: ignore[union-attr]


def test_a_successor_without_a_date_starts_on_the_effective_day(
    sample: GraphStore, tmp_path: Path
) -> None:
    staff = write_text(tmp_path / "名册.csv", f"姓名,岗位,区划代码\n吴丽,警务助理,{V1}\n")
    _ok(sample, [staff])
    [new] = [
        h for h in sample.referrers(Holding, "post", f"{V1}-police_assistant") if h.id != "H000002"
    ]
    assert new.valid_from == DAY
    assert str(sample.get(Holding, "H000002").valid_to) == "2026-10-31"  # type: ignore[union-attr]
    assert plan_import(sample, [staff], effective=DAY.replace(day=20)).diff.empty


# --- the documentation ----------------------------------------------------------------------


def test_every_code_is_documented() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \|", DOC, flags=re.M)
    assert sorted(rows) == sorted(CODES)


def test_every_header_name_is_documented() -> None:
    for kind in SHEET_KINDS.values():
        assert f"#### `{kind.name}`" in DOC
        for f in kind.fields:
            for name in (f.header, *f.aliases):
                assert name in DOC, (kind.name, f.name, name)


def test_every_option_is_documented() -> None:
    from gridreg_cli import app

    [command] = [c for c in app.registered_commands if c.name == "import"]
    assert command.callback is not None
    for option in (
        "--store",
        "--mapping",
        "--dry-run",
        "--json",
        "--effective",
        "--crs",
        "--reason",
    ):
        assert f"`{option}" in DOC, option
