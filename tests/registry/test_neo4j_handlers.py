"""On Neo4j a ``responsible`` request reads only the handling rules that can act for it (each
county has its own departments named by a category's rules), and still answers exactly like
the in-memory store, with no read falling through: a synthetic region of three counties."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loaders.synthetic import write_to_store
from loaders.synthetic_builder import TODAY
from registry.codes import Level
from registry.model import Category, Handling, Organization, OrgKind, Place
from registry.queries.hierarchy import ancestors
from registry.queries.responsibility import TierKind, responsible_for
from registry.store import GraphStore, open_store
from registry.store.neo4j_store import Neo4jStore
from registry.testing import SAMPLE_TODAY, VILLAGE, sample_records
from tests.conftest import neo4j_url, open_fresh
from tests.registry.test_neo4j_prefetch import assert_same_answers

COUNTIES = 3


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


def _home(store: GraphStore, rule: Handling) -> str | None:
    """The county of the organization ``rule`` names (None: it names none)."""
    org = store.get(Organization, rule.organization) if rule.organization else None
    return None if org is None else _county(store, org.place)


@pytest.mark.neo4j
def test_a_request_reads_only_the_rules_that_can_act_for_it(
    stores: tuple[GraphStore, Neo4jStore],
) -> None:
    """Of the rules naming another county's organization, at most one per category of the
    chain is read (it shows that the category has handler rules in force); the answers are the
    in-memory store's, read in one round trip with no miss."""
    memory, neo4j = stores
    categories = sorted(c.code for c in memory.scan(Category) if "." in c.code)
    every_rule = {c: len(memory.referrers(Handling, "category", c)) for c in categories}
    assert max(every_rule.values()) >= 3 * COUNTIES  # each county names its own departments
    fetched = total = 0
    for place in _places(memory):
        county = _county(memory, place)
        for category in categories:
            view = neo4j.prefetch_responsible(place, None, category)
            got = responsible_for(view, place=place, category=category, at=TODAY)
            assert view.misses == 0, (place, category)
            want = responsible_for(memory, place=place, category=category, at=TODAY)
            assert_same_answers([want], [got], f"{place} {category}")
            rules = view.records(Handling)
            foreign = [h for h in rules if _home(memory, h) not in (None, county)]
            assert len(foreign) <= 2, (place, category, [h.key for h in foreign])
            fetched += len(rules)
            parent = category.split(".")[0]
            total += every_rule[category] + len(memory.referrers(Handling, "category", parent))
    assert fetched < total, (fetched, total)


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
