"""On Neo4j ``responsible`` requests share what they read about a county (and the regions above
it) and about a category (its handling rules: each county names its own departments), once per
data version, and still answer exactly like the in-memory store, with no read falling through:
a synthetic region of three counties. And handling rules naming other counties' departments
still count for the category."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loaders.synthetic import write_to_store
from loaders.synthetic_builder import TODAY
from registry.codes import Level
from registry.model import AnyRecord, Category, Handling, Organization, OrgKind, Place
from registry.queries.hierarchy import ancestors
from registry.queries.responsibility import TierKind, responsible_for
from registry.store import GraphStore, open_store
from registry.store.neo4j_store import Neo4jStore
from registry.testing import SAMPLE_TODAY, VILLAGE, sample_records
from tests.conftest import neo4j_url, open_fresh
from tests.registry.test_neo4j_prefetch import assert_same_answers

COUNTIES = 3
_KEPT = (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY)


@pytest.fixture(scope="module")
def stores() -> Iterator[tuple[GraphStore, Neo4jStore]]:
    memory = open_store("memory://")
    write_to_store(memory, "city", progress=False, counties=COUNTIES)
    neo4j = open_fresh(neo4j_url())
    assert isinstance(neo4j, Neo4jStore)
    try:
        write_to_store(neo4j, "city", progress=False, counties=COUNTIES)
        yield memory, neo4j
    finally:
        neo4j.close()
        memory.close()


def _places(store: GraphStore) -> list[str]:
    """A hamlet, a village and a township of each county."""
    out: list[str] = []
    places = sorted(store.scan(Place), key=lambda p: p.code)
    counties = [p.code for p in places if p.level is Level.COUNTY]
    assert len(counties) == COUNTIES
    for county in counties:
        for level in (Level.HAMLET, Level.VILLAGE, Level.TOWNSHIP):
            out.append(
                next(
                    p.code
                    for p in places
                    if p.level is level
                    and county in {a.code for a in ancestors(store, Place, p.code)}
                )
            )
    return out


def _county(store: GraphStore, code: str) -> str | None:
    chain = [store.get(Place, code), *ancestors(store, Place, code)]
    return next((p.code for p in chain if p is not None and p.level is Level.COUNTY), None)


def _spy(neo4j: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The rows of every statement ``neo4j`` sends from now on (the real server's)."""
    rows: list[dict[str, Any]] = []
    stream = neo4j._stream

    def recorded(query: str, **params: Any) -> list[dict[str, Any]]:
        out = stream(query, **params)
        rows.extend(out)
        return out

    monkeypatch.setattr(neo4j, "_stream", recorded)
    return rows


def _parts_read(rows: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    places = [part["key"] for row in rows for part in row.get("place_parts", ())]
    categories = [part["key"] for row in rows for part in row.get("category_parts", ())]
    return places, categories


@pytest.mark.neo4j
def test_requests_share_the_parts_of_their_counties_and_categories(
    stores: tuple[GraphStore, Neo4jStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every request is answered like the in-memory store, in one round trip with no miss; the
    part of a county (or a region above it), of a township and of a category is read once per
    data version, by the first request needing it, and every later request uses the kept
    one."""
    memory, neo4j = stores
    neo4j._parts = None
    rows = _spy(neo4j, monkeypatch)
    categories = sorted(c.code for c in memory.scan(Category) if "." in c.code)
    upper = {p.code for p in memory.scan(Place) if p.level in _KEPT}
    for place in _places(memory):
        for category in categories:
            before = neo4j.round_trips
            view = neo4j.prefetch_responsible(place, None, category)
            assert neo4j.round_trips - before == 1
            got = responsible_for(view, place=place, category=category, at=TODAY)
            assert view.misses == 0, (place, category)
            want = responsible_for(memory, place=place, category=category, at=TODAY)
            assert_same_answers([want], [got], f"{place} {category}")
    places_read, categories_read = _parts_read(rows)
    kept = [key for key in places_read if key in upper]
    assert sorted(kept) == sorted(set(kept)), "a county's part was read twice"
    assert set(kept) == upper  # counties, the prefecture and the province: each once
    parents = {c.split(".")[0] for c in categories}
    assert sorted(categories_read) == sorted({*categories, *parents})  # each once
    # A township's part is kept too (sent when the asked key names its county); a village's or
    # a hamlet's is read by every request needing it.
    townships = {p.code for p in memory.scan(Place) if p.level is Level.TOWNSHIP}
    read = [key for key in places_read if key in townships]
    assert read and sorted(read) == sorted(set(read)), "a township's part was read twice"
    assert len(places_read) - len(kept) - len(read) > len(_places(memory))


@pytest.mark.neo4j
def test_the_neighbourhood_read_alone_skips_only_the_parts_kept(
    stores: tuple[GraphStore, Neo4jStore],
) -> None:
    """``read_neighbourhood`` (what ``bench.suite`` times alone) is the prefetch's round trip:
    it keeps nothing itself; with ``skip_kept`` it leaves out the parts the store keeps (the
    county's, the township's, the category's), not the hamlet's or the village's; without, it
    reads every part, as a process that has answered nothing of this version."""
    memory, neo4j = stores
    neo4j._parts = None
    hamlet = _places(memory)[0]
    category = sorted(c.code for c in memory.scan(Category) if "." in c.code)[0]
    request = [(hamlet, None, category)]
    cold_places, cold_categories = _parts_read(neo4j.read_neighbourhood(request))
    assert neo4j._parts is None  # nothing kept by the read alone
    county = _county(memory, hamlet)
    assert hamlet in cold_places and county in cold_places and category in cold_categories
    neo4j.prefetch_responsible(hamlet, None, category)  # an answered request keeps its parts
    warm_places, warm_categories = _parts_read(neo4j.read_neighbourhood(request))
    assert hamlet in warm_places and county not in warm_places and not warm_categories
    assert set(warm_places) < set(cold_places)
    again = _parts_read(neo4j.read_neighbourhood(request, skip_kept=False))
    assert sorted(again[0]) == sorted(cold_places)
    assert sorted(again[1]) == sorted(cold_categories)


@pytest.mark.neo4j
def test_a_write_replaces_the_kept_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a write, the next request reads the parts again and sees the write (a new
    department of the county handling the category)."""
    store = open_fresh(neo4j_url())
    assert isinstance(store, Neo4jStore)
    memory = open_store("memory://")
    try:
        memory.apply(sample_records())
        store.apply(sample_records())
        place = f"{VILLAGE}-001"
        first = responsible_for(store, place=place, category="C3.1", at=SAMPLE_TODAY)
        assert first == responsible_for(memory, place=place, category="C3.1", at=SAMPLE_TODAY)
        rows = _spy(store, monkeypatch)
        other = f"{VILLAGE}-002"
        responsible_for(store, place=other, category="C3.1", at=SAMPLE_TODAY)
        places_read, categories_read = _parts_read(rows)
        county = _county(memory, place)
        assert county is not None
        assert county not in places_read and categories_read == []  # kept
        change: list[AnyRecord] = [
            Organization(
                code="451225-dept-new", name="罗城新局", kind=OrgKind.DEPARTMENT, place=county
            ),
            Handling(category="C3.1", organization="451225-dept-new"),
        ]
        memory.apply(change)
        store.apply(change)
        rows.clear()
        got = responsible_for(store, place=other, category="C3.1", at=SAMPLE_TODAY)
        assert got == responsible_for(memory, place=other, category="C3.1", at=SAMPLE_TODAY)
        names = [t.subject_name for t in got.tiers if t.kind is TierKind.DEPARTMENT]
        assert "罗城新局" in names
        places_read, categories_read = _parts_read(rows)
        assert county in places_read and "C3.1" in categories_read  # read again
    finally:
        memory.close()
        store.close()


def test_a_category_whose_rules_all_name_other_counties_keeps_them(
    empty_store: GraphStore,
) -> None:
    """A category whose handler rules (in force, or not in force at the date) name only
    another county's organizations still supplies the rules: no department of its class's
    rules is named instead, on every store."""
    store = empty_store
    past = SAMPLE_TODAY.replace(year=SAMPLE_TODAY.year - 1)
    other = "451226000000"
    store.apply(
        [
            *sample_records(),
            Place(code=other, name="环江毛南族自治县", level=Level.COUNTY, parent="451200000000"),
            Organization(
                code="451226-dept-a", name="环江甲局", kind=OrgKind.DEPARTMENT, place=other
            ),
            Organization(
                code="451226-dept-b", name="环江乙局", kind=OrgKind.DEPARTMENT, place=other
            ),
            Category(code="C4", name="其他"),
            Category(code="C4.1", name="其他一", parent="C4"),
            Category(code="C4.2", name="其他二", parent="C4"),
            Handling(category="C4", organization="451225-dept-environment"),
            Handling(category="C4.1", organization="451226-dept-a"),
            Handling(category="C4.2", organization="451226-dept-a", valid_to=past),
            Handling(category="C4.2", organization="451226-dept-b"),
        ]
    )
    place = f"{VILLAGE}-001"
    for category in ("C4.1", "C4.2"):
        got = responsible_for(store, place=place, category=category, at=SAMPLE_TODAY)
        names = [t.subject_name for t in got.tiers if t.kind is TierKind.DEPARTMENT]
        assert names == [], (category, names)
    parent = responsible_for(store, place=place, category="C4", at=SAMPLE_TODAY)
    assert [t.subject_name for t in parent.tiers if t.kind is TierKind.DEPARTMENT] == [
        "河池市生态环境局罗城分局"
    ]
