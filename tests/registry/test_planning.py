"""Planners' analytics on every store: staffing statuses, territory, worker load, structure and
distance coverage, on small fixtures built for each defect and on the demo county's planted gaps."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from loaders.demo import DEMO_TODAY, demo_gaps, load_demo
from registry.codes import Level
from registry.errors import NotFound
from registry.model import (
    AnyRecord,
    Border,
    Coverage,
    Grid,
    Holding,
    Membership,
    Organization,
    OrgKind,
    Person,
    Place,
    Post,
    Requirement,
    Stationing,
    StationMode,
)
from registry.queries.coverage import coverage_report
from registry.queries.reach import reach_report
from registry.queries.region import region_of
from registry.queries.structure import structure_report
from registry.queries.territory import territory_report
from registry.queries.workload import spread, workload_report
from registry.store import GraphStore
from registry.testing import (
    COUNTY,
    SAMPLE_TODAY,
    TOWN,
    VILLAGE,
    sample_records,
    sample_store,
    square,
)
from tests.conftest import BACKENDS, backend_url, open_fresh

AT = SAMPLE_TODAY
MICRO = "G451225-001-01-01"


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    store = open_fresh(backend_url(request.param, tmp_path_factory.mktemp("planning"), "demo"))
    try:
        load_demo(store)
        yield store
    finally:
        store.close()


def _with(store: GraphStore, *extra: AnyRecord) -> GraphStore:
    store.apply([*sample_records(), *extra])
    return store


# --- staffing statuses ------------------------------------------------------------------------


def test_statuses_expired_over_staffed_and_expiring(empty_store: GraphStore) -> None:
    d = date(2024, 1, 1)
    store = _with(
        empty_store,
        Post(id=f"{VILLAGE}-governance_officer", role="governance_officer", place=VILLAGE),
        Person(id="P3", name="蓝海"),
        Person(id="P4", name="韦山"),
        Holding(id="H3", person="P3", post=f"{VILLAGE}-governance_officer", valid_from=d,
                valid_to=date(2026, 6, 30)),
        Holding(id="H4", person="P4", post=f"{VILLAGE}-police_assistant", valid_from=d,
                valid_to=AT + timedelta(days=30)),
        Requirement(template="sample-village", role="police_assistant", min=1, max=1),
    )  # fmt: skip
    by_role = {e.role: e for e in coverage_report(store, COUNTY, at=AT).entries}
    assert by_role["governance_officer"].status == "expired"
    assert by_role["governance_officer"].last_term_ended == date(2026, 6, 30)
    assert by_role["police_assistant"].status == "over_staffed"  # two holders, max 1
    assert by_role["law_literate"].status == "vacant"
    # one holder left once the other's term ends: expiring within 90 days, filled within 10
    store.apply([Holding(id="H000002", person="P000002", post=f"{VILLAGE}-police_assistant",
                         valid_from=d, valid_to=date(2025, 1, 1))])  # fmt: skip
    again = {e.role: e for e in coverage_report(store, COUNTY, at=AT).entries}
    assert again["police_assistant"].status == "expiring"
    assert again["police_assistant"].term_ends == AT + timedelta(days=30)
    short = coverage_report(store, COUNTY, at=AT, expiring_days=10)
    assert {e.role: e.status for e in short.entries}["police_assistant"] == "filled"
    county = next(r for r in short.rollups if r.code == COUNTY)
    assert (county.met, county.total) == (1, 3)


def test_a_report_follows_every_write_to_its_region(empty_store: GraphStore) -> None:
    """What a store keeps between reports (the embedded store: each region, until the next
    write) never outlives a write: a new village, then the same village ended, show at once."""
    store = _with(empty_store)
    assert {e.subject for e in coverage_report(store, COUNTY, at=AT).entries} == {VILLAGE}
    new = Place(code="451225100202", name="新村", level=Level.VILLAGE, parent=TOWN, kind="行政村")
    store.apply([new])
    after = coverage_report(store, COUNTY, at=AT)
    assert [(e.role, e.status) for e in after.entries if e.subject == new.code] == [
        ("governance_officer", "missing"),
        ("law_literate", "missing"),
        ("police_assistant", "missing"),
    ]
    assert after.places_per_level[Level.VILLAGE] == 2
    store.apply([dataclasses.replace(new, valid_to=AT - timedelta(days=1))])
    ended = coverage_report(store, COUNTY, at=AT)
    assert {e.subject for e in ended.entries} == {VILLAGE}
    assert ended.places_per_level[Level.VILLAGE] == 1


def test_the_embedded_store_keeps_a_region_until_a_write_of_what_it_is_read_from() -> None:
    """A region is read from places, grids and coverage links (``REGION_READS``): kept across
    any other write, computed again after a write of one of those."""
    store = sample_store()
    first = region_of(store, COUNTY, AT)
    assert region_of(store, COUNTY, AT) is first
    store.apply([Person(id="P-new", name="新人")])
    assert region_of(store, COUNTY, AT) is first
    store.apply([Grid(code="G451225-002", name="东门村二号一级网格", tier=1, county=COUNTY)])
    again = region_of(store, COUNTY, AT)
    assert [g.code for g in again.grids] == [*(g.code for g in first.grids), "G451225-002"]
    store.apply([Coverage(grid="G451225-002", place=VILLAGE)])
    assert region_of(store, COUNTY, AT).anchor_of["G451225-002"] == VILLAGE


# --- territory --------------------------------------------------------------------------------


def test_territory_double_cover_overlap_broken_chain_and_idle_grid(empty_store: GraphStore) -> None:
    store = _with(
        empty_store,
        Grid(code="G451225-002", name="第二一级网格", tier=1, county=COUNTY),
        Grid(code="G451225-002-01", name="第二二级网格", tier=2, county=COUNTY,
             parent="G451225-002"),
        Grid(code="G451225-002-01-01", name="越界微网格", tier=3, county=COUNTY,
             parent="G451225-002-01"),
        Grid(code="G451225-003-01", name="断链二级网格", tier=2, county=COUNTY),
        Coverage(grid="G451225-002-01-01", place=f"{VILLAGE}-001"),
        square("B1", 108.90, 24.80, 108.92, 24.82, grid=MICRO),
        square("B2", 108.91, 24.80, 108.93, 24.82, grid="G451225-002-01-01"),
        square("B3", 108.92, 24.80, 108.94, 24.82, grid="G451225-002-01"),
    )  # fmt: skip
    t = territory_report(store, COUNTY, AT)
    (double,) = t.double_covered
    assert double.place.code == f"{VILLAGE}-001"
    assert {g.code for g in double.grids} == {MICRO, "G451225-002-01-01"}
    (overlap,) = t.overlapping
    assert {overlap.first.code, overlap.second.code} == {MICRO, "G451225-002-01-01"}
    assert 2_000_000 < overlap.square_metres < 2_300_000  # 0.01° x 0.02° at 24.8°N
    assert [(b.grid.code, b.reason) for b in t.broken_chains] == [("G451225-003-01", "no_parent")]
    assert [g.code for g in t.without_worker] == ["G451225-002-01-01"]
    assert [p.code for p in t.uncovered] == [f"{VILLAGE}-002"]


def test_territory_parent_no_longer_in_force(empty_store: GraphStore) -> None:
    # Skipped tiers and unknown parents are refused on write; a parent that ends is not.
    store = _with(empty_store)
    assert territory_report(store, COUNTY, AT).broken_chains == ()
    store.apply(
        [
            Grid(
                code="G451225-001",
                name="东门村一级网格",
                tier=1,
                county=COUNTY,
                valid_to=date(2025, 1, 1),
            )
        ]
    )
    broken = {b.grid.code: b.reason for b in territory_report(store, COUNTY, AT).broken_chains}
    assert broken == {"G451225-001-01": "parent_not_in_force"}


def test_demo_territory_finds_the_planted_gaps(demo: GraphStore) -> None:
    gaps = demo_gaps()
    t = territory_report(demo, "451225000000", DEMO_TODAY)
    assert {p.code for p in t.uncovered} == set(gaps.uncovered_hamlets)
    idle = {g.code for g in t.without_worker}
    assert idle == {p.removesuffix("-grid_worker") for p in gaps.vacant_grid_posts}
    assert t.double_covered == () and t.overlapping == () and t.broken_chains == ()


# --- worker load ------------------------------------------------------------------------------


def test_spread_and_fence() -> None:
    s = spread([10, 20, 30, 40, 500])
    assert (s.minimum, s.median, s.maximum) == (10, 30, 500)
    assert s.fence == 40 + 1.5 * (40 - 20)
    assert spread([]).maximum == 0 and spread([7]).fence == 7


def test_demo_workload_flags_the_worker_with_two_grids(demo: GraphStore) -> None:
    w = workload_report(demo, "451225000000", DEMO_TODAY)
    assert len(w.workers) == 1720  # the demo's 1,720 workers in post, one holding two seats
    double = demo_gaps().double_grid_worker
    (two,) = [x for x in w.workers if len(x.grids) == 2]
    assert two.person.id == double and two in w.outliers
    assert w.grids.maximum == 2 and w.grids.median == 1
    households = sorted(x.households for x in w.workers)
    assert w.households.maximum == households[-1] and w.households.minimum == households[0]
    assert all(x.households > w.households.fence or len(x.grids) > 1 for x in w.outliers)


# --- structure --------------------------------------------------------------------------------


def test_structure_of_the_sample(empty_store: GraphStore) -> None:
    police = Organization(code="PS1", name="东门派出所", kind=OrgKind.POLICE_STATION, place=TOWN)
    store = _with(empty_store, police)
    s = structure_report(store, COUNTY, AT)
    assert [p.code for p in s.centres_missing] == [VILLAGE]
    assert [o.code for o in s.unstationed] == ["PS1"]
    store.apply([Stationing(organization="PS1", centre="451225100-centre",
                            mode=StationMode.PERMANENT)])  # fmt: skip
    assert structure_report(store, COUNTY, AT).unstationed == ()
    fan = {(f.kind, f.parent_level): f for f in s.fan_out}
    assert fan[("place", "village")].histogram == {2: 1}
    assert fan[("grid", "1")].maximum == 1


def test_border_county_without_alliance(empty_store: GraphStore) -> None:
    other = Place(code="451226000000", name="环江毛南族自治县", level=Level.COUNTY,
                  parent="451200000000")  # fmt: skip
    store = _with(empty_store, other, Border(place=VILLAGE, other=other.code))
    assert [p.code for p in structure_report(store, COUNTY, AT).isolated_border_counties] == [
        COUNTY
    ]
    store.apply([*_alliance(COUNTY)])
    assert structure_report(store, COUNTY, AT).isolated_border_counties == ()


def _alliance(county: str) -> list[AnyRecord]:
    from registry.model import Alliance, AllianceFunction

    return [
        Alliance(code="A9", name="桂西北联盟", functions=(AllianceFunction.JOINT_PATROL,)),
        Membership(alliance="A9", place=county),
    ]


def test_demo_structure_finds_the_township_without_centre(demo: GraphStore) -> None:
    s = structure_report(demo, "451225000000", DEMO_TODAY)
    township = demo_gaps().township_without_centre
    assert [p.code for p in s.centres_missing] == [township]
    assert {o.place for o in s.unstationed} == {township}  # its units have no centre to report to
    assert s.places_per_level[Level.VILLAGE] == 142 and s.grids_per_tier == {
        1: 143,
        2: 725,
        3: 1696,
    }
    villages = next(f for f in s.fan_out if f.kind == "place" and f.parent_level == "township")
    assert villages.parents == 11 and sum(villages.histogram.values()) == 11


# --- reach ------------------------------------------------------------------------------------


def test_reach_measures_from_centroids(empty_store: GraphStore) -> None:
    store = _with(
        empty_store,
        square("B-h1", 108.90, 24.80, 108.91, 24.81, place=f"{VILLAGE}-001"),
        square("B-h2", 109.10, 24.80, 109.11, 24.81, place=f"{VILLAGE}-002"),
        square("B-t", 108.90, 24.80, 108.92, 24.81, place=TOWN),
    )
    r = reach_report(store, COUNTY, AT, minutes=15, speed_kmh=20)
    assert r.radius_m == 5000 and r.level is Level.HAMLET
    assert (r.measured, r.within, r.unmeasured) == (2, 1, 0)
    ((far, metres),) = r.outside
    assert far.code == f"{VILLAGE}-002" and 19_000 < metres < 20_500
    assert [o.code for o in r.points] == ["451225100-centre"] and r.points_without_location == 1
    assert r.share == 0.5
    wide = reach_report(store, COUNTY, AT, minutes=60, speed_kmh=30)
    assert wide.share == 1.0


def test_demo_reach_everyone_within_a_village_centre(demo: GraphStore) -> None:
    r = reach_report(demo, "451225000000", DEMO_TODAY)
    assert r.level is Level.HAMLET and r.measured == 922 and r.unmeasured == 0
    tight = reach_report(demo, "451225000000", DEMO_TODAY, minutes=1, speed_kmh=6)
    assert tight.within < r.within and len(tight.outside) == 922 - tight.within


def test_unknown_scope(empty_store: GraphStore) -> None:
    store = _with(empty_store)
    for report in (territory_report, workload_report, structure_report, reach_report):
        with pytest.raises(NotFound):
            report(store, "451225999000", AT)


def test_a_township_report_is_the_county_report_restricted_to_it(demo: GraphStore) -> None:
    county = coverage_report(demo, "451225000000", at=DEMO_TODAY)
    township = "451225100000"
    mine = coverage_report(demo, township, at=DEMO_TODAY)
    assert mine.entries == tuple(e for e in county.entries if e.township == township)
    assert any(e.subject_kind == "grid" for e in mine.entries)
    rollup = next(r for r in county.rollups if r.code == township)
    assert sum(1 for _ in mine.entries) == rollup.total
