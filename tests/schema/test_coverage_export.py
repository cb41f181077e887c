"""Coverage exports on the demo county: the gaps in CSV, XLSX and JSON are the planted ones."""

from __future__ import annotations

import csv
import dataclasses
import io
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime

import openpyxl
import orjson
import pytest

from loaders.demo import DEMO_COUNTY, DEMO_TODAY, ROLE_NAMES, DemoGaps, demo_gaps, load_demo
from registry.errors import InvalidInput
from registry.model import Post
from registry.queries.coverage import MET, CoverageReport, coverage_report
from registry.queries.territory import territory_report
from registry.store import GraphStore, open_store
from schema.coverage_export import (
    CONTENT_TYPES,
    GAP_COLUMNS,
    ROLLUP_COLUMNS,
    STATUS_LABELS,
    export_coverage,
    export_filename,
    parse_format,
)

HEADERS = [
    "区划代码/网格编码",
    "名称",
    "类型",
    "乡镇代码",
    "乡镇",
    "县代码",
    "县",
    "标准",
    "岗位",
    "岗位名称",
    "要求人数",
    "现有席位",
    "在岗人数",
    "状态",
    "上一任期结束",
    "任期结束",
]
BOM = "\ufeff".encode()


@pytest.fixture(scope="module")
def demo() -> Iterator[GraphStore]:
    store = open_store("memory://")
    load_demo(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def report(demo: GraphStore) -> CoverageReport:
    return coverage_report(demo, DEMO_COUNTY, at=DEMO_TODAY)


@pytest.fixture(scope="module")
def gaps() -> DemoGaps:
    return demo_gaps()


def _planted(store: GraphStore, gaps: DemoGaps) -> set[tuple[str, str, str]]:
    """(subject code, role, Chinese status) of every planted gap."""
    out = {(village, role, "缺岗") for village, role in gaps.missing_seats}
    for label, ids in (
        ("空缺", gaps.vacant_posts + gaps.vacant_grid_posts),
        ("已到期", gaps.expired_posts),
    ):
        for post_id in ids:
            post = store.get(Post, post_id)
            assert post is not None
            subject = post.place or post.grid
            assert subject is not None
            out.add((subject, post.role, label))
    return out


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_gap_rows_are_exactly_the_planted_gaps(
    demo: GraphStore, report: CoverageReport, gaps: DemoGaps
) -> None:
    data = export_coverage(report, demo, "csv")
    assert data.startswith(BOM)
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].split(",") == HEADERS == [h for h, _ in GAP_COLUMNS]
    rows = _csv_rows(data)
    found = [(r["区划代码/网格编码"], r["岗位"], r["状态"]) for r in rows]
    assert len(found) == len(set(found)) == 3 + 6 + 3 + 4
    assert set(found) == _planted(demo, gaps)
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["状态"]] = by_status.get(r["状态"], 0) + 1
    assert by_status == {"缺岗": 3, "空缺": 9, "已到期": 4}
    for r in rows:
        assert r["岗位名称"] == ROLE_NAMES[r["岗位"]]
        assert r["县"] == "罗城仫佬族自治县" and r["县代码"] == DEMO_COUNTY
        assert r["乡镇"] and r["乡镇代码"].startswith("451225")
        assert r["类型"] == ("网格" if r["岗位"] == "grid_worker" else "地点")
        assert (r["上一任期结束"] != "") == (r["状态"] == "已到期")
        assert r["任期结束"] == ""
    expired = next(r for r in rows if r["状态"] == "已到期")
    assert datetime.strptime(expired["上一任期结束"], "%Y-%m-%d").date() < DEMO_TODAY


def test_xlsx_has_the_three_sheets_with_chinese_headers_and_real_dates(
    demo: GraphStore, report: CoverageReport, gaps: DemoGaps
) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(export_coverage(report, demo, "xlsx")))
    assert wb.sheetnames == ["缺口", "汇总", "未覆盖"]

    sheet = wb["缺口"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == sum(1 for e in report.entries if e.status not in MET) == 16
    assert {(r[0], r[8], r[13]) for r in rows} == _planted(demo, gaps)
    ended = [r[14] for r in rows if r[13] == "已到期"]
    assert len(ended) == 4 and all(isinstance(d, datetime) for d in ended)
    assert all(r[14] is None for r in rows if r[13] != "已到期")
    assert isinstance(rows[0][10], int)  # counts are numbers, not text
    assert (sheet.column_dimensions["G"].width or 0) >= 2 * len("罗城仫佬族自治县")

    summary = wb["汇总"]
    assert tuple(c.value for c in summary[1]) == ROLLUP_COLUMNS
    body = list(summary.iter_rows(min_row=2, values_only=True))
    assert len(body) == len(report.rollups) + 1  # and the scope's total
    county = next(r for r in body if r[0] == DEMO_COUNTY and r[2] == "县级")
    total = body[-1]
    assert total[2] == "合计" and total[1] == "罗城仫佬族自治县"
    for row in (county, total):
        counts = dict(zip(ROLLUP_COLUMNS[3:9], row[3:9], strict=True))
        assert counts["空缺"] == 9 and counts["已到期"] == 4 and counts["缺岗"] == 3
        assert row[9] == len(report.entries) and row[10] == len(report.entries) - 16
        assert row[11] == pytest.approx((len(report.entries) - 16) / len(report.entries))
    assert {r[0] for r in body[:-1]} == {x.code for x in report.rollups}
    rate = summary.cell(row=2, column=len(ROLLUP_COLUMNS))
    assert "%" in rate.number_format

    uncovered = wb["未覆盖"]
    assert [c.value for c in uncovered[1]][:3] == ["代码", "名称", "级别"]
    codes = [r[0] for r in uncovered.iter_rows(min_row=2, values_only=True)]
    assert codes == sorted(gaps.uncovered_hamlets)
    assert wb.properties.created == datetime(2026, 11, 1)


def test_xlsx_is_byte_identical_across_exports(
    demo: GraphStore, report: CoverageReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = export_coverage(report, demo, "xlsx")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 86400 + 7)  # the zip's clock moves
    second = export_coverage(report, demo, "xlsx")
    assert first == second
    stamps = {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert stamps == {(2026, 11, 1, 0, 0, 0)}
    other = dataclasses.replace(report, at=DEMO_TODAY.replace(day=2))
    assert export_coverage(other, demo, "xlsx") != first


def test_json_has_the_whole_report_with_chinese_unescaped(
    demo: GraphStore, report: CoverageReport
) -> None:
    data = export_coverage(report, demo, "json")
    assert "罗城仫佬族自治县".encode() in data and b"\\u" not in data
    body = orjson.loads(data)
    assert body["scope"]["code"] == DEMO_COUNTY and body["scope"]["name"] == "罗城仫佬族自治县"
    assert body["at"] == "2026-11-01" and body["expiring_days"] == 90
    assert body["totals"]["total"] == len(report.entries)
    assert {s: body["totals"][s] for s in report.totals} == dict(report.totals)
    assert [r["code"] for r in body["rollups"]] == [x.code for x in report.rollups]
    assert len(body["gaps"]) == 16
    assert {g["status"] for g in body["gaps"]} == {"vacant", "expired", "missing"}
    assert all(g["status_label"] == STATUS_LABELS[g["status"]] for g in body["gaps"])
    assert body["status_labels"]["missing"] == "缺岗"
    assert [p["code"] for p in body["uncovered_places"]] == [
        p.code for p in report.uncovered_places
    ]
    assert "territory" not in body


def test_territory_adds_a_sheet_and_a_json_section(
    demo: GraphStore, report: CoverageReport
) -> None:
    territory = territory_report(demo, DEMO_COUNTY, DEMO_TODAY)
    wb = openpyxl.load_workbook(io.BytesIO(export_coverage(report, demo, "xlsx", territory)))
    assert wb.sheetnames == ["缺口", "汇总", "未覆盖", "网格问题"]
    idle = [r for r in wb["网格问题"].iter_rows(min_row=2, values_only=True) if r[0] == "无网格员"]
    assert [r[1] for r in idle] == [g.code for g in territory.without_worker]
    assert len(idle) == 3
    body = orjson.loads(export_coverage(report, demo, "json", territory))
    assert body["territory"]["without_worker"] == [g.code for g in territory.without_worker]
    assert body["territory"]["uncovered"] == [p.code for p in territory.uncovered]


def test_a_name_like_a_formula_stays_text(demo: GraphStore, report: CoverageReport) -> None:
    first = next(e for e in report.entries if e.status not in MET)
    entries = tuple(
        dataclasses.replace(e, subject_name="=HYPERLINK(1)") if e is first else e
        for e in report.entries
    )
    odd = dataclasses.replace(report, entries=entries)
    rows = _csv_rows(export_coverage(odd, demo, "csv"))
    assert rows[0]["名称"] == "'=HYPERLINK(1)"
    data = export_coverage(odd, demo, "xlsx")
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"HYPERLINK" in sheet_xml
    assert openpyxl.load_workbook(io.BytesIO(data))["缺口"]["B2"].value == "=HYPERLINK(1)"


def test_formats_file_names_and_content_types(report: CoverageReport) -> None:
    assert export_filename(report, "xlsx") == "coverage-451225000000-2026-11-01.xlsx"
    assert export_filename(report, "CSV") == "coverage-451225000000-2026-11-01.csv"
    assert set(CONTENT_TYPES) == {"csv", "xlsx", "json"}
    assert CONTENT_TYPES["csv"].startswith("text/csv")
    with pytest.raises(InvalidInput) as caught:
        parse_format("pdf")
    assert caught.value.field == "format"
