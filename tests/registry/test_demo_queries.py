"""responsible and coverage on the demo county, on every backend, against what the demo planted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from loaders.demo import DEMO_TODAY, demo_gaps, load_demo
from registry.codes import Level
from registry.model import Grid, Holding, Place, Post, in_force
from registry.queries import TierKind, coverage_report, responsible_for
from registry.store import GraphStore
from tests.conftest import BACKENDS, backend_url, open_fresh

COUNTY = "451225000000"
SEVEN = {
    "police_assistant",
    "judge_assistant",
    "legal_adviser",
    "law_literate",
    "women_chair",
    "youth_secretary",
    "governance_officer",
}


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    store = open_fresh(backend_url(request.param, tmp_path_factory.mktemp("demo"), "demo"))
    try:
        load_demo(store)
        yield store
    finally:
        store.close()


def test_demo_coverage_reports_the_planted_gaps(demo: GraphStore) -> None:
    gaps = demo_gaps()
    report = coverage_report(demo, COUNTY, at=DEMO_TODAY)
    assert report.places_per_level[Level.VILLAGE] == 142
    assert report.grids_per_tier == dict(sorted(Counter(g.tier for g in demo.scan(Grid)).items()))
    assert report.grids_per_tier == {1: 143, 2: 725, 3: 1696}
    missing = {(e.subject, e.role) for e in report.entries if e.status == "missing"}
    assert missing == set(gaps.missing_seats)

    def seats(post_ids: tuple[str, ...]) -> set[tuple[str | None, str]]:
        posts = [demo.get(Post, p) for p in post_ids]
        return {(p.place or p.grid, p.role) for p in posts if p is not None}

    vacant = {(e.subject, e.role) for e in report.entries if e.status == "vacant"}
    assert vacant == seats((*gaps.vacant_posts, *gaps.vacant_grid_posts))
    expired = {(e.subject, e.role) for e in report.entries if e.status == "expired"}
    assert expired == seats(gaps.expired_posts)
    assert all(e.last_term_ended is not None for e in report.entries if e.status == "expired")
    assert {p.code for p in report.uncovered_places} == set(gaps.uncovered_hamlets)
    county = next(r for r in report.rollups if r.code == COUNTY)
    assert county.counts["missing"] == len(gaps.missing_seats)
    assert sum(r.counts["vacant"] for r in report.rollups if r.level is Level.TOWNSHIP) == len(
        vacant
    )
    # terms ending within 90 days are flagged, the others are filled
    soon = {e.term_ends for e in report.entries if e.status == "expiring"}
    assert soon and all(DEMO_TODAY <= d <= DEMO_TODAY + timedelta(days=90) for d in soon if d)
    assert county.fill_rate == county.met / county.total
    assert county.met == report.count("filled") + report.count("expiring")


def test_demo_responsible_for_every_village(demo: GraphStore) -> None:
    gaps = demo_gaps()
    vacant = {*gaps.vacant_posts, *gaps.expired_posts}
    missing = set(gaps.missing_seats)
    villages = [p for p in demo.scan(Place) if p.level is Level.VILLAGE]
    assert len(villages) == 142
    for village in villages:
        ans = responsible_for(demo, place=village.code, at=DEMO_TODAY)
        seats = [s for t in ans.tiers if t.kind is TierKind.VILLAGE for s in t.seats]
        roles = {s.role_code for s in seats}
        assert roles == {r for r in SEVEN if (village.code, r) not in missing}, village.code
        for seat in seats:
            assert seat.post is not None
            assert (seat.status == "vacant") == (seat.post.id in vacant), seat.post.id
        centres = [t for t in ans.tiers if t.kind is TierKind.CENTRE]
        assert centres[-1].organization is not None
        assert centres[-1].organization.level is Level.COUNTY


def test_demo_responsible_category_roles_and_departments(demo: GraphStore) -> None:
    hamlet = next(
        p
        for p in demo.scan(Place)
        if p.level is Level.HAMLET and p.code not in demo_gaps().uncovered_hamlets
    )
    ans = responsible_for(demo, place=hamlet.code, category="C2.2", at=DEMO_TODAY)
    assert ans.tiers[0].kind is TierKind.GRID and ans.tiers[0].found == "listed"
    assert ans.tiers[0].grid is not None and ans.tiers[0].grid.tier == 3
    village_roles = [s.role_code for t in ans.tiers if t.kind is TierKind.VILLAGE for s in t.seats]
    category = ans.category
    assert category is not None and village_roles == list(category.roles or ())
    assert [t.kind for t in ans.tiers].count(TierKind.DEPARTMENT) >= 1


def test_demo_grid_workers_in_force(demo: GraphStore) -> None:
    holdings = list(demo.scan(Holding))
    posts = demo.get_many(Post, [h.post for h in holdings])
    workers = set()
    for h, post in zip(holdings, posts, strict=True):
        if post is not None and post.role == "grid_worker" and in_force(h, DEMO_TODAY):
            workers.add(h.person)
    assert len(workers) == 1720
