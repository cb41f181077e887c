"""Coverage for planners: which required roles are filled, vacant or missing, and where grids
leave places uncovered.

First version: status per (place or grid, role) against role templates, counts rolled up by
township and county, grid counts per tier, and places no lowest-level grid covers.

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> report = coverage_report(sample_store(), "451225000000", at=SAMPLE_TODAY)
>>> [(e.subject, e.role, e.status) for e in report.entries]  # doctest: +NORMALIZE_WHITESPACE
[('451225100201', 'governance_officer', 'missing'), ('451225100201', 'law_literate', 'vacant'),
 ('451225100201', 'police_assistant', 'filled')]
>>> [p.code for p in report.uncovered_places]
['451225100201-002']
>>> report.grids_per_tier
{1: 1, 2: 1, 3: 1}
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from registry.codes import Level
from registry.errors import NotFound
from registry.model import (
    Coverage,
    Grid,
    GridTier,
    Holding,
    Place,
    Post,
    Requirement,
    RoleTemplate,
    in_force,
)
from registry.queries.hierarchy import ancestors, descendants, today
from registry.store.base import GraphStore

__all__ = ["CoverageEntry", "CoverageReport", "Rollup", "coverage_report", "templates_for"]

STATUSES = ("filled", "vacant", "missing")


@dataclass(frozen=True, slots=True)
class CoverageEntry:
    """Status of one required role at one place or grid."""

    subject: str  # place code or grid code
    subject_kind: str  # "place" or "grid"
    subject_name: str
    township: str | None
    county: str | None
    template: str
    role: str
    required: int
    seats: int
    holders: int
    status: str  # filled | vacant | missing
    last_term_ended: date | None = None


@dataclass(slots=True)
class Rollup:
    """Counts of statuses for one township or county."""

    code: str
    name: str
    level: Level
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def fill_rate(self) -> float:
        """Filled share of all required roles (1.0 when nothing is required)."""
        total = sum(self.counts[s] for s in STATUSES)
        return self.counts["filled"] / total if total else 1.0


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """The coverage report for a scope."""

    scope: Place
    at: date
    templates: tuple[RoleTemplate, ...]
    entries: tuple[CoverageEntry, ...]
    rollups: tuple[Rollup, ...]
    places_per_level: dict[Level, int]
    grids_per_tier: dict[int, int]
    uncovered_places: tuple[Place, ...]

    def count(self, status: str) -> int:
        """How many entries have ``status``."""
        return sum(1 for e in self.entries if e.status == status)


def templates_for(store: GraphStore, scope: Place, at: date) -> list[RoleTemplate]:
    """Templates in force whose region is the scope, one of its ancestors, or inside it."""
    chain = {scope.code, *(p.code for p in ancestors(store, Place, scope.code))}
    out = []
    for t in store.scan(RoleTemplate):
        if not in_force(t, at):
            continue
        if t.region in chain:
            out.append(t)
            continue
        region = store.get(Place, t.region)
        if region is not None and scope.code in {
            p.code for p in ancestors(store, Place, region.code)
        }:
            out.append(t)
    return out


def _requirements(store: GraphStore, template: RoleTemplate, at: date) -> list[Requirement]:
    return [r for r in store.referrers(Requirement, "template", template.code) if in_force(r, at)]


def _status(
    store: GraphStore, field_name: str, key: str, role: str, need: int, at: date
) -> tuple[int, int, str, date | None]:
    posts = [
        p for p in store.referrers(Post, field_name, key) if p.role == role and in_force(p, at)
    ]
    if not posts:
        return 0, 0, "missing", None
    holdings = [
        h for hs in store.referrers_many(Holding, "post", [p.id for p in posts]) for h in hs
    ]
    current = {h.person for h in holdings if in_force(h, at)}
    ended = [h.valid_to for h in holdings if h.valid_to is not None and h.valid_to < at]
    status = "filled" if len(current) >= need else "vacant"
    return len(posts), len(current), status, max(ended) if ended else None


def coverage_report(
    store: GraphStore, scope: str, template: str | None = None, at: date | None = None
) -> CoverageReport:
    """Coverage of ``scope`` (a place code) against ``template`` or all applicable templates."""
    at = at or today()
    prefetch = getattr(store, "prefetch_coverage", None)
    if prefetch is not None:  # a remote store fetches the region in a few round trips
        store = prefetch(scope)
    root = store.get(Place, scope)
    if root is None:
        raise NotFound(f"no place {scope!r}", [scope])
    if template is not None:
        chosen = store.get(RoleTemplate, template)
        if chosen is None:
            raise NotFound(f"no role template {template!r}", [template])
        templates = [chosen]
    else:
        templates = templates_for(store, root, at)

    places = [root, *descendants(store, Place, scope, at)]
    township_of: dict[str, Place | None] = {}
    county_of: dict[str, Place | None] = {}
    for p in places:
        chain = [p, *ancestors(store, Place, p.code)]
        township_of[p.code] = next((a for a in chain if a.level is Level.TOWNSHIP), None)
        county_of[p.code] = next((a for a in chain if a.level is Level.COUNTY), None)
    counties = sorted(
        {c.code: c for c in county_of.values() if c is not None}.values(), key=lambda c: c.code
    )
    grids = [
        g for c in counties for g in store.referrers(Grid, "county", c.code) if in_force(g, at)
    ]
    grids = [g for g in grids if _grid_in_scope(store, g, root, at)]

    entries: list[CoverageEntry] = []
    for t in templates:
        reqs = _requirements(store, t, at)
        region_ok = {
            p.code
            for p in places
            if p.code == t.region
            or any(a.code == t.region for a in ancestors(store, Place, p.code))
        }
        if t.grid_tier is not None:
            subjects = [
                ("grid", g.code, g.name, _grid_place(store, g, at))
                for g in grids
                if g.tier == t.grid_tier and g.county in region_ok
            ]
        else:
            subjects = [
                ("place", p.code, p.name, p.code)
                for p in places
                if p.code in region_ok
                and (t.place_level is None or p.level is t.place_level)
                and (not t.place_kind or p.kind == t.place_kind)
            ]
        for kind, key, name, anchor in subjects:
            for r in reqs:
                seats, holders, status, ended = _status(store, kind, key, r.role, r.min, at)
                town = township_of.get(anchor) if anchor else None
                county = county_of.get(anchor) if anchor else None
                entries.append(
                    CoverageEntry(
                        key,
                        kind,
                        name,
                        town.code if town else None,
                        county.code if county else None,
                        t.code,
                        r.role,
                        r.min,
                        seats,
                        holders,
                        status,
                        ended if status != "filled" else None,
                    )
                )
    entries.sort(key=lambda e: (e.subject_kind != "place", e.subject, e.template, e.role))
    return CoverageReport(
        scope=root,
        at=at,
        templates=tuple(templates),
        entries=tuple(entries),
        rollups=tuple(_rollups(store, entries)),
        places_per_level=dict(
            sorted(
                Counter(p.level for p in places).items(), key=lambda kv: list(Level).index(kv[0])
            )
        ),
        grids_per_tier=dict(sorted(Counter(g.tier for g in grids).items())),
        uncovered_places=tuple(_uncovered(store, places, grids, counties, at)),
    )


def _grid_place(store: GraphStore, grid: Grid, at: date) -> str | None:
    """A place the grid (or its nearest ancestor) covers, to roll grids up by township."""
    node: Grid | None = grid
    while node is not None:
        links = [c for c in store.referrers(Coverage, "grid", node.code) if in_force(c, at)]
        if links:
            return links[0].place
        node = store.get(Grid, node.parent) if node.parent else None
    return None


def _grid_in_scope(store: GraphStore, grid: Grid, root: Place, at: date) -> bool:
    if root.level in (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY):
        return True
    anchor = _grid_place(store, grid, at)
    if anchor is None:
        return False
    return anchor == root.code or any(a.code == root.code for a in ancestors(store, Place, anchor))


def _rollups(store: GraphStore, entries: list[CoverageEntry]) -> list[Rollup]:
    rollups: dict[str, Rollup] = {}
    for e in entries:
        for code in (e.township, e.county):
            if code is None:
                continue
            if code not in rollups:
                p = store.get(Place, code)
                assert p is not None
                rollups[code] = Rollup(code, p.name, p.level)
            rollups[code].counts[e.status] += 1
    return [rollups[k] for k in sorted(rollups)]


def _uncovered(
    store: GraphStore, places: list[Place], grids: list[Grid], counties: list[Place], at: date
) -> list[Place]:
    """Places at the level each county's lowest grid tier maps to that no such grid covers."""
    out: list[Place] = []
    for county in counties:
        tiers = [g.tier for g in grids if g.county == county.code]
        if not tiers:
            continue
        lowest = max(tiers)
        mapped = next(
            (
                t.level
                for t in store.referrers(GridTier, "county", county.code)
                if t.tier == lowest and in_force(t, at)
            ),
            Level.HAMLET,
        )
        lowest_codes = {g.code for g in grids if g.county == county.code and g.tier == lowest}
        for p in places:
            if p.level is not mapped or not in_force(p, at):
                continue
            if p.code[:6] != county.code[:6]:
                continue
            links = store.referrers(Coverage, "place", p.code)
            if not any(c.grid in lowest_codes and in_force(c, at) for c in links):
                out.append(p)
    return out
