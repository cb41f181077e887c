"""Every store answers exactly like the in-memory store, on the whole demo county.

The demo county is loaded into a memory store (the reference) and into each other backend; then
``responsible_for`` (every village with every category and none, lowest-tier grids, every hamlet)
and the planners' reports (``coverage_report``, ``territory_report``, ``workload_report``,
``structure_report``, ``reach_report``: the county, every township and the regions above) must
give equal answers, field by field. A store that counts its server round trips (``round_trips``)
must answer ``responsible_for`` in exactly one and a planners' report in a few, however large the
region; a store that prefetches a region (``prefetch_coverage``) must serve every read of every
planners' report from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from loaders.demo import DEMO_COUNTY, DEMO_TODAY, demo_gaps, demo_records
from registry.codes import Level
from registry.errors import NotFound
from registry.model import KINDS, Category, Grid, Place, Post
from registry.queries import coverage_report, responsible_for
from registry.queries.hierarchy import ancestors
from registry.queries.reach import reach_report
from registry.queries.region import planning_store
from registry.queries.structure import structure_report
from registry.queries.territory import territory_report
from registry.queries.workload import workload_report
from registry.store import GraphStore, open_store
from registry.store.prefetch import PrefetchView
from tests.conftest import BACKENDS, backend_url, open_fresh

#: Round trips a coverage report may cost on a store that counts them, whatever the region.
COVERAGE_ROUND_TRIPS = 20
#: Lowest-tier grids also checked with a category (about this many).
GRID_SAMPLE = 100


@dataclasses.dataclass(frozen=True)
class Planner:
    """A planners' report at the demo's today, and what it finds in the demo county."""

    run: Callable[[GraphStore, str], Any]
    finds: Callable[[Any], bool]


#: The planners' reports besides coverage (tested like it).
PLANNERS = {
    "territory": Planner(
        lambda s, scope: territory_report(s, scope, DEMO_TODAY),
        lambda t: bool(t.uncovered and t.without_worker),  # the demo's planted gaps
    ),
    "workload": Planner(
        lambda s, scope: workload_report(s, scope, DEMO_TODAY),
        lambda w: bool(w.workers and w.outliers),  # one person works two grids
    ),
    "structure": Planner(
        lambda s, scope: structure_report(s, scope, DEMO_TODAY),
        lambda st: bool(st.fan_out and st.centres_missing and st.unstationed),
    ),
    "reach": Planner(
        lambda s, scope: reach_report(s, scope, DEMO_TODAY),
        lambda r: bool(r.measured and r.points),
    ),
}
#: Every planners' report, coverage included.
REPORTS: dict[str, Callable[[GraphStore, str], Any]] = {
    "coverage": lambda s, scope: coverage_report(s, scope, at=DEMO_TODAY),
    **{name: planner.run for name, planner in PLANNERS.items()},
}


def _name(backend: Any) -> str:
    """A backend's name, from a plain name or a ``pytest.param``."""
    return str(backend.values[0] if hasattr(backend, "values") else backend)


#: Every backend but the reference (memory), with its marks.
OTHERS = [b for b in BACKENDS if _name(b) != "memory"]


@pytest.fixture(scope="module")
def reference() -> Iterator[GraphStore]:
    store = open_store("memory://")
    store.apply(demo_records(), actor="demo", operation="load_demo")
    yield store
    store.close()


@pytest.fixture(scope="module", params=OTHERS)
def other(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    store = open_fresh(backend_url(request.param, tmp_path_factory.mktemp("conformance")))
    try:
        store.apply(demo_records(), actor="demo", operation="load_demo")
        yield store
    finally:
        store.close()


# --- helpers --------------------------------------------------------------------------------


def difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """Where ``actual`` first differs from ``expected`` (None when equal)."""
    if expected == actual:
        return None
    if type(expected) is not type(actual):
        return f"{path or 'value'}: {expected!r} != {actual!r}"
    if dataclasses.is_dataclass(expected) and not isinstance(expected, type):
        for f in dataclasses.fields(expected):
            found = difference(
                getattr(expected, f.name), getattr(actual, f.name), f"{path}.{f.name}"
            )
            if found:
                return found
    elif isinstance(expected, list | tuple):
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} items != {len(actual)} items"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            found = difference(e, a, f"{path}[{i}]")
            if found:
                return found
    elif isinstance(expected, dict):
        if list(expected) != list(actual):
            return f"{path}: keys {list(expected)} != {list(actual)}"
        for k in expected:
            found = difference(expected[k], actual[k], f"{path}[{k!r}]")
            if found:
                return found
    return f"{path or 'value'}: {expected!r} != {actual!r}"


def assert_same(expected: Any, actual: Any, what: str) -> None:
    assert actual == expected, f"{what}: {difference(expected, actual)}"


def round_trips(store: GraphStore) -> int | None:
    """The store's count of server round trips, when it keeps one."""
    count = getattr(store, "round_trips", None)
    return count if isinstance(count, int) else None


def costed(store: GraphStore, call: Callable[[GraphStore], Any]) -> tuple[Any, int | None]:
    """``call(store)`` and the round trips it cost (None on a store that does not count)."""
    before = round_trips(store)
    answer = call(store)
    after = round_trips(store)
    return answer, None if before is None or after is None else after - before


def check_responsible(reference: GraphStore, other: GraphStore, what: str, **query: Any) -> None:
    expected = responsible_for(reference, at=DEMO_TODAY, **query)
    actual, cost = costed(other, lambda s: responsible_for(s, at=DEMO_TODAY, **query))
    assert_same(expected, actual, what)
    assert cost in (None, 1), f"{what}: responsible_for cost {cost} round trips, not 1"


def places(store: GraphStore, level: Level) -> list[Place]:
    return [p for p in store.scan(Place) if p.level is level]


def category_codes(store: GraphStore) -> list[str]:
    return [c.code for c in store.scan(Category)]


def planning_scopes(store: GraphStore) -> list[str]:
    """The demo county, every township (the allied counties' too) and the regions above."""
    townships = [t.code for t in places(store, Level.TOWNSHIP)]
    above = [p.code for p in ancestors(store, Place, DEMO_COUNTY)]  # prefecture, province
    return [DEMO_COUNTY, *townships, *above]


def assert_cheap(costs: dict[str, int | None], what: str) -> None:
    """Every cost at most ``COVERAGE_ROUND_TRIPS`` (nothing to check on a store not counting)."""
    if costs[DEMO_COUNTY] is None:
        return
    too_many = {k: v for k, v in costs.items() if v is None or v > COVERAGE_ROUND_TRIPS}
    assert not too_many, (
        f"{what} reports must cost at most {COVERAGE_ROUND_TRIPS} round trips whatever the "
        f"region (county: {costs[DEMO_COUNTY]}); over: {too_many}"
    )


# --- tests ----------------------------------------------------------------------------------


def test_conformance_same_records(reference: GraphStore, other: GraphStore) -> None:
    for kind, cls in KINDS.items():
        expected = list(reference.scan(cls))
        assert other.count(cls) == len(expected), kind
        actual = list(other.scan(cls))
        assert [r.key for r in actual] == [r.key for r in expected], kind
        for e, a in zip(expected, actual, strict=True):
            assert_same(e, a, f"{kind} {e.key}")


def test_conformance_responsible_for_every_village_and_category(
    reference: GraphStore, other: GraphStore
) -> None:
    villages = places(reference, Level.VILLAGE)
    categories: list[str | None] = [None, *category_codes(reference)]
    assert len(villages) > 100 and len(categories) > 10
    for village in villages:
        for category in categories:
            check_responsible(
                reference,
                other,
                f"village {village.code} {village.name}, category {category}",
                place=village.code,
                category=category,
            )


def test_conformance_responsible_for_lowest_tier_grids(
    reference: GraphStore, other: GraphStore
) -> None:
    grids = list(reference.scan(Grid))
    lowest = max(g.tier for g in grids)
    every = [g.code for g in grids if g.tier == lowest]
    assert len(every) > 1000
    for code in every:
        check_responsible(reference, other, f"grid {code}", grid=code)
    # With a category too, on a sample that includes the grids with planted vacant seats.
    sample = set(every[:: max(1, len(every) // GRID_SAMPLE)])
    for post_id in demo_gaps().vacant_grid_posts:
        post = reference.get(Post, post_id)
        assert post is not None and post.grid is not None
        sample.add(post.grid)
    categories = category_codes(reference)
    for i, code in enumerate(sorted(sample)):
        category = categories[i % len(categories)]
        check_responsible(
            reference, other, f"grid {code}, category {category}", grid=code, category=category
        )


def test_conformance_responsible_for_every_hamlet(reference: GraphStore, other: GraphStore) -> None:
    hamlets = places(reference, Level.HAMLET)
    categories = category_codes(reference)
    assert len(hamlets) > 500
    uncovered = set(demo_gaps().uncovered_hamlets)
    assert uncovered <= {h.code for h in hamlets}  # the hamlets no grid covers are among them
    for i, hamlet in enumerate(hamlets):
        category = categories[i % len(categories)]  # every category, spread over the hamlets
        check_responsible(
            reference,
            other,
            f"hamlet {hamlet.code} {hamlet.name}, category {category}",
            place=hamlet.code,
            category=category,
        )


def test_conformance_unknown_subjects_are_not_found_everywhere(
    reference: GraphStore, other: GraphStore
) -> None:
    village = places(reference, Level.VILLAGE)[0].code
    for query in (
        {"place": "451225999999"},
        {"grid": "G-NOWHERE"},
        {"place": village, "category": "C-NOWHERE"},
    ):
        with pytest.raises(NotFound) as expected:
            responsible_for(reference, at=DEMO_TODAY, **query)
        with pytest.raises(NotFound) as actual:
            responsible_for(other, at=DEMO_TODAY, **query)
        assert str(actual.value) == str(expected.value), query
    with pytest.raises(NotFound):
        coverage_report(other, "451225999000", at=DEMO_TODAY)


def test_conformance_coverage_for_the_county_and_every_township(
    reference: GraphStore, other: GraphStore
) -> None:
    own = {p.code for p in reference.referrers(Place, "parent", DEMO_COUNTY)}
    assert len(own) > 5
    costs: dict[str, int | None] = {}
    for scope in planning_scopes(reference):
        expected = coverage_report(reference, scope, at=DEMO_TODAY)
        actual, costs[scope] = costed(
            other, lambda s, scope=scope: coverage_report(s, scope, at=DEMO_TODAY)
        )
        assert_same(expected, actual, f"coverage of {scope}")
        assert expected.entries or scope not in own, scope  # the demo's have something in them
    assert_cheap(costs, "coverage")


@pytest.mark.parametrize("name", list(PLANNERS))
def test_conformance_planners_reports_for_the_county_and_every_township(
    reference: GraphStore, other: GraphStore, name: str
) -> None:
    planner = PLANNERS[name]
    costs: dict[str, int | None] = {}
    for scope in planning_scopes(reference):
        expected = planner.run(reference, scope)
        actual, costs[scope] = costed(other, lambda s, scope=scope: planner.run(s, scope))
        assert_same(expected, actual, f"{name} of {scope}")
        if scope == DEMO_COUNTY:
            assert planner.finds(expected), f"{name} of the demo county finds nothing"
    assert_cheap(costs, name)


@pytest.mark.parametrize(
    "other", [b for b in OTHERS if _name(b) == "neo4j"], indirect=True
)  # the stores that prefetch a region
def test_conformance_planners_reports_read_only_the_prefetched_region(other: GraphStore) -> None:
    """On a store that prefetches a region, no report reads anything the prefetch left out
    (every read served by the view: no miss, no round trip beyond the prefetch's)."""
    assert isinstance(planning_store(other, DEMO_COUNTY), PrefetchView)
    misses: dict[tuple[str, str], int] = {}
    for scope in planning_scopes(other):
        for name, run in REPORTS.items():
            view = planning_store(other, scope)
            assert isinstance(view, PrefetchView)
            run(view, scope)
            if view.misses:
                misses[(name, scope)] = view.misses
    assert not misses, f"reads the region prefetch did not cover: {misses}"
