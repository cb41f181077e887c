"""Worker load: how many grids, places and households each grid worker looks after.

A worker is a person holding, at ``at``, a seat of the worker role (``grid_worker``) at a grid
of the region. Their load is the number of such grids, the places those grids cover, and the
grids' households. For each measure the report gives the spread (min, median, 90th percentile,
max, mean) and Tukey's upper fence (Q3 + 1.5 × IQR); a worker above any fence is an outlier.

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> w = workload_report(sample_store(), "451225000000", SAMPLE_TODAY)
>>> [(x.person.name, x.grids, x.places) for x in w.workers]
[('韦小红', ('G451225-001-01-01',), 1)]
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from registry.model import Coverage, Holding, Person, Post, in_force
from registry.queries.region import Region, planning_store, region_of
from registry.queries.territory import WORKER_ROLE
from registry.store.base import GraphStore

__all__ = ["Spread", "WorkerLoad", "Workload", "spread", "workload_report"]


@dataclass(frozen=True, slots=True)
class WorkerLoad:
    """One worker's load."""

    person: Person
    grids: tuple[str, ...]
    places: int
    households: int


@dataclass(frozen=True, slots=True)
class Spread:
    """How a measure spreads over the workers."""

    minimum: float
    median: float
    p90: float
    maximum: float
    mean: float
    fence: float  # Tukey's upper fence: Q3 + 1.5 * IQR


@dataclass(frozen=True, slots=True)
class Workload:
    """Worker load in a region."""

    workers: tuple[WorkerLoad, ...]  # most households first
    grids: Spread
    places: Spread
    households: Spread
    outliers: tuple[WorkerLoad, ...]


def spread(values: list[int]) -> Spread:
    """The spread of ``values`` (all zeros when empty).

    >>> spread([1, 1, 1, 2, 9]).fence
    3.5
    """
    if not values:
        return Spread(0, 0, 0, 0, 0, 0)
    ordered = sorted(values)
    if len(ordered) == 1:
        v = float(ordered[0])
        return Spread(v, v, v, v, v, v)
    q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    deciles = statistics.quantiles(ordered, n=10, method="inclusive")
    return Spread(
        minimum=float(ordered[0]),
        median=float(statistics.median(ordered)),
        p90=float(deciles[-1]),
        maximum=float(ordered[-1]),
        mean=statistics.fmean(ordered),
        fence=q3 + 1.5 * (q3 - q1),
    )


def workload_report(
    store: GraphStore, scope: str, at: date, worker_role: str = WORKER_ROLE
) -> Workload:
    """Worker load in ``scope`` at ``at``."""
    store = planning_store(store, scope)
    return workload_of(store, region_of(store, scope, at), worker_role)


def workload_of(store: GraphStore, region: Region, worker_role: str = WORKER_ROLE) -> Workload:
    """Worker load in a region already read."""
    at = region.at
    grids = {g.code: g for g in region.grids}
    codes = sorted(grids)
    posts = [
        p
        for found in store.referrers_many(Post, "grid", codes)
        for p in found
        if p.role == worker_role and in_force(p, at)
    ]
    held = store.referrers_many(Holding, "post", [p.id for p in posts])
    by_person: dict[str, set[str]] = {}
    for post, holdings in zip(posts, held, strict=True):
        for h in holdings:
            if in_force(h, at) and post.grid is not None:
                by_person.setdefault(h.person, set()).add(post.grid)
    covered = dict(zip(codes, store.referrers_many(Coverage, "grid", codes), strict=True))
    people = dict(zip(by_person, store.get_many(Person, list(by_person)), strict=True))
    loads: list[WorkerLoad] = []
    for pid, mine in by_person.items():
        person = people[pid]
        if person is None:
            continue
        places = {c.place for g in mine for c in covered[g] if in_force(c, at)}
        households = sum(grids[g].households or 0 for g in mine)
        loads.append(WorkerLoad(person, tuple(sorted(mine)), len(places), households))
    loads.sort(key=lambda w: (-w.households, -len(w.grids), w.person.id))
    s_grids = spread([len(w.grids) for w in loads])
    s_places = spread([w.places for w in loads])
    s_households = spread([w.households for w in loads])
    outliers = tuple(
        w
        for w in loads
        if len(w.grids) > s_grids.fence
        or w.places > s_places.fence
        or w.households > s_households.fence
    )
    return Workload(tuple(loads), s_grids, s_places, s_households, outliers)
