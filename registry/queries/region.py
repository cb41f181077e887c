"""A region for planners: a place, every place under it and the grids that belong to it.

Every planners' query (staffing coverage, territorial completeness, worker load, structure,
distance coverage) starts from the same ``Region``: the scope, its places in force at ``at``
(scope first, depth first), the township and county of each, the counties involved, and the grids
in force that belong to the scope (for a county or above: every grid of its counties; below: the
grids whose covered place, or whose nearest ancestor's covered place, lies in the scope).

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> r = region_of(sample_store(), "451225100000", SAMPLE_TODAY)
>>> r.root.name, len(r.places), [g.code for g in r.grids]
('东门镇', 4, ['G451225-001', 'G451225-001-01', 'G451225-001-01-01'])
>>> r.township_of["451225100201-001"].name
'东门镇'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registry.codes import Level
from registry.errors import NotFound
from registry.model import Coverage, Grid, Place, in_force
from registry.queries.hierarchy import ancestors
from registry.store.base import GraphStore

__all__ = ["REGION_READS", "Region", "grid_anchor", "planning_store", "region_of"]

#: Every kind of record a region is computed from.
REGION_READS = (Place, Grid, Coverage)


@dataclass(frozen=True, slots=True)
class Region:
    """A scope with its places and grids at ``at``."""

    root: Place
    at: date
    places: tuple[Place, ...]
    township_of: dict[str, Place | None]
    county_of: dict[str, Place | None]
    counties: tuple[Place, ...]
    grids: tuple[Grid, ...]
    anchor_of: dict[str, str | None]  # grid code -> a place it (or its nearest ancestor) covers
    under: dict[str, tuple[str, ...]]  # a place or ancestor code -> region places at or below it

    def contains(self, code: str) -> bool:
        """True when place ``code`` is in the region."""
        return code in self.township_of


def grid_anchor(store: GraphStore, grid: Grid, at: date) -> str | None:
    """A place the grid (or its nearest ancestor) covers, to place grids in townships."""
    node: Grid | None = grid
    depth = 0
    while node is not None and depth < 16:
        links = [c for c in store.referrers(Coverage, "grid", node.code) if in_force(c, at)]
        if links:
            return links[0].place
        node = store.get(Grid, node.parent) if node.parent else None
        depth += 1
    return None


def planning_store(store: GraphStore, scope: str) -> GraphStore:
    """The store to read a region from: a remote store's ``prefetch_coverage`` view of the
    scope (a few round trips for the whole region), else the store itself."""
    prefetch = getattr(store, "prefetch_coverage", None)
    return store if prefetch is None else prefetch(scope)


def region_of(store: GraphStore, scope: str, at: date) -> Region:
    """The region of place ``scope`` at ``at``; ``NotFound`` when there is no such place.

    A store that keeps values derived from its data (``derived``: the embedded store) computes
    a region once, until the next write of a place, grid or coverage link (the kinds
    ``_region_of`` reads: keep ``REGION_READS`` in step with it)."""
    derived = getattr(store, "derived", None)
    if derived is None:
        return _region_of(store, scope, at)
    key = ("region_of", scope, at)
    region: Region = derived(key, lambda: _region_of(store, scope, at), REGION_READS)
    return region


def _region_of(store: GraphStore, scope: str, at: date) -> Region:
    root = store.get(Place, scope)
    if root is None:
        raise NotFound(f"no place {scope!r}", [scope])
    places = [root, *_subtree(store, scope, at)]
    # chains top down: a place's chain is itself then its parent's (pre-order: parents first)
    chains: dict[str, tuple[Place, ...]] = {root.code: (root, *ancestors(store, Place, scope))}
    township_of: dict[str, Place | None] = {}
    county_of: dict[str, Place | None] = {}
    under: dict[str, list[str]] = {}
    for p in places:
        chain = chains.get(p.code)
        if chain is None:
            above = chains.get(p.parent or "")
            chain = (p, *above) if above is not None else (p, *ancestors(store, Place, p.code))
            chains[p.code] = chain
        for a in chain:
            under.setdefault(a.code, []).append(p.code)
        township_of[p.code] = next((a for a in chain if a.level is Level.TOWNSHIP), None)
        county_of[p.code] = next((a for a in chain if a.level is Level.COUNTY), None)
    counties = sorted(
        {c.code: c for c in county_of.values() if c is not None}.values(), key=lambda c: c.code
    )
    grids = [
        g
        for found in store.referrers_many(Grid, "county", [c.code for c in counties])
        for g in found
        if in_force(g, at)
    ]
    anchor_of = _anchors(store, grids, at)
    if root.level not in (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY):
        grids = [g for g in grids if anchor_of[g.code] in township_of]
    return Region(
        root=root,
        at=at,
        places=tuple(places),
        township_of=township_of,
        county_of=county_of,
        counties=tuple(counties),
        grids=tuple(grids),
        anchor_of={g.code: anchor_of[g.code] for g in grids},
        under={code: tuple(found) for code, found in under.items()},
    )


def _subtree(store: GraphStore, scope: str, at: date) -> list[Place]:
    """``descendants(store, Place, scope, at)`` (depth first, pre-order), read one level at a
    time: a batched read per level instead of one per place."""
    kids: dict[str, list[Place]] = {}
    frontier = [scope]
    while frontier:
        found = store.referrers_many(Place, "parent", frontier)
        below: list[str] = []
        for code, children in zip(frontier, found, strict=True):
            live = [c for c in children if in_force(c, at)]
            kids[code] = live
            below.extend(c.code for c in live)
        frontier = below
    out: list[Place] = []
    stack = list(reversed(kids[scope]))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(kids.get(node.code, ())))
    return out


def _anchors(store: GraphStore, grids: list[Grid], at: date) -> dict[str, str | None]:
    """``grid_anchor`` of every grid, with the grids' coverage links read in one batch."""
    codes = [g.code for g in grids]
    links = dict(zip(codes, store.referrers_many(Coverage, "grid", codes), strict=True))
    out: dict[str, str | None] = {}
    for g in grids:
        anchor: str | None = None
        node: Grid | None = g
        depth = 0
        while node is not None and depth < 16:
            found = links.get(node.code)
            if found is None:
                found = links[node.code] = store.referrers(Coverage, "grid", node.code)
            live = next((c for c in found if in_force(c, at)), None)
            if live is not None:
                anchor = live.place
                break
            node = store.get(Grid, node.parent) if node.parent else None
            depth += 1
        out[g.code] = anchor
    return out
