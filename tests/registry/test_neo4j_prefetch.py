"""The Neo4j prefetch of ``responsible_for``: everything the query reads comes back in one round
trip (the query then runs on the view without a single miss), and a batch of requests
(``responsible_many``) costs one round trip per ``RESPONSIBLE_CHUNK`` requests, answering exactly
like the in-memory store.

Runs on the demo county at ``$GRIDREG_TEST_NEO4J_URL`` (fails in CI and is skipped elsewhere when
it is not set); the reference is the in-memory store holding the same demo.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from loaders.demo import DEMO_TODAY, demo_gaps, demo_records
from registry.codes import Level
from registry.errors import GridregError, NotFound
from registry.model import Category, Grid, Place, Post
from registry.queries import locate
from registry.queries.responsibility import (
    MAX_BATCH,
    Point,
    Responsibility,
    RoutingRequest,
    responsible_for,
    responsible_many,
)
from registry.store import GraphStore, open_store
from registry.store.neo4j_store import RESPONSIBLE_CHUNK, Neo4jStore
from tests.conftest import neo4j_url, open_fresh
from tests.registry.test_conformance import assert_same

pytestmark = pytest.mark.neo4j

#: Round trips a batch may cost beyond one per chunk.
SLACK = 2

Key = tuple[str | None, str | None, str | None]
Answer = Responsibility | GridregError


@pytest.fixture(scope="module")
def reference() -> Iterator[GraphStore]:
    store = open_store("memory://")
    store.apply(demo_records(), actor="demo", operation="load_demo")
    yield store
    store.close()


@pytest.fixture(scope="module")
def neo4j() -> Iterator[Neo4jStore]:
    store = open_fresh(neo4j_url())
    assert isinstance(store, Neo4jStore)
    try:
        store.apply(demo_records(), actor="demo", operation="load_demo")
        yield store
    finally:
        store.close()


# --- helpers --------------------------------------------------------------------------------


def _categories(store: GraphStore) -> list[str]:
    return [c.code for c in store.scan(Category)]


def sample_keys(store: GraphStore) -> list[Key]:
    """(place, grid, category) requests touching every kind of read: villages, hamlets (the
    uncovered ones too), grids of every tier (those with planted vacant seats too), every
    category and none, and unknown places, grids and categories."""
    categories: list[str | None] = [None, *_categories(store)]
    places = list(store.scan(Place))
    grids = list(store.scan(Grid))
    gaps = demo_gaps()
    keys: list[Key] = []
    villages = [p.code for p in places if p.level is Level.VILLAGE]
    for i, code in enumerate(villages[::5]):
        keys.append((code, None, categories[i % len(categories)]))
    for code, _role in gaps.missing_seats:  # missing seats: a role read with no seat
        keys.extend((code, None, c) for c in categories)
    hamlets = [p.code for p in places if p.level is Level.HAMLET]
    for i, code in enumerate([*hamlets[::20], *gaps.uncovered_hamlets]):
        keys.append((code, None, categories[i % len(categories)]))
    for p in places:  # the township without a centre, the county and above
        if p.level is not Level.VILLAGE and p.level is not Level.HAMLET:
            keys.append((p.code, None, categories[len(keys) % len(categories)]))
    chosen = [g.code for g in grids[::40]]
    for post_id in gaps.vacant_grid_posts:
        post = store.get(Post, post_id)
        assert post is not None and post.grid is not None
        chosen.append(post.grid)
    for i, code in enumerate(chosen):
        keys.append((None, code, None))
        keys.append((None, code, categories[i % len(categories)]))
    keys += [("451225999999", None, None), (None, "G-NOWHERE", "C3.1")]
    keys.append((villages[0], None, "C-NOWHERE"))
    return list(dict.fromkeys(keys))


def mixed_requests(store: GraphStore, n: int, seed: int) -> list[RoutingRequest]:
    """``n`` requests: places and grids of every tier with or without a category, unknown
    places, grids and categories, repeats, and a few invalid requests (two subjects)."""
    rng = random.Random(seed)
    places = [p.code for p in store.scan(Place) if p.level in (Level.VILLAGE, Level.HAMLET)]
    grids = [g.code for g in store.scan(Grid)]
    categories: list[str | None] = [None, *_categories(store)]
    out = [  # at least one of each error
        RoutingRequest(place="451225999999", at=DEMO_TODAY),
        RoutingRequest(grid="G-NOWHERE", category="C3.1", at=DEMO_TODAY),
        RoutingRequest(place=places[0], category="C-NOWHERE", at=DEMO_TODAY),
        RoutingRequest(place=places[0], grid=grids[0], at=DEMO_TODAY),
    ]
    while len(out) < n:
        category = rng.choice(categories)
        roll = rng.random()
        if roll < 0.5:
            out.append(RoutingRequest(place=rng.choice(places), category=category, at=DEMO_TODAY))
        elif roll < 0.88:
            out.append(RoutingRequest(grid=rng.choice(grids), category=category, at=DEMO_TODAY))
        elif roll < 0.93:
            out.append(RoutingRequest(place=f"451225999{len(out):03d}", at=DEMO_TODAY))
        elif roll < 0.95:
            out.append(RoutingRequest(grid=f"G-NOWHERE-{len(out)}", at=DEMO_TODAY))
        elif roll < 0.97:
            out.append(
                RoutingRequest(place=rng.choice(places), category="C-NOWHERE", at=DEMO_TODAY)
            )
        elif roll < 0.98:  # invalid: two subjects
            out.append(
                RoutingRequest(place=rng.choice(places), grid=rng.choice(grids), at=DEMO_TODAY)
            )
        else:  # a repeat
            out.append(rng.choice(out))
    rng.shuffle(out)
    return out


def answer(store: GraphStore, key: Key) -> Answer:
    place, grid, category = key
    try:
        return responsible_for(store, place=place, grid=grid, category=category, at=DEMO_TODAY)
    except GridregError as exc:
        return exc


def assert_same_answers(expected: Sequence[Answer], actual: Sequence[Answer], what: str) -> None:
    """Equal item by item: answers field by field, errors by type and code."""
    assert len(actual) == len(expected), what
    for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
        if isinstance(e, GridregError) or isinstance(a, GridregError):
            assert type(a) is type(e), f"{what} [{i}]: {a!r} != {e!r}"
            assert isinstance(a, GridregError) and isinstance(e, GridregError)
            assert a.code == e.code, f"{what} [{i}]"
        else:
            assert_same(e, a, f"{what} [{i}]")


def costed(store: Neo4jStore, call: Any) -> tuple[Any, int]:
    before = store.round_trips
    out = call()
    return out, store.round_trips - before


# --- one request --------------------------------------------------------------------------------


def test_prefetch_responsible_serves_every_read_of_responsible_for(
    reference: GraphStore, neo4j: Neo4jStore
) -> None:
    keys = sample_keys(reference)
    assert len(keys) > 200
    for key in keys:
        view, cost = costed(neo4j, lambda key=key: neo4j.prefetch_responsible(*key))
        assert cost == 1, key
        actual, cost = costed(neo4j, lambda view=view, key=key: answer(view, key))
        assert view.misses == 0, f"{key}: {view.misses} reads fell through to the server"
        assert cost == 0, key
        assert_same_answers([answer(reference, key)], [actual], f"{key}")


def test_prefetch_responsible_marks_unknown_subjects_missing(neo4j: Neo4jStore) -> None:
    village = next(p.code for p in neo4j.scan(Place) if p.level is Level.VILLAGE)
    for key in [("451225999999", None, None), (None, "G-NOWHERE", None), (village, None, "C-X")]:
        view = neo4j.prefetch_responsible(*key)
        with pytest.raises(NotFound):
            responsible_for(view, place=key[0], grid=key[1], category=key[2], at=DEMO_TODAY)
        assert view.misses == 0, key


# --- batches ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [300, MAX_BATCH])
def test_responsible_many_costs_a_round_trip_per_chunk_and_answers_like_memory(
    reference: GraphStore, neo4j: Neo4jStore, n: int
) -> None:
    requests = mixed_requests(reference, n, seed=n)
    assert len(requests) == n
    expected = responsible_many(reference, requests)
    actual, cost = costed(neo4j, lambda: responsible_many(neo4j, requests))
    assert cost <= math.ceil(n / RESPONSIBLE_CHUNK) + SLACK, f"{n} requests cost {cost} round trips"
    assert_same_answers(expected, actual, f"responsible_many of {n}")
    kinds = {type(x).__name__ for x in actual}
    assert kinds == {"Responsibility", "NotFound", "InvalidInput"}


def test_prefetch_responsible_many_serves_a_whole_batch_without_misses(
    reference: GraphStore, neo4j: Neo4jStore
) -> None:
    requests = mixed_requests(reference, 300, seed=7)
    keys = [(r.place, r.grid, r.category) for r in requests]
    view, cost = costed(neo4j, lambda: neo4j.prefetch_responsible_many(keys))
    assert cost == math.ceil(len(set(keys)) / RESPONSIBLE_CHUNK)
    actual = responsible_many(view, requests)  # the view itself has no batch prefetch
    assert view.misses == 0
    assert_same_answers(responsible_many(reference, requests), actual, "on the batch view")


def test_prefetch_responsible_many_of_nothing_costs_nothing(neo4j: Neo4jStore) -> None:
    view, cost = costed(neo4j, lambda: neo4j.prefetch_responsible_many([]))
    assert cost == 0 and view.misses == 0


# --- points: the boundary index and a frozen snapshot of the chains -------------------------


def test_points_cost_one_round_trip_to_locate_and_one_more_to_route(
    neo4j: Neo4jStore, reference: GraphStore
) -> None:
    locate(neo4j, 108.9, 24.78, at=DEMO_TODAY)  # builds the index and the snapshot
    rng = random.Random(7)
    for _ in range(20):
        lon, lat = rng.uniform(108.6, 109.1), rng.uniform(24.7, 25.2)
        before = neo4j.round_trips
        where = locate(neo4j, lon, lat, at=DEMO_TODAY)
        assert neo4j.round_trips - before == 1  # the data version check only
        assert where == locate(reference, lon, lat, at=DEMO_TODAY)
        before = neo4j.round_trips
        ans = responsible_for(neo4j, point=Point(lon, lat), category="C2.1", at=DEMO_TODAY)
        assert neo4j.round_trips - before == 2  # data version, then the prefetch
        expected = responsible_for(reference, point=Point(lon, lat), category="C2.1", at=DEMO_TODAY)
        assert_same(ans, expected, f"point {lon},{lat}")


def test_a_batch_of_points_costs_the_version_checks_and_one_prefetch(
    neo4j: Neo4jStore, reference: GraphStore
) -> None:
    rng = random.Random(8)
    requests = [
        RoutingRequest(
            point=Point(rng.uniform(108.6, 109.1), rng.uniform(24.7, 25.2)),
            category=rng.choice(["C2.1", "C3.4", None]),
            at=DEMO_TODAY,
        )
        for _ in range(50)
    ]
    responsible_many(neo4j, requests[:1])  # warm
    before = neo4j.round_trips
    answers = responsible_many(neo4j, requests)
    assert neo4j.round_trips - before <= len(requests) + 1
    for got, expected in zip(answers, responsible_many(reference, requests), strict=True):
        assert got == expected


# --- answers kept per data version ------------------------------------------------------------


def test_a_repeated_request_is_kept_until_any_process_writes(
    neo4j: Neo4jStore, reference: GraphStore
) -> None:
    village = next(p for p in neo4j.scan(Place) if p.level is Level.VILLAGE)

    def ask() -> Responsibility:
        return responsible_for(neo4j, place=village.code, category="C3.1", at=DEMO_TODAY)

    first = ask()
    again, cost = costed(neo4j, ask)
    assert cost == 1 and again is first  # the server's data version is unchanged: kept
    other = Neo4jStore(neo4j_url())  # another process or host writing to the same server
    try:
        other.apply([dataclasses.replace(village, name=village.name + "（新）")])
        renamed, cost = costed(neo4j, ask)
        assert cost == 1 and renamed is not first
        assert renamed.place is not None and renamed.place.name == village.name + "（新）"
        other.apply([village])
        back = ask()
        assert back.place == village
        expected = responsible_for(reference, place=village.code, category="C3.1", at=DEMO_TODAY)
        assert_same(back, expected, village.code)
    finally:
        other.close()
