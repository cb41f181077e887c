"""The canonical folder format: round trips, every error code, atomicity, the format doc."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from loaders.canonical import (
    FORMAT,
    MANIFEST,
    VERSION,
    export_folder,
    file_name,
    issue_code,
    load_folder,
    read_folder,
)
from registry.codec import field_names
from registry.errors import (
    CodeMismatchError,
    CycleError,
    InvariantViolation,
    LevelMismatchError,
    LoadError,
    SecondParentError,
    UnknownReferenceError,
)
from registry.model import (
    KINDS,
    Alliance,
    AllianceFunction,
    AnyRecord,
    Border,
    Category,
    Coverage,
    Grid,
    GridTier,
    Handling,
    Holding,
    Jurisdiction,
    Level,
    Membership,
    Organization,
    OrgKind,
    Person,
    Place,
    Post,
    Requirement,
    Role,
    RoleTemplate,
    Stationing,
    StationMode,
)
from registry.store import GraphStore, open_store

ROOT = Path(__file__).resolve().parents[2]
PROVINCE, PREFECTURE, COUNTY = "450000000000", "451200000000", "451225000000"
TOWN, TOWN2, VILLAGE = "451225100000", "451225101000", "451225100201"
HAMLET = "451225100201-001"


def sample_records() -> list[AnyRecord]:
    """A small graph touching every kind: Chinese names, dates, lists, booleans and nulls."""
    return [
        Place(code=PROVINCE, name="广西壮族自治区", level=Level.PROVINCE),
        Place(code=PREFECTURE, name="河池市", level=Level.PREFECTURE, parent=PROVINCE),
        Place(code=COUNTY, name="罗城仫佬族自治县", level=Level.COUNTY, parent=PREFECTURE),
        Place(code=TOWN, name="东门镇", level=Level.TOWNSHIP, parent=COUNTY, kind="镇"),
        Place(code=TOWN2, name="龙岸镇", level=Level.TOWNSHIP, parent=COUNTY, kind="镇"),
        Place(
            code=VILLAGE,
            name="东门村",
            level=Level.VILLAGE,
            parent=TOWN,
            kind="行政村",
            households=320,
            synthetic=True,
            valid_from=date(2020, 1, 1),
        ),
        Place(
            code=HAMLET,
            name='大屯,小屯 "旧称"',
            level=Level.HAMLET,
            parent=VILLAGE,
            kind="屯",
            valid_to=date(2030, 12, 31),
        ),
        GridTier(county=COUNTY, tier=1, level=Level.TOWNSHIP, name="一级网格"),
        GridTier(county=COUNTY, tier=2, level=Level.VILLAGE, name="二级网格"),
        Grid(code="G1", name="东门镇网格", tier=1, county=COUNTY),
        Grid(
            code="G2",
            name="东门村网格",
            tier=2,
            county=COUNTY,
            parent="G1",
            households=300,
            valid_to=date(2030, 12, 31),
        ),
        Coverage(grid="G2", place=VILLAGE, valid_from=date(2024, 1, 1)),
        Border(place=TOWN, other=TOWN2),
        Person(id="P1", name="张三"),
        Person(id="P2", name="李四", phone="0778-1234567", valid_from=date(2023, 5, 6)),
        Role(code="wgy", name="网格员", description="负责网格巡查\n第二行"),
        Role(code="jwzl", name="警务助理"),
        Organization(
            code="C1",
            name="罗城县综治中心",
            kind=OrgKind.CENTRE,
            place=COUNTY,
            level=Level.COUNTY,
            phone="12345",
        ),
        Organization(
            code="PS1",
            name="东门派出所",
            kind=OrgKind.POLICE_STATION,
            place=TOWN,
            parent="C1",
            function="public_security",
        ),
        Post(id="S1", role="wgy", grid="G2", label="专职网格员"),
        Post(id="S2", role="jwzl", place=VILLAGE),
        Holding(id="H1", person="P1", post="S1", valid_from=date(2024, 1, 1)),
        Stationing(organization="PS1", centre="C1", mode=StationMode.ROTATING),
        Jurisdiction(organization="PS1", place=TOWN),
        Alliance(
            code="A1",
            name="桂黔边界联盟",
            functions=(AllianceFunction.PARTY_BUILDING, AllianceFunction.JOINT_PATROL),
        ),
        Membership(alliance="A1", place=COUNTY, scope="全域"),
        Category(
            code="CAT1",
            name="矛盾纠纷",
            roles=("wgy", "jwzl"),
            functions=(AllianceFunction.JOINT_MEDIATION,),
            emergency=True,
            time_limit_minutes=60,
        ),
        Category(code="CAT1-1", name="邻里纠纷", parent="CAT1"),
        Handling(category="CAT1", organization="PS1", time_limit_minutes=120, lead=False),
        Handling(
            category="CAT1", org_kind=OrgKind.CENTRE, level=Level.TOWNSHIP, time_limit_minutes=30
        ),
        RoleTemplate(
            code="T1",
            name="行政村标准",
            region=COUNTY,
            place_level=Level.VILLAGE,
            place_kind="行政村",
        ),
        RoleTemplate(code="T2", name="二级网格标准", region=COUNTY, grid_tier=2),
        Requirement(template="T1", role="wgy", min=1, max=2),
        Requirement(template="T2", role="jwzl", min=0),
    ]


@pytest.fixture
def store(empty_store: GraphStore) -> GraphStore:
    """This module's sample graph, in a store of each backend."""
    empty_store.apply(sample_records(), reason="fixture")
    return empty_store


def _order(rec: AnyRecord) -> tuple[str, str]:
    return rec.KIND, rec.key


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def state(store: GraphStore, tmp_path: Path) -> dict[str, bytes]:
    """Everything the store holds, as an exported folder."""
    out = tmp_path / f"state-{time.monotonic_ns()}"
    export_folder(store, out)
    return snapshot(out)


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))


Where = tuple[str, int | None, str | None, str]


def where(err: LoadError) -> list[Where]:
    return [(i.file, i.row, i.column, i.code) for i in err.issues]


def refused(store: GraphStore, folder: Path, tmp_path: Path) -> LoadError:
    """load_folder must raise LoadError and leave the store exactly as it was."""
    before = state(store, tmp_path)
    audits = len(store.audit_log(limit=1000))
    with pytest.raises(LoadError) as info:
        load_folder(store, folder)
    assert state(store, tmp_path) == before
    assert len(store.audit_log(limit=1000)) == audits
    return info.value


# --- round trips ------------------------------------------------------------------------


def test_round_trip_is_byte_identical(
    store: GraphStore, fresh_store: Callable[[], GraphStore], tmp_path: Path
) -> None:
    first = tmp_path / "first"
    counts = export_folder(store, first)
    assert counts["place"] == 7 and counts["requirement"] == 2 and sum(counts.values()) == 34
    assert sorted(read_folder(first), key=_order) == sorted(sample_records(), key=_order)
    original = {kind: list(store.scan(cls)) for kind, cls in KINDS.items()}

    copy = fresh_store()  # a new store of the same backend (on Neo4j: the same database, erased)
    result = load_folder(copy, first, actor="tester", reason="round trip")
    assert result.written == 34
    for kind, cls in KINDS.items():
        assert list(copy.scan(cls)) == original[kind], kind
    entry = copy.audit_log()[0]
    assert (entry.actor, entry.operation, entry.reason) == ("tester", "load", "round trip")

    second = tmp_path / "second"
    assert export_folder(copy, second) == counts
    assert snapshot(first) == snapshot(second)


def test_export_is_deterministic_and_complete(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    export_folder(store, folder)
    once = snapshot(folder)
    export_folder(store, folder)
    assert snapshot(folder) == once
    assert set(once) == {file_name(k) for k in KINDS} | {MANIFEST}
    for name, data in once.items():
        assert b"\r" not in data, name
        assert data.endswith(b"\n"), name
    manifest = json.loads(once[MANIFEST])
    assert manifest["format"] == FORMAT and manifest["version"] == VERSION
    assert list(manifest["counts"]) == sorted(KINDS)
    assert manifest["counts"]["grid"] == 2


def test_export_writes_the_documented_cells(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    export_folder(store, folder)

    def lines(kind: str) -> list[str]:
        return (folder / file_name(kind)).read_text(encoding="utf-8").split("\n")

    place = lines("place")
    assert place[0] == ",".join(field_names(Place))
    assert place[1] == "450000000000,广西壮族自治区,province,,,,false,,"
    assert f"{VILLAGE},东门村,village,{TOWN},行政村,320,true,2020-01-01," in place
    assert f'{HAMLET},"大屯,小屯 ""旧称""",hamlet,{VILLAGE},屯,,false,,2030-12-31' in place
    assert "CAT1,矛盾纠纷,,wgy|jwzl,joint_mediation,true,60,," in lines("category")
    assert "A1,桂黔边界联盟,party_building|joint_patrol,," in lines("alliance")
    assert "CAT1,PS1,120,false,,,," in lines("handling")
    assert lines("role")[1:4] == [
        "jwzl,警务助理,,true,,",
        'wgy,网格员,"负责网格巡查',
        '第二行",true,,',
    ]
    keys = [line.split(",")[0] for line in place[1:-1]]
    assert keys == sorted(keys)


def test_export_overwrites_stale_files(
    store: GraphStore, fresh_store: Callable[[], GraphStore], tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    export_folder(store, folder)
    empty = fresh_store()
    counts = export_folder(empty, folder)
    assert set(counts.values()) == {0}
    assert read_folder(folder) == []


def test_missing_files_mean_no_records(empty_store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name\nP1,王五\n")
    assert read_folder(folder) == [Person(id="P1", name="王五")]
    assert load_folder(empty_store, folder).written == 1
    assert empty_store.get(Person, "P1") == Person(id="P1", name="王五")
    assert empty_store.count(Place) == 0


def test_lenient_reading(tmp_path: Path) -> None:
    """BOM, CRLF, optional columns in any order, blank lines and 1/0 booleans are accepted."""
    folder = tmp_path / "in"
    write(
        folder,
        "place.csv",
        "\ufefflevel,code,name,synthetic\r\nprovince,450000000000,广西壮族自治区,1\r\n\r\n",
    )
    write(folder, "grid.csv", "")  # empty file: no records
    [place] = read_folder(folder)
    assert place == Place(
        code=PROVINCE, name="广西壮族自治区", level=Level.PROVINCE, synthetic=True
    )


def test_bom_file_loads(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "\ufeffid,name,phone\nP9,赵六,13800000000\n")
    assert load_folder(store, folder).written == 1
    assert store.get(Person, "P9") == Person(id="P9", name="赵六", phone="13800000000")


def test_references_may_point_into_the_store(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "grid.csv", f"code,name,tier,county,parent\nG3,新网格,2,{COUNTY},G1\n")
    with pytest.raises(LoadError) as info:
        read_folder(folder)  # no view: G1 and the county are unknown
    assert where(info.value) == [("grid.csv", 2, "parent", "UNKNOWN_REFERENCE")]
    assert read_folder(folder, view=store) == [
        Grid(code="G3", name="新网格", tier=2, county=COUNTY, parent="G1")
    ]
    load_folder(store, folder)
    assert store.get(Grid, "G3") is not None
    assert [g.code for g in store.referrers(Grid, "parent", "G1")] == ["G2", "G3"]


def test_loading_replaces_records_with_the_same_key(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name,phone\nP1,张三,110\n")
    load_folder(store, folder)
    assert store.get(Person, "P1") == Person(id="P1", name="张三", phone="110")


# --- every error code -------------------------------------------------------------------


def test_unknown_file(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name\nP9,赵六\n")
    write(folder, "grids.csv", "code,name\n")
    write(folder, "notes.txt", "ignored")
    err = refused(store, folder, tmp_path)
    assert where(err) == [("grids.csv", None, None, "UNKNOWN_FILE")]


def test_missing_column(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "grid.csv", "code,name,tier\nG3,新网格,1\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [("grid.csv", 1, "county", "MISSING_COLUMN")]


def test_unknown_column(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name,mobile\nP9,赵六,138\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [("person.csv", 1, "mobile", "UNKNOWN_COLUMN")]


def test_duplicate_column(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name,name\nP9,赵六,赵六\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [("person.csv", 1, "name", "DUPLICATE_COLUMN")]


def test_invalid_value(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(
        folder,
        "grid.csv",
        "code,name,tier,county,valid_from,valid_to\n"
        f"G3,坏层级,two,{COUNTY},,\n"
        f"G4,坏日期,1,{COUNTY},2024-13-01,\n"
        f"G5,层级超限,5,{COUNTY},,\n"
        f"G6,倒序日期,1,{COUNTY},2025-01-01,2024-01-01\n"
        f"G7,,1,{COUNTY},,\n",
    )
    err = refused(store, folder, tmp_path)
    assert where(err) == [
        ("grid.csv", 2, "tier", "INVALID_VALUE"),
        ("grid.csv", 3, "valid_from", "INVALID_VALUE"),
        ("grid.csv", 4, "tier", "INVALID_VALUE"),  # from the invariant checks
        ("grid.csv", 5, "valid_to", "INVALID_VALUE"),
        ("grid.csv", 6, "name", "INVALID_VALUE"),
    ]
    assert "two" in err.issues[0].message


def test_duplicate_key(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name\nP9,赵六\nP8,钱七\nP9,赵六\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [("person.csv", 4, "id", "DUPLICATE_KEY")]
    assert "row 2" in err.issues[0].message


def test_duplicate_composite_key(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "coverage.csv", f"grid,place\nG2,{VILLAGE}\nG2,{VILLAGE}\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [("coverage.csv", 3, "grid", "DUPLICATE_KEY")]


def test_unknown_reference(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "grid.csv", f"code,name,tier,county,parent\nG3,新网格,2,{COUNTY},GX\n")
    write(folder, "holding.csv", "id,person,post\nH9,P1,S404\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [
        ("grid.csv", 2, "parent", "UNKNOWN_REFERENCE"),
        ("holding.csv", 2, "post", "UNKNOWN_REFERENCE"),
    ]
    assert "GX" in err.issues[0].message


def test_level_mismatch(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(
        folder,
        "grid.csv",
        f"code,name,tier,county,parent\nG3,三级网格,3,{COUNTY},G1\nG4,错县,1,{TOWN},\n",
    )
    write(folder, "place.csv", f"code,name,level,parent\n451225102000,新镇,township,{PREFECTURE}\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [
        ("place.csv", 2, "parent", "LEVEL_MISMATCH"),
        ("grid.csv", 2, "parent", "LEVEL_MISMATCH"),
        ("grid.csv", 3, "county", "LEVEL_MISMATCH"),
    ]


def test_code_mismatch(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(
        folder,
        "place.csv",
        "code,name,level,parent\n"
        f"451225100202,错挂村,village,{TOWN2}\n"
        f"451225103000,错级镇,village,{TOWN}\n",
    )
    err = refused(store, folder, tmp_path)
    assert where(err) == [
        ("place.csv", 2, "parent", "CODE_MISMATCH"),
        ("place.csv", 3, "code", "CODE_MISMATCH"),
    ]


def test_handling_rule_needs_an_organization_or_a_kind(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "category.csv", "code,name\nK1,噪声扰民\n")
    write(
        folder,
        "handling.csv",
        "category,organization,org_kind,level,time_limit_minutes\n"
        "K1,,mediation_committee,township,60\n"
        "K1,,,township,60\n",
    )
    err = refused(store, folder, tmp_path)
    assert where(err) == [("handling.csv", 3, "organization", "INVALID_VALUE")]
    assert "organization kind is required" in err.issues[0].message


def test_encoding(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name\nP9,赵六\n", encoding="gbk")
    err = refused(store, folder, tmp_path)
    assert where(err) == [("person.csv", None, None, "ENCODING")]
    assert "line 2" in err.issues[0].message and "UTF-8" in err.issues[0].message


def test_bad_row(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name,phone\nP9,赵六,138,extra\nP8,钱七\nP7,孙八,139\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [
        ("person.csv", 2, None, "BAD_ROW"),
        ("person.csv", 3, None, "BAD_ROW"),
    ]


def test_manifest(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, MANIFEST, json.dumps({"format": FORMAT, "version": 99}))
    err = refused(store, folder, tmp_path)
    assert where(err) == [(MANIFEST, None, "version", "MANIFEST")]
    write(folder, MANIFEST, "{not json")
    assert where(refused(store, folder, tmp_path)) == [(MANIFEST, None, None, "MANIFEST")]


def test_not_a_folder(store: GraphStore, tmp_path: Path) -> None:
    err = refused(store, tmp_path / "missing", tmp_path)
    assert where(err) == [("missing", None, None, "NOT_A_FOLDER")]


def test_issue_codes_of_invariant_errors() -> None:
    assert issue_code(CycleError("grid", ["G1", "G2", "G1"])) == "CYCLE"
    assert issue_code(SecondParentError("x")) == "SECOND_PARENT"
    assert issue_code(LevelMismatchError("x")) == "LEVEL_MISMATCH"
    assert issue_code(CodeMismatchError("x")) == "CODE_MISMATCH"
    assert issue_code(UnknownReferenceError("x")) == "UNKNOWN_REFERENCE"
    assert issue_code(InvariantViolation("x")) == "INVARIANT_VIOLATION"


def test_a_write_refused_by_the_store_is_reported_and_located(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the store changes between the checks and the write, apply refuses atomically."""
    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name\nP8,钱七\nP9,赵六\n")

    def refuse(*args: object, **kwargs: object) -> None:
        raise UnknownReferenceError("person P9: gone", ["P9"])

    monkeypatch.setattr(store, "apply", refuse)
    with pytest.raises(LoadError) as info:
        load_folder(store, folder)
    assert where(info.value) == [("person.csv", 3, "id", "UNKNOWN_REFERENCE")]


# --- many errors at once ----------------------------------------------------------------


def test_all_errors_are_reported_in_file_and_row_order(store: GraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(
        folder,
        "grid.csv",
        "code,name,tier,county,parent,households\n"
        f"G3,好网格,2,{COUNTY},G1,10\n"
        f"G4,两处错,x,{COUNTY},,many\n"
        f"G5,坏引用,2,{COUNTY},GX,\n"
        f"G3,重复,2,{COUNTY},G1,\n"
        "G6,少一格,1\n",
    )
    write(folder, "coverage.csv", f"grid,place\nG4,{VILLAGE}\nG3,{VILLAGE}\nG6,{TOWN}\n")
    write(folder, "place.csv", "code,name,level\n451225104000,新镇,town\n")
    write(folder, "extra.csv", "a\n")
    err = refused(store, folder, tmp_path)
    # coverage rows 2 and 4 point at invalid grid rows: not reported a second time
    assert where(err) == [
        ("place.csv", 2, "level", "INVALID_VALUE"),
        ("grid.csv", 3, "tier", "INVALID_VALUE"),
        ("grid.csv", 3, "households", "INVALID_VALUE"),
        ("grid.csv", 4, "parent", "UNKNOWN_REFERENCE"),
        ("grid.csv", 5, "code", "DUPLICATE_KEY"),
        ("grid.csv", 6, None, "BAD_ROW"),
        ("extra.csv", None, None, "UNKNOWN_FILE"),
    ]
    text = str(err)
    assert "grid.csv, row 3, column tier: [INVALID_VALUE]" in text


# --- SQLite -----------------------------------------------------------------------------


def test_failed_load_leaves_the_sqlite_file_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    url = f"sqlite:///{db}"
    with open_store(url) as s:
        s.apply(sample_records(), reason="fixture")
    before = db.read_bytes()

    folder = tmp_path / "in"
    write(folder, "person.csv", "id,name\nP9,赵六\n")  # valid
    write(folder, "holding.csv", "id,person,post\nH9,P9,S404\n")  # invalid: the batch is refused
    with open_store(url) as s, pytest.raises(LoadError):
        load_folder(s, folder)
    assert db.read_bytes() == before

    with open_store(url) as s:
        assert s.get(Person, "P9") is None
        assert s.count(Person) == 2
        assert len(s.audit_log()) == 1


def test_sqlite_round_trip(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    mem = open_store("memory://")
    mem.apply(sample_records())
    export_folder(mem, first)
    url = f"sqlite:///{tmp_path}/y.db"
    with open_store(url) as s:
        load_folder(s, first)
    with open_store(url) as s:
        export_folder(s, second)
    assert snapshot(first) == snapshot(second)


# --- scale ------------------------------------------------------------------------------


@pytest.mark.slow
def test_reading_scales_linearly(tmp_path: Path) -> None:
    """About 60k rows, referring to each other and to the store, load in seconds."""
    n = 30_000
    persons = "\n".join(f"P{i:05d},人{i}" for i in range(n))
    holdings = "\n".join(f"H{i:05d},P{i:05d},S1" for i in range(n))
    villages = "\n".join(f"451225101{i:03d},村{i},village,{TOWN2}" for i in range(1, 1000))
    folder = tmp_path / "in"
    write(folder, "person.csv", f"id,name\n{persons}\n")
    write(folder, "holding.csv", f"id,person,post\n{holdings}\n")
    write(folder, "place.csv", f"code,name,level,parent\n{villages}\n")
    s = open_store("memory://")
    s.apply(sample_records())
    start = time.perf_counter()
    assert load_folder(s, folder).written == 2 * n + 999
    assert time.perf_counter() - start < 20


# --- the format document ----------------------------------------------------------------


def test_every_column_of_every_kind_is_documented() -> None:
    doc = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    sections = re.split(r"^#+ ", doc, flags=re.MULTILINE)
    by_file = {s.split("\n", 1)[0].strip().strip("`"): s for s in sections[1:]}
    for kind, cls in KINDS.items():
        name = file_name(kind)
        assert name in by_file, f"docs/data-format.md has no section ### `{name}`"
        documented = re.findall(r"^\| `(\w+)` \|", by_file[name], flags=re.MULTILINE)
        assert documented == field_names(cls), f"columns of {name} in docs/data-format.md"


def test_references_to_an_unreadable_row_are_not_reported_twice(
    store: GraphStore, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write(folder, "grid.csv", f"name,code,tier,county\n短行,G7,1\n好,G8,1,{COUNTY}\n")
    write(folder, "coverage.csv", f"grid,place\nG7,{TOWN}\nG9,{TOWN}\n")
    write(folder, "post.csv", "id,role\nS9,wgy\n")  # neither place, grid nor organization
    err = refused(store, folder, tmp_path)
    assert where(err) == [
        ("grid.csv", 2, None, "BAD_ROW"),
        ("coverage.csv", 3, "grid", "UNKNOWN_REFERENCE"),
        ("post.csv", 2, "place", "INVALID_VALUE"),
    ]


def test_a_file_without_a_required_column_hides_references_to_its_kind(
    store: GraphStore, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write(folder, "person.csv", "id\nP9\n")
    write(folder, "holding.csv", "id,person,post\nH9,P9,S1\n")
    err = refused(store, folder, tmp_path)
    assert where(err) == [("person.csv", 1, "name", "MISSING_COLUMN")]


def test_demo_county_round_trip_is_byte_identical(empty_store: GraphStore, tmp_path: Path) -> None:
    """The demo county, exported from memory, loads into each backend and exports identically."""
    demo = pytest.importorskip("loaders.demo")
    source = open_store("memory://")
    demo.load_demo(source)
    first, second = tmp_path / "first", tmp_path / "second"
    counts = export_folder(source, first)
    assert sum(counts.values()) == len(demo.demo_records())

    copy = empty_store
    assert load_folder(copy, first).written == sum(counts.values())
    assert export_folder(copy, second) == counts
    a, b = snapshot(first), snapshot(second)
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], name
