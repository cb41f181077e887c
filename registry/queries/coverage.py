"""Staffing coverage for planners: is every role the standards require held, at every place and
grid of a region?

For each role template in force that applies to the scope (its region is the scope, one of its
ancestors, or lies inside it) and each place (of the template's level and kind) or grid (of its
tier) in the template's region, each required role gets one status at ``at``:

* ``missing``: no seat (post) of the role exists;
* ``expired``: seats exist, fewer than ``min`` are held, and the last term ended (it was held);
* ``vacant``: seats exist, fewer than ``min`` are held, and nobody's term ended (never held);
* ``over_staffed``: more holders than the requirement's ``max``;
* ``expiring``: held, but a current term ends within ``expiring_days`` (default 90);
* ``filled``: held, with no term ending soon.

``filled``, ``over_staffed`` and ``expiring`` meet the requirement (they count as filled in the
fill rate). Counts are rolled up by township and county.

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
from datetime import date, timedelta

from registry.codes import Level
from registry.errors import NotFound
from registry.model import (
    Coverage,
    GridTier,
    Holding,
    Place,
    Post,
    Requirement,
    RoleTemplate,
    in_force,
)
from registry.queries.hierarchy import ancestors, today
from registry.queries.region import Region, planning_store, region_of
from registry.store.base import GraphStore

__all__ = [
    "EXPIRING_DAYS",
    "MET",
    "STATUSES",
    "CoverageEntry",
    "CoverageReport",
    "Rollup",
    "coverage_report",
    "lowest_cover",
    "lowest_grids",
    "templates_for",
    "uncovered_places",
]

#: Every status, worst last.
STATUSES = ("filled", "expiring", "over_staffed", "vacant", "expired", "missing")
#: Statuses that meet the requirement.
MET = frozenset({"filled", "expiring", "over_staffed"})
#: A term ending within this many days of ``at`` makes a held role ``expiring``.
EXPIRING_DAYS = 90


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
    status: str  # one of STATUSES
    last_term_ended: date | None = None  # when not met: the day the last term ended
    maximum: int | None = None
    term_ends: date | None = None  # when expiring: the first current term to end


@dataclass(slots=True)
class Rollup:
    """Counts of statuses for one township or county."""

    code: str
    name: str
    level: Level
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Required roles counted."""
        return sum(self.counts[s] for s in STATUSES)

    @property
    def met(self) -> int:
        """Required roles whose requirement is met."""
        return sum(self.counts[s] for s in MET)

    @property
    def fill_rate(self) -> float:
        """Met share of all required roles (1.0 when nothing is required)."""
        return self.met / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """The staffing coverage report for a scope."""

    scope: Place
    at: date
    templates: tuple[RoleTemplate, ...]
    entries: tuple[CoverageEntry, ...]
    rollups: tuple[Rollup, ...]
    places_per_level: dict[Level, int]
    grids_per_tier: dict[int, int]
    uncovered_places: tuple[Place, ...]
    expiring_days: int = EXPIRING_DAYS

    def count(self, status: str) -> int:
        """How many entries have ``status``."""
        return sum(1 for e in self.entries if e.status == status)

    @property
    def totals(self) -> Counter[str]:
        """Entries per status."""
        return Counter(e.status for e in self.entries)


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


@dataclass(frozen=True, slots=True)
class _Seats:
    seats: int
    holders: int
    status: str
    ended: date | None
    term_ends: date | None


def _seats_by_role(
    store: GraphStore, field_name: str, keys: list[str], at: date
) -> list[dict[str, list[tuple[Post, list[Holding]]]]]:
    """Per subject (in the order of ``keys``): its posts in force by role, with their holdings
    (two batched reads for all subjects)."""
    posts = store.referrers_many(Post, field_name, keys)
    live = [[p for p in found if in_force(p, at)] for found in posts]
    held = store.referrers_many(Holding, "post", [p.id for found in live for p in found])
    out: list[dict[str, list[tuple[Post, list[Holding]]]]] = []
    n = 0
    for found in live:
        by_role: dict[str, list[tuple[Post, list[Holding]]]] = {}
        for p in found:
            by_role.setdefault(p.role, []).append((p, held[n]))
            n += 1
        out.append(by_role)
    return out


def _status(
    seats: list[tuple[Post, list[Holding]]], req: Requirement, at: date, soon: date
) -> _Seats:
    if not seats:
        return _Seats(0, 0, "missing", None, None)
    holdings = [h for _, hs in seats for h in hs]
    now = [h for h in holdings if in_force(h, at)]
    current = {h.person for h in now}
    ended = [h.valid_to for h in holdings if h.valid_to is not None and h.valid_to < at]
    last = max(ended) if ended else None
    ends = [h.valid_to for h in now if h.valid_to is not None and h.valid_to <= soon]
    if len(current) < req.min:
        return _Seats(len(seats), len(current), "expired" if last else "vacant", last, None)
    if req.max is not None and len(current) > req.max:
        return _Seats(len(seats), len(current), "over_staffed", None, None)
    if ends:
        return _Seats(len(seats), len(current), "expiring", None, min(ends))
    return _Seats(len(seats), len(current), "filled", None, None)


def coverage_report(
    store: GraphStore,
    scope: str,
    template: str | None = None,
    at: date | None = None,
    expiring_days: int = EXPIRING_DAYS,
) -> CoverageReport:
    """Coverage of ``scope`` (a place code) against ``template`` or all applicable templates."""
    at = at or today()
    store = planning_store(store, scope)  # a remote store: the region in a few round trips
    region = region_of(store, scope, at)
    if template is not None:
        chosen = store.get(RoleTemplate, template)
        if chosen is None:
            raise NotFound(f"no role template {template!r}", [template])
        templates = [chosen]
    else:
        templates = templates_for(store, region.root, at)
    entries = _entries(store, region, templates, at, at + timedelta(days=expiring_days))
    entries.sort(key=lambda e: (e.subject_kind != "place", e.subject, e.template, e.role))
    levels = Counter(p.level for p in region.places)
    return CoverageReport(
        scope=region.root,
        at=at,
        templates=tuple(templates),
        entries=tuple(entries),
        rollups=tuple(_rollups(store, entries)),
        places_per_level={lvl: levels[lvl] for lvl in Level if lvl in levels},
        grids_per_tier=dict(sorted(Counter(g.tier for g in region.grids).items())),
        uncovered_places=tuple(uncovered_places(store, region)),
        expiring_days=expiring_days,
    )


def _entries(
    store: GraphStore, region: Region, templates: list[RoleTemplate], at: date, soon: date
) -> list[CoverageEntry]:
    entries: list[CoverageEntry] = []
    for t in templates:
        reqs = _requirements(store, t, at)
        region_ok = set(region.under.get(t.region, ()))
        if t.grid_tier is not None:
            subjects = [
                ("grid", g.code, g.name, region.anchor_of.get(g.code))
                for g in region.grids
                if g.tier == t.grid_tier
                and (g.county in region_ok or region.anchor_of.get(g.code) in region_ok)
            ]
        else:
            subjects = [
                ("place", p.code, p.name, p.code)
                for p in region.places
                if p.code in region_ok
                and (t.place_level is None or p.level is t.place_level)
                and (not t.place_kind or p.kind == t.place_kind)
            ]
        field = "grid" if t.grid_tier is not None else "place"
        by_subject = _seats_by_role(store, field, [key for _, key, _, _ in subjects], at)
        for (kind, key, name, anchor), roles in zip(subjects, by_subject, strict=True):
            town = region.township_of.get(anchor) if anchor else None
            county = region.county_of.get(anchor) if anchor else None
            for r in reqs:
                seats = _status(roles.get(r.role, []), r, at, soon)
                entries.append(
                    CoverageEntry(
                        subject=key,
                        subject_kind=kind,
                        subject_name=name,
                        township=town.code if town else None,
                        county=county.code if county else None,
                        template=t.code,
                        role=r.role,
                        required=r.min,
                        seats=seats.seats,
                        holders=seats.holders,
                        status=seats.status,
                        last_term_ended=seats.ended,
                        maximum=r.max,
                        term_ends=seats.term_ends,
                    )
                )
    return entries


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


def lowest_grids(store: GraphStore, region: Region) -> dict[str, tuple[set[str], Level]]:
    """Per county of the region: the codes of its lowest-tier grids and the level that tier
    maps to (``GridTier``; hamlet when unmapped)."""
    out: dict[str, tuple[set[str], Level]] = {}
    for county in region.counties:
        tiers = [g.tier for g in region.grids if g.county == county.code]
        if not tiers:
            continue
        lowest = max(tiers)
        mapped = next(
            (
                t.level
                for t in store.referrers(GridTier, "county", county.code)
                if t.tier == lowest and in_force(t, region.at)
            ),
            Level.HAMLET,
        )
        codes = {g.code for g in region.grids if g.county == county.code and g.tier == lowest}
        out[county.code] = (codes, mapped)
    return out


def lowest_cover(store: GraphStore, region: Region) -> dict[str, list[str]]:
    """Places at the level of their county's lowest grid tier -> the lowest grids covering them."""
    lowest = lowest_grids(store, region)
    out: dict[str, list[str]] = {}
    for p in region.places:
        county = region.county_of.get(p.code)
        if county is None or county.code not in lowest:
            continue
        codes, mapped = lowest[county.code]
        if p.level is not mapped:
            continue
        links = store.referrers(Coverage, "place", p.code)
        out[p.code] = sorted(c.grid for c in links if c.grid in codes and in_force(c, region.at))
    return out


def uncovered_places(store: GraphStore, region: Region) -> list[Place]:
    """Places at the level each county's lowest grid tier maps to that no such grid covers."""
    cover = lowest_cover(store, region)
    return [p for p in region.places if cover.get(p.code) == []]
