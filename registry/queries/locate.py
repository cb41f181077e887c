"""Point lookup: which grid, which grids above it and which places a map point lies in.

``locate(store, lon, lat, crs, at, near_metres)`` converts the point to WGS-84 (``crs`` "GCJ02"
for points from Chinese web maps), then looks it up in the boundaries in force at ``at``:

* ``inside``: the point lies in exactly one grid of the lowest tier found there (the highest
  tier number among the grids containing it), and no other grid of that tier is within
  ``near_metres``;
* ``border``: the point is on the border between grids of that tier, or within
  ``near_metres`` of another grid of that tier; ``candidates`` lists the other grids with their
  distance and a reason ("on the shared border", "within 12 m");
* ``uncovered``: no grid contains the point; ``nearest`` lists up to 3 grids with their
  distances (never an error).

**Tie-break.** A point on the shared border of several grids of the lowest tier lies in all of
them; the grid with the smallest code is chosen, the others become candidates at 0 m.

The grid chain is the chosen grid and its parents; the place chain starts at the deepest place
known for the point, from the place boundaries containing it (geometric) or the places the chosen
grid covers (listed; several listed places resolve to their nearest common ancestor; a listed
place is used only when it lies within the geometric one), followed by its ancestors. Every link
says how it was found: ``geometric`` (its own boundary contains the point) or ``listed`` (taken
from the registry: the grid tree, the grid's coverage or the place tree).

The boundary index (an STRtree) is built once per store, data version and ``at``, and rebuilt
only after a write (``GraphStore.data_version``).

>>> from registry.testing import sample_store, square
>>> store = sample_store()
>>> _ = store.apply([square("B-G1", 108.0, 24.0, 108.1, 24.1, grid="G451225-001")])
>>> loc = locate(store, 108.05, 24.05)
>>> loc.status, loc.grid.code, [link.found for link in loc.place_chain][:2]
('inside', 'G451225-001', ['listed', 'listed'])
>>> locate(store, 109.0, 24.05).status
'uncovered'
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar

from registry.geo import BoundaryIndex, Hit, to_wgs84
from registry.model import Boundary, Coverage, Grid, Place, in_force
from registry.queries.hierarchy import ancestors, today
from registry.store.base import GraphStore
from registry.store.prefetch import PrefetchView

__all__ = [
    "GridLink",
    "Location",
    "NearGrid",
    "PlaceLink",
    "boundary_index",
    "locate",
]

Found = Literal["geometric", "listed"]
Status = Literal["inside", "border", "uncovered"]
NEAREST = 3
T = TypeVar("T", Grid, Place)


@dataclass(frozen=True, slots=True)
class GridLink:
    """A grid of the chain and how it was found."""

    grid: Grid
    found: Found


@dataclass(frozen=True, slots=True)
class PlaceLink:
    """A place of the chain and how it was found."""

    place: Place
    found: Found


@dataclass(frozen=True, slots=True)
class NearGrid:
    """A grid near the point: a border candidate or one of the nearest grids."""

    grid: Grid
    distance_m: float
    reason: str


@dataclass(frozen=True, slots=True)
class Location:
    """Where a point lies."""

    lon: float
    lat: float
    crs: str
    wgs84_lon: float
    wgs84_lat: float
    at: date
    near_metres: float
    status: Status
    grid: Grid | None
    grid_chain: tuple[GridLink, ...]
    place_chain: tuple[PlaceLink, ...]
    candidates: tuple[NearGrid, ...]
    nearest: tuple[NearGrid, ...]


# --- the index cache ------------------------------------------------------------------------

_AT_PER_STORE = 8
_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[
    GraphStore, tuple[int, dict[date, tuple[BoundaryIndex, GraphStore]]]
] = weakref.WeakKeyDictionary()


def boundary_index(store: GraphStore, at: date) -> BoundaryIndex:
    """The index of the boundaries in force at ``at`` (cached per store, data version and
    ``at``; a write to the store makes the next call rebuild it)."""
    return _located(store, at)[0]


def _located(store: GraphStore, at: date) -> tuple[BoundaryIndex, GraphStore]:
    """The boundary index and the store to read the chains from: on a remote store, a frozen
    snapshot of every grid and place that has a boundary, their ancestors and the grids'
    coverage, built with the index (a few round trips per data version, then none per point)."""
    version = store.data_version()
    with _lock:
        cached = _cache.get(store)
        if cached is not None and cached[0] == version and at in cached[1]:
            return cached[1][at]
    boundaries = [b for b in store.scan(Boundary) if in_force(b, at)]
    built = (BoundaryIndex(boundaries), _snapshot(store, boundaries) if store.remote else store)
    with _lock:
        cached = _cache.get(store)
        by_at = cached[1] if cached is not None and cached[0] == version else {}
        if len(by_at) >= _AT_PER_STORE:
            by_at.pop(next(iter(by_at)))
        by_at[at] = built
        _cache[store] = (version, by_at)
    return built


def _snapshot(store: GraphStore, boundaries: Sequence[Boundary]) -> PrefetchView:
    view = PrefetchView(store)
    grids = sorted({b.grid for b in boundaries if b.grid is not None})
    places = sorted({b.place for b in boundaries if b.place is not None})
    view.fetch(Grid, grids)
    view.fetch_referrers(Coverage, "grid", grids)
    covered = [c.place for found in view.referrers_many(Coverage, "grid", grids) for c in found]
    view.fetch(Place, sorted({*places, *covered}))
    _fetch_ancestors(view, Grid)
    _fetch_ancestors(view, Place)
    return view.freeze()


def _fetch_ancestors(view: PrefetchView, kind: type[T]) -> None:
    """Fetch the ancestors of every ``kind`` record held, one level per round trip."""
    level = sorted({r.parent for r in view.records(kind) if r.parent is not None})
    while level:
        view.fetch(kind, level)
        parents = {p.parent for p in view.get_many(kind, level) if p and p.parent is not None}
        level = sorted(k for k in parents if not view.has(kind, k))


# --- the query ------------------------------------------------------------------------------


def locate(
    store: GraphStore,
    lon: float,
    lat: float,
    crs: str = "WGS84",
    at: date | None = None,
    near_metres: float = 50.0,
) -> Location:
    """Where the point ``(lon, lat)`` (in ``crs``) lies at ``at`` (default today)."""
    at = at or today()
    near_metres = max(0.0, near_metres)
    x, y = to_wgs84(lon, lat, crs)
    index, store = _located(store, at)
    covering = index.covering(x, y)
    grid_hits = _by_owner(store, Grid, [h for h in covering if h.boundary.grid], at)
    place_hits = _by_owner(store, Place, [h for h in covering if h.boundary.place], at)
    geometric_grids = {g.code for g, _ in grid_hits}
    geometric_places = {p.code for p, _ in place_hits}

    chosen: Grid | None = None
    candidates: list[NearGrid] = []
    nearest: list[NearGrid] = []
    if grid_hits:
        tier = max(g.tier for g, _ in grid_hits)
        same_tier = sorted((g for g, _ in grid_hits if g.tier == tier), key=lambda g: g.code)
        chosen = same_tier[0]
        candidates = [NearGrid(g, 0.0, "on the shared border") for g in same_tier[1:]]
        seen = {g.code for g in same_tier}
        near = [h for h in index.within(x, y, near_metres) if h.boundary.grid not in seen]
        for g, hit in _by_owner(store, Grid, near, at):
            if g.tier == tier and g.code not in seen:
                seen.add(g.code)
                candidates.append(NearGrid(g, hit.metres, f"within {hit.metres:.0f} m"))
        status: Status = "border" if candidates else "inside"
    else:
        status = "uncovered"
        hits = index.nearest(x, y, NEAREST * 2)
        for g, hit in _by_owner(store, Grid, hits, at)[:NEAREST]:
            nearest.append(NearGrid(g, hit.metres, f"{hit.metres:.0f} m away"))

    grid_chain: list[GridLink] = []
    if chosen is not None:
        for g in [chosen, *ancestors(store, Grid, chosen.code)]:
            grid_chain.append(GridLink(g, "geometric" if g.code in geometric_grids else "listed"))

    start = _deepest_place(store, [p for p, _ in place_hits], chosen, at)
    place_chain: list[PlaceLink] = []
    if start is not None:
        for p in [start, *ancestors(store, Place, start.code)]:
            place_chain.append(
                PlaceLink(p, "geometric" if p.code in geometric_places else "listed")
            )
    return Location(
        lon=lon,
        lat=lat,
        crs=crs,
        wgs84_lon=x,
        wgs84_lat=y,
        at=at,
        near_metres=near_metres,
        status=status,
        grid=chosen,
        grid_chain=tuple(grid_chain),
        place_chain=tuple(place_chain),
        candidates=tuple(candidates),
        nearest=tuple(nearest),
    )


def _by_owner(
    store: GraphStore, kind: type[T], hits: Sequence[Hit], at: date
) -> list[tuple[T, Hit]]:
    """The grids (or places) of ``hits`` in force at ``at``, each once with its nearest hit,
    in the order of ``hits``."""
    field = "grid" if kind is Grid else "place"
    best: dict[str, Hit] = {}
    for h in hits:
        key = getattr(h.boundary, field)
        if key is not None and key not in best:
            best[key] = h
    keys = list(best)
    found = store.get_many(kind, keys)
    return [(r, best[k]) for k, r in zip(keys, found, strict=True) if r and in_force(r, at)]


def _deepest_place(
    store: GraphStore, geometric: list[Place], grid: Grid | None, at: date
) -> Place | None:
    """Where the place chain starts (see the module docstring)."""
    deepest_geo: Place | None = None
    if geometric:
        depth = {p.code: len(ancestors(store, Place, p.code)) for p in geometric}
        deepest_geo = min(geometric, key=lambda p: (-depth[p.code], p.code))
    listed: Place | None = None
    if grid is not None:
        codes = [c.place for c in store.referrers(Coverage, "grid", grid.code) if in_force(c, at)]
        places = [p for p in store.get_many(Place, codes) if p is not None and in_force(p, at)]
        listed = _common_ancestor(store, places)
    if listed is None:
        return deepest_geo
    if deepest_geo is None or listed.code == deepest_geo.code:
        return listed
    above = {p.code for p in ancestors(store, Place, listed.code)}
    return listed if deepest_geo.code in above else deepest_geo


def _common_ancestor(store: GraphStore, places: list[Place]) -> Place | None:
    """The deepest place that is, or is an ancestor of, every place in ``places``."""
    if not places:
        return None
    chains = [[p, *ancestors(store, Place, p.code)] for p in places]
    shared = set.intersection(*({p.code for p in chain} for chain in chains))
    for p in chains[0]:
        if p.code in shared:
            return p
    return None
