"""Territorial completeness: is every place covered by exactly one lowest-level grid, and is
every grid's chain whole?

* ``uncovered``: places at the level each county's lowest grid tier maps to (``GridTier``) that no
  lowest-tier grid covers;
* ``double_covered``: such places covered by lowest-tier grids of two or more different parents
  (several sibling grids splitting one place is normal: micro-grids of a large hamlet);
* ``overlapping``: pairs of grids of the same tier whose stored boundaries overlap (more than
  1 m²; sharing a border is not overlapping);
* ``broken_chains``: grids whose parent is unknown or not in force, whose parent's tier is not one
  less (a skipped tier), or that have no parent below tier 1;
* ``without_worker``: lowest-tier grids where nobody holds a worker seat (role ``grid_worker``
  by default) at ``at``.

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> t = territory_report(sample_store(), "451225000000", SAMPLE_TODAY)
>>> [p.code for p in t.uncovered], t.broken_chains, [g.code for g in t.without_worker]
(['451225100201-002'], (), [])
>>> t.double_covered, t.overlapping
((), ())
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registry.model import Boundary, Grid, Holding, Place, Post, in_force
from registry.queries.coverage import lowest_cover, lowest_grids
from registry.queries.locate import boundary_index
from registry.queries.region import Region, planning_store, region_of
from registry.store.base import GraphStore

__all__ = [
    "WORKER_ROLE",
    "BrokenChain",
    "DoubleCover",
    "Overlap",
    "Territory",
    "territory_report",
]

#: The role of the worker every lowest-level grid needs.
WORKER_ROLE = "grid_worker"


@dataclass(frozen=True, slots=True)
class DoubleCover:
    """A place covered by more than one lowest-tier grid."""

    place: Place
    grids: tuple[Grid, ...]


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two grids of one tier whose boundaries overlap, and by how much."""

    first: Grid
    second: Grid
    square_metres: float


@dataclass(frozen=True, slots=True)
class BrokenChain:
    """A grid whose chain upward is broken, and why."""

    grid: Grid
    reason: str  # missing_parent | parent_not_in_force | skips_tier | no_parent


@dataclass(frozen=True, slots=True)
class Territory:
    """Territorial completeness of a region."""

    uncovered: tuple[Place, ...]
    double_covered: tuple[DoubleCover, ...]
    overlapping: tuple[Overlap, ...]
    broken_chains: tuple[BrokenChain, ...]
    without_worker: tuple[Grid, ...]


def territory_report(
    store: GraphStore, scope: str, at: date, worker_role: str = WORKER_ROLE
) -> Territory:
    """Territorial completeness of ``scope`` at ``at``."""
    store = planning_store(store, scope)
    return territory_of(store, region_of(store, scope, at), worker_role)


def territory_of(store: GraphStore, region: Region, worker_role: str = WORKER_ROLE) -> Territory:
    """Territorial completeness of a region already read."""
    at = region.at
    cover = lowest_cover(store, region)
    grids = {g.code: g for g in region.grids}
    places = {p.code: p for p in region.places}
    doubles = [
        DoubleCover(places[code], tuple(grids[g] for g in found))
        for code, found in cover.items()
        if len({grids[g].parent for g in found}) > 1
    ]
    broken: list[BrokenChain] = []
    for g in region.grids:
        reason = _broken(store, g, at)
        if reason is not None:
            broken.append(BrokenChain(g, reason))
    lowest = sorted(code for codes, _ in lowest_grids(store, region).values() for code in codes)
    posts = store.referrers_many(Post, "grid", lowest)
    idle: list[Grid] = []
    for code, found in zip(lowest, posts, strict=True):
        seats = [p.id for p in found if p.role == worker_role and in_force(p, at)]
        held = store.referrers_many(Holding, "post", seats)
        if not any(in_force(h, at) for hs in held for h in hs):
            idle.append(grids[code])
    return Territory(
        uncovered=tuple(p for p in region.places if cover.get(p.code) == []),
        double_covered=tuple(doubles),
        overlapping=tuple(_overlaps(store, grids, at)),
        broken_chains=tuple(broken),
        without_worker=tuple(idle),
    )


def _overlaps(store: GraphStore, grids: dict[str, Grid], at: date) -> list[Overlap]:
    """Same-tier grids of the region whose boundaries overlap (the store's cached index)."""
    index = boundary_index(getattr(store, "base", store), at)

    def tier(b: Boundary) -> str | None:
        grid = grids.get(b.grid or "")
        return None if grid is None else str(grid.tier)

    out: list[Overlap] = []
    for a, b, m2 in index.overlapping(tier):
        first, second = grids.get(a.grid or ""), grids.get(b.grid or "")
        if first and second and first.code != second.code and first.tier == second.tier:
            out.append(Overlap(first, second, m2))
    return out


def _broken(store: GraphStore, grid: Grid, at: date) -> str | None:
    if grid.parent is None:
        return "no_parent" if grid.tier > 1 else None
    parent = store.get(Grid, grid.parent)
    if parent is None:
        return "missing_parent"
    if not in_force(parent, at):
        return "parent_not_in_force"
    if parent.tier != grid.tier - 1:
        return "skips_tier"
    return None
