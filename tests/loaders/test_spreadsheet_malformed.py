"""Malformed inputs: each case gives files, and the exact issues expected as (code, file, sheet,
row, column). Every case runs on every backend (memory, SQLite, Neo4j) against the sample
registry, and asserts that the import is refused and the store left exactly as it was (every
record and the audit log)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from loaders.spreadsheet import CODES, ImportRefused, apply_import, plan_import
from registry.store import GraphStore
from tests.loaders.fixtures.spreadsheets import (
    DAY,
    feature,
    geojson,
    ring,
    snapshot,
    write_xlsx,
)

Expected = tuple[str, str, str | None, int | None, str | None]
Content = str | bytes | Callable[[Path], object] | None

STAFF = "姓名,联系电话,岗位,网格编码,区划代码,任职日期,离任日期\n"
G1, G11, G111 = "G451225-001", "G451225-001-01", "G451225-001-01-01"
V1 = "451225100201"
ORGS = "机构代码,机构名称,机构类型,所在区划,上级机构\n"
SQUARE = [ring(108.9, 24.8, 0.01)]


def xlsx(rows: list[list[object]], title: str = "Sheet", merges: tuple[str, ...] = ()) -> Content:
    """A workbook written when the case runs."""
    return lambda path: write_xlsx(path, {title: rows}, {title: merges})


@dataclass(frozen=True)
class Case:
    """Files (name → content; None: not created) and the issues expected."""

    id: str
    files: dict[str, Content]
    expected: list[Expected]
    mapping: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


CASES = [
    # --- files and sheets -------------------------------------------------------------------
    Case("missing_file", {"nope.csv": None}, [("UNREADABLE_FILE", "nope.csv", None, None, None)]),
    Case(
        "old_xls",
        {"名册.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"},
        [("UNREADABLE_FILE", "名册.xls", None, None, None)],
    ),
    Case(
        "corrupt_xlsx",
        {"名册.xlsx": b"PK\x03\x04 not a workbook"},
        [("UNREADABLE_FILE", "名册.xlsx", None, None, None)],
    ),
    Case(
        "undecodable_bytes",
        {"名册.csv": "姓名,岗位\n".encode() + b"\x80\x81\x82,x\n"},
        [("ENCODING", "名册.csv", None, None, None)],
    ),
    Case("empty_file", {"empty.csv": ""}, [("EMPTY_FILE", "empty.csv", None, None, None)]),
    Case(
        "header_only",
        {"网格.csv": "网格编码,网格名称\n\n\n"},
        [("EMPTY_FILE", "网格.csv", None, None, None)],
    ),
    Case(
        "empty_workbook",
        {"空.xlsx": xlsx([])},
        [("EMPTY_FILE", "空.xlsx", None, None, None)],
    ),
    Case(
        "no_header",
        {"说明.csv": "填表说明\n请按要求填写\n"},
        [("UNKNOWN_SHEET_KIND", "说明.csv", None, None, None)],
    ),
    Case(
        "ambiguous_kind",
        {"data.csv": "code,name\nX1,甲\n"},
        [("UNKNOWN_SHEET_KIND", "data.csv", None, None, None)],
    ),
    Case(
        "missing_role_column",
        {"名册.csv": f"姓名,联系电话,网格编码\n张三,13800000000,{G111}\n"},
        [("MISSING_COLUMN", "名册.csv", None, 1, "岗位")],
    ),
    Case(
        "missing_location_column",
        {"名册.csv": "姓名,岗位,联系电话\n张三,网格员,13800000000\n"},
        [("MISSING_COLUMN", "名册.csv", None, 1, "网格编码/区划代码/机构代码")],
    ),
    Case(
        "unknown_column_strict",
        {"网格.csv": f"网格编码,网格名称,负责人\n{G1},东门村一级网格,张三\n"},
        [("UNKNOWN_COLUMN", "网格.csv", None, 1, "负责人")],
        mapping='[[sheets]]\nfile = "网格.csv"\nstrict = true\n',
    ),
    Case(
        "duplicate_column",
        {"网格.csv": f"网格编码,网格名称,名称\n{G1},东门村一级网格,东门\n"},
        [("DUPLICATE_COLUMN", "网格.csv", None, 1, "名称")],
    ),
    Case(
        "bad_mapping",
        {"网格.csv": f"网格编码,网格名称\n{G1},东门村一级网格\n"},
        [("BAD_MAPPING", "map.toml", None, None, None)],
        mapping='[[sheets]]\nfile = "*.csv"\nkind = "people"\n',
    ),
    Case(
        "unknown_crs",
        {"边界.geojson": geojson([feature({"网格编码": G1}, SQUARE)], crs="BD09")},
        [("UNKNOWN_CRS", "边界.geojson", None, None, "crs")],
    ),
    Case(
        "not_a_feature_collection",
        {"边界.geojson": json.dumps({"type": "Polygon", "coordinates": SQUARE})},
        [("UNKNOWN_SHEET_KIND", "边界.geojson", None, None, None)],
    ),
    Case(
        "not_json",
        {"边界.geojson": "{not json"},
        [("UNREADABLE_FILE", "边界.geojson", None, None, None)],
    ),
    # --- cells --------------------------------------------------------------------------------
    Case(
        "blank_required_cell",
        {"网格.csv": f"网格编码,网格名称,上级网格\n{G1}-02,,{G1}\n"},
        [("MISSING_VALUE", "网格.csv", None, 2, "网格名称")],
    ),
    Case(
        "impossible_date",
        {"名册.csv": STAFF + f"韦小红,13807781234,网格员,{G111},,2024-13-01,\n"},
        [("BAD_DATE", "名册.csv", None, 2, "任职日期")],
    ),
    Case(
        "term_ends_before_it_starts",
        {"名册.csv": STAFF + f"韦小红,13807781234,网格员,{G111},,2024-05-01,2024-01-01\n"},
        [("BAD_DATE", "名册.csv", None, 2, "离任日期")],
    ),
    Case(
        "households_not_a_number",
        {"区划.csv": f"区划代码,名称,户数\n{V1},东门村,很多\n"},
        [("BAD_NUMBER", "区划.csv", None, 2, "户数")],
    ),
    Case(
        "tier_out_of_range",
        {"网格.csv": "网格编码,网格名称,层级\nG9,新网格,五级\n"},
        [("BAD_NUMBER", "网格.csv", None, 2, "层级")],
    ),
    Case(
        "malformed_code",
        {"区划.csv": "区划代码,名称\n45122510020X,东门村\n"},
        [("BAD_CODE", "区划.csv", None, 2, "区划代码")],
    ),
    Case(
        "code_typed_as_number_lost_digits",
        {"区划.xlsx": xlsx([["区划代码", "名称"], [45122510020, "东门村"]])},
        [("CODE_LOST_ZEROS", "区划.xlsx", "Sheet", 2, "区划代码")],
    ),
    Case(
        "code_in_scientific_notation",
        {"区划.csv": "区划代码,名称\n4.51225E+11,东门村\n"},
        [("CODE_LOST_ZEROS", "区划.csv", None, 2, "区划代码")],
    ),
    Case(
        "hamlet_number_lost_zeros",
        {"区划.csv": f"区划代码,名称\n{V1}-1,大塘屯\n"},
        [("CODE_LOST_ZEROS", "区划.csv", None, 2, "区划代码")],
    ),
    Case(
        "phone_too_short",
        {"名册.csv": STAFF + f"韦小红,1380778,网格员,{G111},,2024-01-01,\n"},
        [("PHONE_MALFORMED", "名册.csv", None, 2, "联系电话")],
    ),
    Case(
        "landline_typed_as_number",
        {
            "名册.xlsx": xlsx(
                [
                    ["姓名", "联系电话", "岗位", "网格编码", "任职日期"],
                    ["韦小红", 7781234567, "网格员", G111, "2024-01-01"],
                ]
            )
        },
        [("PHONE_MALFORMED", "名册.xlsx", "Sheet", 2, "联系电话")],
    ),
    Case(
        "unknown_role",
        {"名册.csv": STAFF + f"张三,13800000000,村长,,{V1},2024-01-01,\n"},
        [("UNKNOWN_ROLE", "名册.csv", None, 2, "岗位")],
    ),
    Case(
        "unknown_place_kind",
        {"区划.csv": f"区划代码,名称,类别\n{V1},东门村,农场\n"},
        [("UNKNOWN_CATEGORY", "区划.csv", None, 2, "类别")],
    ),
    Case(
        "unknown_organization_kind",
        {"机构.csv": ORGS + "451225-x,某公司,公司,451225000000,\n"},
        [("UNKNOWN_CATEGORY", "机构.csv", None, 2, "机构类型")],
    ),
    Case(
        "unknown_level",
        {"区划.csv": f"区划代码,名称,级别\n{V1},东门村,城市\n"},
        [("BAD_VALUE", "区划.csv", None, 2, "级别")],
    ),
    Case(
        "seat_without_location",
        {"名册.csv": STAFF + "张三,13800000000,网格员,,,2024-01-01,\n"},
        [("MISSING_VALUE", "名册.csv", None, 2, "网格编码")],
    ),
    Case(
        "merged_header_cell_names_the_column",
        {
            "名册.xlsx": xlsx(
                [
                    ["网格编码", "网格员", None, "岗位"],
                    [None, "姓名", "联系电话", None],
                    [G111, "韦小红", "1380778", "网格员"],
                ],
                "名册",
                ("B1:C1", "A1:A2", "D1:D2"),
            )
        },
        [("PHONE_MALFORMED", "名册.xlsx", "名册", 3, "网格员|联系电话")],
    ),
    # --- records ------------------------------------------------------------------------------
    Case(
        "grid_listed_twice",
        {"网格.csv": f"网格编码,网格名称,上级网格\n{G1}-02,新二级,{G1}\n{G1}-02,新二级,{G1}\n"},
        [("DUPLICATE_ID", "网格.csv", None, 3, "网格编码")],
    ),
    Case(
        "place_listed_twice",
        {"区划.csv": "区划代码,名称\n451225100203,新村\n451225100203,新村\n"},
        [("DUPLICATE_ID", "区划.csv", None, 3, "区划代码")],
    ),
    Case(
        "person_id_with_two_names",
        {
            "名册.csv": "人员编号,姓名,联系电话,岗位,区划代码\n"
            f"P9,张三,13800000000,综治专员,{V1}\n"
            f"P9,李四,13900000000,法律明白人,{V1}\n"
        },
        [("DUPLICATE_ID", "名册.csv", None, 3, "人员编号")],
    ),
    Case(
        "same_term_listed_twice",
        {"名册.csv": STAFF + f"韦小红,13807781234,网格员,{G111},,2024-01-01,\n" * 2},
        [("DUPLICATE_ID", "名册.csv", None, 3, "姓名")],
    ),
    Case(
        "grid_with_two_parents_in_two_files",
        {
            "网格1.csv": f"网格编码,网格名称,上级网格\n{G1}-03,新网格,{G1}\n",
            "网格2.csv": f"网格编码,网格名称,上级网格\n{G1}-03,新网格,{G11}\n",
        },
        [("TWO_PARENTS", "网格2.csv", None, 2, "上级网格")],
    ),
    Case(
        "grid_with_two_parents_in_one_file",
        {"网格.csv": f"网格编码,网格名称,上级网格\n{G1}-03,新网格,{G1}\n{G1}-03,新网格,{G11}\n"},
        [("TWO_PARENTS", "网格.csv", None, 3, "上级网格")],
    ),
    Case(
        "unknown_parent_grid",
        {"网格.csv": "网格编码,网格名称,上级网格,所属县\nG9,新网格,G-NOWHERE,451225000000\n"},
        [("UNKNOWN_PARENT", "网格.csv", None, 2, "上级网格")],
    ),
    Case(
        "unknown_parent_place",
        {"区划.csv": "区划代码,名称\n451225101201,龙岸村\n"},
        [("UNKNOWN_PARENT", "区划.csv", None, 2, "区划代码")],
    ),
    Case(
        "unknown_grid_of_a_seat",
        {"名册.csv": STAFF + "张三,13800000000,网格员,G-NOWHERE,,2024-01-01,\n"},
        [("UNKNOWN_REFERENCE", "名册.csv", None, 2, "网格编码")],
    ),
    Case(
        "unknown_organization_of_a_seat",
        {"名册.csv": "姓名,岗位,机构代码\n张三,网格员,451225-nowhere\n"},
        [("UNKNOWN_REFERENCE", "名册.csv", None, 2, "机构代码")],
    ),
    Case(
        "unknown_covered_place",
        {"网格.csv": f"网格编码,网格名称,上级网格,覆盖区划\nG9,新网格,{G1},{V1}-009\n"},
        [("UNKNOWN_REFERENCE", "网格.csv", None, 2, "覆盖区划")],
    ),
    Case(
        "unknown_boundary_owner",
        {"边界.geojson": geojson([feature({"网格编码": "G-NOWHERE"}, SQUARE)])},
        [("UNKNOWN_REFERENCE", "边界.geojson", None, 1, "网格编码")],
    ),
    Case(
        "unknown_organization_place",
        {"机构.csv": ORGS + "451225-ps,某派出所,派出所,451225199000,\n"},
        [("UNKNOWN_REFERENCE", "机构.csv", None, 2, "所在区划")],
    ),
    Case(
        "unknown_parent_organization",
        {"机构.csv": ORGS + "451225-ps,东门派出所,派出所,451225100000,451225-nowhere\n"},
        [("UNKNOWN_PARENT", "机构.csv", None, 2, "上级机构")],
    ),
    Case(
        "grid_parents_loop",
        {
            "网格.csv": "网格编码,网格名称,上级网格,所属县\nGA,甲,GB,451225000000\nGB,乙,GA,451225000000\n"
        },
        [("CYCLE", "网格.csv", None, 2, "上级网格")],
    ),
    Case(
        "grid_skips_a_tier",
        {"网格.csv": f"网格编码,网格名称,层级,上级网格\n{G1}-09,新微网格,3,{G1}\n"},
        [("SKIPPED_TIER", "网格.csv", None, 2, "上级网格")],
    ),
    Case(
        "tier_one_grid_with_a_parent",
        {"网格.csv": f"网格编码,网格名称,层级,上级网格\nG9,新网格,1,{G1}\n"},
        [("SKIPPED_TIER", "网格.csv", None, 2, "上级网格")],
    ),
    Case(
        "stored_child_a_tier_off",
        {"网格.csv": f"网格编码,网格名称,层级\n{G1},东门村一级网格,2\n"},
        [("SKIPPED_TIER", "网格.csv", None, 2, "层级")],
    ),
    Case(
        "village_under_the_county",
        {"区划.csv": "区划代码,名称,上级区划\n451225100203,新村,451225000000\n"},
        [("SKIPPED_TIER", "区划.csv", None, 2, "上级区划")],
    ),
    Case(
        "grid_without_a_county",
        {"网格.csv": "网格编码,网格名称\nG9,新网格\n"},
        [("MISSING_VALUE", "网格.csv", None, 2, "网格编码")],
    ),
    Case(
        "level_contradicts_code",
        {"区划.csv": "区划代码,名称,级别\n451225101000,龙岸镇,村\n"},
        [("LEVEL_MISMATCH", "区划.csv", None, 2, "级别")],
    ),
    Case(
        "grid_county_is_a_township",
        {"网格.csv": "网格编码,网格名称,所属县\nG9,新网格,451225100000\n"},
        [("LEVEL_MISMATCH", "网格.csv", None, 2, "所属县")],
    ),
    Case(
        "province_with_a_parent",
        {"区划.csv": "区划代码,名称,上级区划\n450000000000,广西壮族自治区,451200000000\n"},
        [("LEVEL_MISMATCH", "区划.csv", None, 2, "上级区划")],
    ),
    Case(
        "code_disagrees_with_parent",
        {"区划.csv": "区划代码,名称,上级区划\n451225101201,龙岸村,451225100000\n"},
        [("CODE_MISMATCH", "区划.csv", None, 2, "上级区划")],
    ),
    Case(
        "grid_covers_another_county",
        {
            "区划.csv": "区划代码,名称\n451226000000,环江毛南族自治县\n",
            "网格.csv": f"网格编码,网格名称,上级网格,覆盖区划\nG9,新网格,{G1},451226000000\n",
        },
        [("CODE_MISMATCH", "网格.csv", None, 2, "覆盖区划")],
    ),
    Case(
        "two_holders_of_one_seat",
        {
            "名册.csv": STAFF
            + f"吴丽,13900000001,综治专员,,{V1},2025-01-01,\n"
            + f"潘明,13900000002,综治专员,,{V1},2025-06-01,\n"
        },
        [("TERM_OVERLAP", "名册.csv", None, 3, "任职日期")],
    ),
    Case(
        "term_overlaps_a_stored_term",
        {"名册.csv": STAFF + f"黄梅,13900000003,网格员,{G111},,2023-06-01,\n"},
        [("TERM_OVERLAP", "名册.csv", None, 2, "任职日期")],
    ),
    Case(
        "self_intersecting_boundary",
        {
            "边界.geojson": geojson(
                [
                    feature(
                        {"网格编码": G1},
                        [
                            [
                                [108.9, 24.8],
                                [109.0, 24.9],
                                [109.0, 24.8],
                                [108.9, 24.9],
                                [108.9, 24.8],
                            ]
                        ],
                    )
                ]
            )
        },
        [("GEOMETRY_INVALID", "边界.geojson", None, 1, "geometry")],
    ),
    Case(
        "point_is_not_a_boundary",
        {"边界.geojson": geojson([feature({"网格编码": G1}, [108.9, 24.8], "Point")])},
        [("GEOMETRY_INVALID", "边界.geojson", None, 1, "geometry")],
    ),
    Case(
        "feature_without_an_owner",
        {"边界.geojson": geojson([feature({"名称": "东门"}, SQUARE)])},
        [("MISSING_VALUE", "边界.geojson", None, 1, None)],
    ),
    Case(
        "two_outlines_of_one_grid",
        {"边界.geojson": geojson([feature({"网格编码": G1}, SQUARE)] * 2)},
        [("DUPLICATE_ID", "边界.geojson", None, 2, "网格编码")],
    ),
    Case(
        "every_error_of_a_file_in_row_order",
        {
            "名册.csv": STAFF
            + f"韦小红,1380778,网格员,{G111},,2024-01-01,\n"
            + f"张三,13800000000,村长,,{V1},2024-01-01,\n"
            + "\n"
            + f"李四,13800000001,网格员,{G111},,2024-02-30,\n"
        },
        [
            ("PHONE_MALFORMED", "名册.csv", None, 2, "联系电话"),
            ("UNKNOWN_ROLE", "名册.csv", None, 3, "岗位"),
            ("BAD_DATE", "名册.csv", None, 5, "任职日期"),
        ],
    ),
    Case(
        "errors_across_files_in_file_order",
        {
            "区划.csv": "区划代码,名称\n45122510020,东门村\n",
            "名册.csv": STAFF + f"张三,12345,网格员,{G111},,2024-01-01,\n",
            "边界.geojson": geojson([feature({"区划代码": V1}, [108.9, 24.8], "Point")]),
        },
        [
            ("CODE_LOST_ZEROS", "区划.csv", None, 2, "区划代码"),
            ("PHONE_MALFORMED", "名册.csv", None, 2, "联系电话"),
            ("GEOMETRY_INVALID", "边界.geojson", None, 1, "geometry"),
        ],
    ),
]


def _write(tmp: Path, case: Case) -> tuple[list[Path], Path | None]:
    folder = tmp / "in"
    folder.mkdir()
    paths = []
    for name, content in case.files.items():
        path = folder / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            content(path)
        paths.append(path)
    mapping = None
    if case.mapping is not None:
        mapping = folder / "map.toml"
        mapping.write_text(case.mapping, encoding="utf-8")
    return paths, mapping


def test_there_are_at_least_forty_cases_covering_every_input_code() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    seen = {e[0] for c in CASES for e in c.expected}
    assert set(CODES) - seen == {"STORE_CHANGED"}  # a plan-time code, tested elsewhere


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input_is_refused_exactly(store: GraphStore, tmp_path: Path, case: Case) -> None:
    paths, mapping = _write(tmp_path, case)
    before = snapshot(store)
    plan = plan_import(store, paths, mapping=mapping, effective=DAY)
    found = [(i.code, i.file, i.sheet, i.row, i.column) for i in plan.issues]
    assert found == case.expected, [str(i) for i in plan.issues]
    assert all(i.message_zh and i.message_en for i in plan.issues)
    assert not plan.ok
    with pytest.raises(ImportRefused) as info:
        apply_import(store, plan, actor="test")
    assert [i.code for i in info.value.import_issues] == [e[0] for e in case.expected]
    assert snapshot(store) == before
