"""Spreadsheet import, the happy paths on every backend: a county office's GBK CSV files, a
workbook with a merged two-row header, Excel dates and codes typed as numbers, GCJ-02
boundaries; re-import is a no-op; a changed file gives the exact diff and applying it does
exactly that; a dry run writes nothing; the store is read in a fixed number of batches."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from loaders.spreadsheet import ImportRefused, apply_import, plan_import
from loaders.spreadsheet.diff import Change
from registry.codes import Level
from registry.errors import UnknownReferenceError
from registry.geo import from_wgs84
from registry.model import Boundary, Coverage, Grid, Holding, Person, Place, Post
from registry.queries.hierarchy import lowest_covering_grids
from registry.queries.locate import locate
from registry.queries.responsibility import responsible_for
from registry.store import GraphStore, open_store
from registry.testing import CountingStore
from tests.loaders.fixtures.spreadsheets import (
    COUNTY,
    DAY,
    TOWN,
    audit_count,
    county_office,
    feature,
    geojson,
    ring,
    snapshot,
    write_text,
    write_xlsx,
)

V1, V2 = "451225100201", "451225100202"
H11, H12, H21 = f"{V1}-001", f"{V1}-002", f"{V2}-001"
G1, G2 = "G451225-001", "G451225-002"
G11, G12, G21 = f"{G1}-01", f"{G1}-02", f"{G2}-01"
G111, G121, G211 = f"{G11}-01", f"{G12}-01", f"{G21}-01"

#: 区划 as a county office keeps it: GBK, full-width digits and spaces, a blank row, a title.
PLACES = (
    "罗城县东门镇村屯名册,,,\n"
    "区划代码,村名,类别,户数\n"
    f"{V1},东门村 ,行政村,３２０\n"
    f"{V2}, 西门村,行政村,210\n"
    ",,,\n"
    f"{H11},大塘屯,屯,120\n"
    f"{H12},上寨屯,屯,200\n"
    f"{H21},下塘屯,屯,210户\n"
    "\n\n"
)
GRIDS = (
    "网格编码,网格名称,层级,上级网格,覆盖区划,户数\n"
    f"{G1},东门村一级网格,一级,,{V1},320\n"
    f"{G2},西门村一级网格,一级,,{V2},210\n"
    f"{G11},大塘屯二级网格,二级,{G1},{H11},120\n"
    f"{G12},上寨屯二级网格,二级,{G1},{H12},200\n"
    f"{G21},下塘屯二级网格,二级,{G2},{H21},210\n"
    f"{G111},大塘屯微网格,三级网格,{G11},{H11},120\n"
    f"{G121},上寨屯微网格,三级网格,{G12},{H12},200\n"
    f"{G211},下塘屯微网格,3,{G21},{H21},210\n"
)
#: The staff workbook: a title row, 网格员 merged over 姓名 and 联系电话, the other headers
#: merged down two rows, Excel dates and serial numbers, codes and phones typed as numbers,
#: a blank row and a footer.
STAFF_ROWS: list[list[object]] = [
    ["罗城县东门镇网格员及村级岗位名册", None, None, None, None, None],
    ["网格编码", "网格员", None, "岗位", "区划代码", "任职日期"],
    [None, "姓名", "联系电话", None, None, None],
    [G111, "韦小红", 13807781234, "网格员", None, datetime(2024, 3, 1)],
    [G121, "覃志强", "189 7786 5432", "网格员", None, 45000],  # serial 45000 = 2023-03-15
    [G211, "蓝　天", "+86 13907781111", "grid_worker", None, "2024年5月1日"],
    [None, None, None, None, None, None],
    [None, "吴丽", "0778-1234567", "警务助理", float(V1), "2021.3.1"],
    [None, "潘明", 13977880000, "警务助理", int(V2), "2022/7/1"],
    ["合计：5人", None, None, None, None, None],
]
STAFF_MERGES = ["A1:F1", "B2:C2", "A2:A3", "D2:D3", "E2:E3", "F2:F3"]


def _boundaries(tmp: Path) -> Path:
    """GCJ-02 outlines of the three micro-grids (as a web map would give them)."""
    feats = []
    for i, code in enumerate((G111, G121, G211)):
        x, y = from_wgs84(108.90 + 0.02 * i, 24.80, "GCJ02")
        feats.append(feature({"网格编码": code, "来源": "高德地图描绘"}, [ring(x, y, 0.02)]))
    return write_text(tmp / "网格边界.geojson", geojson(feats, crs="GCJ-02"))


def _files(tmp: Path) -> list[Path]:
    return [
        write_text(tmp / "区划.csv", PLACES, "gb18030"),
        write_text(tmp / "网格.csv", GRIDS, "gb18030"),
        write_xlsx(tmp / "名册.xlsx", {"名册": STAFF_ROWS}, {"名册": STAFF_MERGES}),
        _boundaries(tmp),
    ]


@pytest.fixture
def office(empty_store: GraphStore) -> GraphStore:
    """A store holding what a county office starts from."""
    empty_store.apply(county_office(), actor="test", operation="load")
    return empty_store


def _imported(store: GraphStore, tmp: Path) -> list[Path]:
    files = _files(tmp)
    plan = plan_import(store, files, effective=DAY)
    assert plan.issues == []
    result = apply_import(store, plan, actor="test", reason="首次导入")
    assert result is not None
    return files


def test_county_office_import(office: GraphStore, tmp_path: Path) -> None:
    files = _files(tmp_path)
    audits = audit_count(office)
    plan = plan_import(office, files, effective=DAY)
    assert plan.issues == []
    assert [(s.file, s.sheet, s.kind, s.header_rows, s.rows) for s in plan.sheets] == [
        ("区划.csv", None, "places", (2,), 5),
        ("网格.csv", None, "grids", (1,), 8),
        ("名册.xlsx", "名册", "staff", (2, 3), 5),
        ("网格边界.geojson", None, "boundaries", (), 3),
    ]
    assert plan.diff.counts() == {
        "place": {"added": 5, "changed": 0, "ended": 0, "unchanged": 0},
        "grid": {"added": 8, "changed": 0, "ended": 0, "unchanged": 0},
        "coverage": {"added": 8, "changed": 0, "ended": 0, "unchanged": 0},
        "boundary": {"added": 3, "changed": 0, "ended": 0, "unchanged": 0},
        "person": {"added": 5, "changed": 0, "ended": 0, "unchanged": 0},
        "post": {"added": 5, "changed": 0, "ended": 0, "unchanged": 0},
        "holding": {"added": 5, "changed": 0, "ended": 0, "unchanged": 0},
    }
    result = apply_import(office, plan, actor="test", reason="首次导入")
    assert result is not None and result.written == 39
    assert audit_count(office) == audits + 1
    # Cells were cleaned: full-width digits, stray spaces, 户 suffixes, numbers as codes.
    assert office.get(Place, V1) == Place(
        code=V1, name="东门村", level=Level.VILLAGE, parent=TOWN, kind="行政村", households=320
    )
    assert office.get(Place, H21).households == 210  # type: ignore[union-attr]
    assert office.get(Grid, G211) == Grid(
        code=G211, name="下塘屯微网格", tier=3, county=COUNTY, parent=G21, households=210
    )
    # Staff: derived ids, dates from an Excel date, a serial number and Chinese text.
    post = office.get(Post, f"{G121}-grid_worker")
    assert post == Post(id=f"{G121}-grid_worker", role="grid_worker", grid=G121, label="网格员")
    [holding] = office.referrers(Holding, "post", post.id)
    assert holding.valid_from == date(2023, 3, 15)
    person = office.get(Person, holding.person)
    assert person == Person(id=holding.person, name="覃志强", phone="18977865432")
    [blue] = office.referrers(Holding, "post", f"{G211}-grid_worker")
    assert office.get(Person, blue.person).name == "蓝 天"  # type: ignore[union-attr]
    assert blue.valid_from == date(2024, 5, 1)
    [police] = office.referrers(Holding, "post", f"{V1}-police_assistant")
    assert police.valid_from == date(2021, 3, 1)
    assert office.get(Person, police.person).phone == "0778-1234567"  # type: ignore[union-attr]


def test_imported_county_answers_queries(office: GraphStore, tmp_path: Path) -> None:
    _imported(office, tmp_path)
    # Who is responsible for a hamlet: its micro-grid's worker, then the grid chain, then the
    # village's police assistant.
    ans = responsible_for(office, place=H12, at=DAY)
    names = [(t.subject_name, [p.name for s in t.seats for p in s.answering]) for t in ans.tiers]
    assert names[:4] == [
        ("上寨屯微网格", ["覃志强"]),
        ("上寨屯二级网格", []),
        ("东门村一级网格", []),
        ("东门村", ["吴丽"]),
    ]
    assert [g.code for g in lowest_covering_grids(office, H21, DAY)] == [G211]
    # The GCJ-02 outlines were converted: a WGS-84 point inside the second square is in G121.
    found = locate(office, 108.93, 24.81, at=DAY)
    assert (found.status, found.grid.code if found.grid else None) == ("inside", G121)
    outline = office.get(Boundary, f"B-{G121}")
    assert outline is not None and outline.source == "高德地图描绘"
    assert '"coordinates":[[[108.92,24.8],' in outline.geometry


def test_reimport_changes_nothing(office: GraphStore, tmp_path: Path) -> None:
    files = _imported(office, tmp_path)
    before = snapshot(office)
    plan = plan_import(office, files, effective=DAY)
    assert plan.issues == [] and plan.diff.empty and plan.writes == []
    assert plan.diff.counts()["holding"] == {"added": 0, "changed": 0, "ended": 0, "unchanged": 5}
    assert apply_import(office, plan, actor="test") is None
    assert snapshot(office) == before  # not even an audit entry


def test_changed_file_gives_the_exact_diff(office: GraphStore, tmp_path: Path) -> None:
    _imported(office, tmp_path)
    old = {h.post: h for h in office.scan(Holding)}
    # Next month's workbook: 韦小红 has a new phone, 蓝天 left the micro-grid G211 and 黄梅
    # took over on 2026-10-15, 潘明's seat is vacant (空缺), and 户数 changed.
    rows = [list(r) for r in STAFF_ROWS]
    rows[3][2] = 13900001111
    rows[5] = [G211, "黄梅", 15977001122, "网格员", None, date(2026, 10, 15)]
    rows[8] = [None, "空缺", None, "警务助理", V2, None]
    write_xlsx(tmp_path / "名册.xlsx", {"名册": rows}, {"名册": STAFF_MERGES})
    write_text(
        tmp_path / "区划.csv",
        PLACES.replace("东门村 ,行政村,３２０", "东门村,行政村,330"),
        "gb18030",
    )
    files = [tmp_path / "区划.csv", tmp_path / "名册.xlsx"]
    before = audit_count(office)
    plan = plan_import(office, files, effective=DAY)
    assert plan.issues == []
    worker = old[f"{G111}-grid_worker"].person
    newcomer = plan.diff.added[0][1]
    assert plan.diff.added == [
        ("person", newcomer),
        ("holding", f"H:{G211}-grid_worker:{newcomer}:2026-10-15"),
    ]
    assert plan.diff.changed == [
        Change("place", V1, ("households",)),
        Change("person", worker, ("phone",)),
    ]
    assert plan.diff.ended == [
        ("holding", old[f"{G211}-grid_worker"].id),
        ("holding", old[f"{V2}-police_assistant"].id),
    ]
    assert apply_import(office, plan, actor="test", reason="月度更新") is not None
    assert audit_count(office) == before + 1
    # The predecessor leaves the day before the successor starts; the other the day before
    # the effective day.
    ended = {h.post: h for h in office.scan(Holding)}
    assert ended[f"{G211}-grid_worker"].valid_to == date(2026, 10, 14)
    assert ended[f"{V2}-police_assistant"].valid_to == date(2026, 10, 31)
    assert office.get(Person, worker).phone == "13900001111"  # type: ignore[union-attr]
    assert office.get(Place, V1).households == 330  # type: ignore[union-attr]
    ans = responsible_for(office, place=H21, at=DAY)
    assert [p.name for s in ans.tiers[0].seats for p in s.answering] == ["黄梅"]
    # And importing it again changes nothing.
    assert plan_import(office, files, effective=DAY).diff.empty


def test_coverage_not_listed_any_more_is_ended(office: GraphStore, tmp_path: Path) -> None:
    _imported(office, tmp_path)
    grids = f"网格编码,网格名称,覆盖区划\n{G11},大塘屯二级网格,{H11}、{H12}\n"
    plan = plan_import(office, [write_text(tmp_path / "g.csv", grids)], effective=DAY)
    assert plan.issues == []
    assert plan.diff.added == [("coverage", f"{G11}|{H12}")]
    assert plan.diff.ended == []
    apply_import(office, plan)
    assert office.get(Coverage, f"{G11}|{H12}").valid_from == DAY  # type: ignore[union-attr]
    grids = f"网格编码,网格名称,覆盖区划\n{G11},大塘屯二级网格,{H12}\n"
    plan = plan_import(office, [write_text(tmp_path / "g.csv", grids)], effective=DAY)
    assert plan.diff.ended == [("coverage", f"{G11}|{H11}")]
    assert plan.diff.changed == [] and plan.diff.added == []


def test_dry_run_writes_nothing(office: GraphStore, tmp_path: Path) -> None:
    files = _files(tmp_path)
    before = snapshot(office)
    plan = plan_import(office, files, effective=DAY)
    assert plan.ok and not plan.diff.empty
    assert snapshot(office) == before


def test_a_plan_is_refused_once_the_store_changed(office: GraphStore, tmp_path: Path) -> None:
    plan = plan_import(office, _files(tmp_path), effective=DAY)
    office.apply([Person(id="P-elsewhere", name="外来")])  # someone else wrote meanwhile
    before = snapshot(office)
    with pytest.raises(ImportRefused) as info:
        apply_import(office, plan)
    assert [i.code for i in info.value.import_issues] == ["STORE_CHANGED"]
    assert snapshot(office) == before


def test_a_write_refused_by_the_store_is_located(
    office: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the store refuse the write after all (a race), the error names the row."""
    plan = plan_import(office, _files(tmp_path), effective=DAY)

    def refuse(*args: object, **kwargs: object) -> None:
        raise UnknownReferenceError(f"grid {G211}: parent refers to unknown grid", [G211, G21])

    monkeypatch.setattr(office, "apply", refuse)
    with pytest.raises(ImportRefused) as info:
        apply_import(office, plan)
    [found] = info.value.import_issues
    assert found.where == ("网格.csv", None, 9, "上级网格") and found.code == "UNKNOWN_PARENT"


def test_import_reads_the_store_in_a_fixed_number_of_batches(tmp_path: Path) -> None:
    """No per-row round trips: the same number of store reads for 3 or 300 staff rows."""
    calls = []
    for n in (3, 300):
        inner = open_store("memory://")
        inner.apply(county_office())
        store = CountingStore(inner)
        places = "区划代码,名称\n" + f"{V1},东门村\n"
        grids = "网格编码,网格名称,所属县,覆盖区划\n" + "".join(
            f"G{i},网格{i},{COUNTY},{V1}\n" for i in range(n)
        )
        staff = "姓名,联系电话,岗位,网格编码,任职日期\n" + "".join(
            f"员{i},139{i:08d},网格员,G{i},2024-01-01\n" for i in range(n)
        )
        files = [
            write_text(tmp_path / f"{n}" / "p.csv", places),
            write_text(tmp_path / f"{n}" / "g.csv", grids),
            write_text(tmp_path / f"{n}" / "s.csv", staff),
        ]
        plan = plan_import(store, files, effective=DAY)
        assert plan.issues == [] and len(plan.writes) == 1 + 5 * n
        calls.append(store.total)
        assert apply_import(store, plan) is not None
        assert store.calls["apply"] == 1
    assert calls[0] == calls[1] <= 20
