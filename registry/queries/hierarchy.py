"""Navigating the place tree, the grid tree and coverage between them.

>>> from registry.testing import sample_store
>>> store = sample_store()
>>> [p.name for p in ancestors(store, Place, "451225100201-001")]
['东门村', '东门镇', '罗城仫佬族自治县', '河池市', '广西壮族自治区']
>>> [p.code for p in children(store, Place, "451225100201")]
['451225100201-001', '451225100201-002']
>>> [g.code for g in covering_grids(store, "451225100201-001")]
['G451225-001-01', 'G451225-001-01-01']
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TypeVar

from registry.codes import Level
from registry.model import Category, Coverage, Grid, Organization, Place, in_force
from registry.store.base import GraphStore

__all__ = [
    "ancestor_at_level",
    "ancestors",
    "children",
    "covered_places",
    "covering_grids",
    "descendants",
    "is_within",
    "lowest_covering_grids",
    "today",
]

Tree = TypeVar("Tree", Place, Grid, Category, Organization)
MAX_DEPTH = 16


def today() -> date:
    """The default ``at``."""
    return date.today()


def ancestors(store: GraphStore, kind: type[Tree], key: str) -> list[Tree]:
    """Parents of ``key`` up to the root, nearest first (not including ``key`` itself)."""
    out: list[Tree] = []
    node = store.get(kind, key)
    while node is not None and node.parent is not None and len(out) < MAX_DEPTH:
        node = store.get(kind, node.parent)
        if node is not None:
            out.append(node)
    return out


def children(store: GraphStore, kind: type[Tree], key: str, at: date | None = None) -> list[Tree]:
    """Direct children of ``key`` in force at ``at`` (all when ``at`` is None), by key."""
    found = store.referrers(kind, "parent", key)
    return found if at is None else [c for c in found if in_force(c, at)]


def descendants(
    store: GraphStore,
    kind: type[Tree],
    key: str,
    at: date | None = None,
    level: Level | None = None,
    tier: int | None = None,
) -> Iterator[Tree]:
    """Every node below ``key`` (depth first, pre-order), optionally of one level or tier."""
    stack = list(reversed(children(store, kind, key, at)))
    while stack:
        node = stack.pop()
        if _matches(node, level, tier):
            yield node
        stack.extend(reversed(children(store, kind, node.key, at)))


def _matches(node: object, level: Level | None, tier: int | None) -> bool:
    if level is not None and getattr(node, "level", None) is not level:
        return False
    return tier is None or getattr(node, "tier", None) == tier


def ancestor_at_level(store: GraphStore, code: str, level: Level) -> Place | None:
    """The place itself or its ancestor at ``level`` (None when there is none)."""
    node = store.get(Place, code)
    while node is not None:
        if node.level is level:
            return node
        node = store.get(Place, node.parent) if node.parent else None
    return None


def is_within(store: GraphStore, code: str, region: str) -> bool:
    """True when place ``code`` is ``region`` or lies below it."""
    return code == region or any(p.code == region for p in ancestors(store, Place, code))


def covering_grids(store: GraphStore, place: str, at: date | None = None) -> list[Grid]:
    """Grids that list ``place`` as covered, in force at ``at``, ordered by tier then code."""
    links = store.referrers(Coverage, "place", place)
    if at is not None:
        links = [c for c in links if in_force(c, at)]
    grids = [g for g in store.get_many(Grid, [c.grid for c in links]) if g is not None]
    if at is not None:
        grids = [g for g in grids if in_force(g, at)]
    return sorted(grids, key=lambda g: (g.tier, g.code))


def lowest_covering_grids(store: GraphStore, place: str, at: date | None = None) -> list[Grid]:
    """The highest-tier (most local) grids covering ``place``."""
    grids = covering_grids(store, place, at)
    if not grids:
        return []
    lowest = grids[-1].tier
    return [g for g in grids if g.tier == lowest]


def covered_places(store: GraphStore, grid: str, at: date | None = None) -> list[Place]:
    """Places a grid lists as covered, in force at ``at``, by code."""
    links = store.referrers(Coverage, "grid", grid)
    if at is not None:
        links = [c for c in links if in_force(c, at)]
    places = [p for p in store.get_many(Place, [c.place for c in links]) if p is not None]
    return [p for p in places if at is None or in_force(p, at)]
