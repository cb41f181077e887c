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
from registry.gcpause import gc_paused
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


#: A subject's seats of one role: how many posts in force, and all their holdings.
_Seats = tuple[int, list[Holding]]
_NO_SEATS: _Seats = (0, [])


def _seats_by_role(
    store: GraphStore, field_name: str, keys: list[str], at: date
) -> dict[str, dict[str, _Seats]]:
    """Per subject of ``keys``: its posts in force by role, counted, with their holdings (two
    batched reads for all subjects)."""
    posts = store.referrers_many(Post, field_name, keys)
    live = [[p for p in found if in_force(p, at)] for found in posts]
    held = store.referrers_many(Holding, "post", [p.id for found in live for p in found])
    out: dict[str, dict[str, _Seats]] = {}
    n = 0
    for key, found in zip(keys, live, strict=True):
        by_role: dict[str, _Seats] = {}
        for p in found:
            had = by_role.get(p.role)
            by_role[p.role] = (1, held[n]) if had is None else (had[0] + 1, had[1] + held[n])
            n += 1
        out[key] = by_role
    return out


def _status(
    seats: _Seats, req: Requirement, at: date, soon: date
) -> tuple[int, int, str, date | None, date | None]:
    """(seats, holders, status, last term ended, first current term to end) of one role."""
    count, holdings = seats
    if not count:
        return 0, 0, "missing", None, None
    current: set[str] = set()
    last: date | None = None
    ends: date | None = None
    for h in holdings:
        vf, vt = h.valid_from, h.valid_to
        if vt is not None and vt < at:
            last = vt if last is None or vt > last else last
        elif vf is None or vf <= at:  # in force at ``at``
            current.add(h.person)
            if vt is not None and vt <= soon and (ends is None or vt < ends):
                ends = vt
    held = len(current)
    if held < req.min:
        return count, held, "expired" if last else "vacant", last, None
    if req.max is not None and held > req.max:
        return count, held, "over_staffed", None, None
    if ends is not None:
        return count, held, "expiring", None, ends
    return count, held, "filled", None, None


def coverage_report(
    store: GraphStore,
    scope: str,
    template: str | None = None,
    at: date | None = None,
    expiring_days: int = EXPIRING_DAYS,
) -> CoverageReport:
    """Coverage of ``scope`` (a place code) against ``template`` or all applicable templates."""
    view = planning_store(store, scope)  # a remote store: the region in a few round trips
    with gc_paused():  # a city's report allocates much and keeps most of it until it returns
        return _report(view, scope, template, at or today(), expiring_days)


def _report(
    store: GraphStore, scope: str, template: str | None, at: date, expiring_days: int
) -> CoverageReport:
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
    # 1. every template's subjects: the places (of its level and kind) or grids (of its tier)
    #    in its region, from the region's membership (no pass over the whole region per template)
    by_code = {p.code: p for p in region.places}
    grids_at: dict[tuple[str, int], list[int]] = {}  # (county or anchor, tier) -> grid positions
    for i, g in enumerate(region.grids):
        grids_at.setdefault((g.county, g.tier), []).append(i)
        anchor = region.anchor_of.get(g.code)
        if anchor is not None and anchor != g.county:
            grids_at.setdefault((anchor, g.tier), []).append(i)
    plan: list[tuple[RoleTemplate, list[Requirement], str, list[tuple[str, str, str | None]]]] = []
    keys: dict[str, dict[str, None]] = {"place": {}, "grid": {}}  # ordered sets of subjects
    for t in templates:
        reqs = _requirements(store, t, at)
        codes = region.under.get(t.region, ())
        subjects: list[tuple[str, str, str | None]] = []
        if t.grid_tier is not None:  # grids of the tier whose county or anchor is in its region
            kind, tier = "grid", t.grid_tier
            found = {i for code in codes for i in grids_at.get((code, tier), ())}
            for i in sorted(found):
                g = region.grids[i]
                subjects.append((g.code, g.name, region.anchor_of.get(g.code)))
        else:
            kind = "place"
            for code in codes:
                p = by_code[code]
                if (t.place_level is None or p.level is t.place_level) and (
                    not t.place_kind or p.kind == t.place_kind
                ):
                    subjects.append((code, p.name, code))
        keys[kind].update(dict.fromkeys(key for key, _, _ in subjects))
        plan.append((t, reqs, kind, subjects))
    # 2. the seats of every subject, read in one batch per kind of subject
    seats = {kind: _seats_by_role(store, kind, list(found), at) for kind, found in keys.items()}
    # 3. one status per (subject, required role)
    entries: list[CoverageEntry] = []
    township_of, county_of = region.township_of, region.county_of
    for t, reqs, kind, subjects in plan:
        of_kind = seats[kind]
        for key, name, anchor in subjects:
            roles = of_kind[key]
            town = township_of.get(anchor) if anchor else None
            county = county_of.get(anchor) if anchor else None
            town_code = town.code if town else None
            county_code = county.code if county else None
            for r in reqs:
                count, holders, status, ended, term_ends = _status(
                    roles.get(r.role, _NO_SEATS), r, at, soon
                )
                entries.append(
                    CoverageEntry(
                        subject=key,
                        subject_kind=kind,
                        subject_name=name,
                        township=town_code,
                        county=county_code,
                        template=t.code,
                        role=r.role,
                        required=r.min,
                        seats=count,
                        holders=holders,
                        status=status,
                        last_term_ended=ended,
                        maximum=r.max,
                        term_ends=term_ends,
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
    by_county: dict[str, list[Grid]] = {}
    for g in region.grids:
        by_county.setdefault(g.county, []).append(g)
    counties = [c.code for c in region.counties if c.code in by_county]
    tiers = store.referrers_many(GridTier, "county", counties)
    out: dict[str, tuple[set[str], Level]] = {}
    for county, of_county in zip(counties, tiers, strict=True):
        grids = by_county[county]
        lowest = max(g.tier for g in grids)
        mapped = next(
            (t.level for t in of_county if t.tier == lowest and in_force(t, region.at)),
            Level.HAMLET,
        )
        out[county] = ({g.code for g in grids if g.tier == lowest}, mapped)
    return out


def lowest_cover(store: GraphStore, region: Region) -> dict[str, list[str]]:
    """Places at the level of their county's lowest grid tier -> the lowest grids covering them."""
    lowest = lowest_grids(store, region)
    mapped: list[tuple[str, set[str]]] = []
    for p in region.places:
        county = region.county_of.get(p.code)
        if county is None or county.code not in lowest:
            continue
        codes, level = lowest[county.code]
        if p.level is level:
            mapped.append((p.code, codes))
    links = store.referrers_many(Coverage, "place", [code for code, _ in mapped])
    at = region.at
    out: dict[str, list[str]] = {}
    for (code, codes), found in zip(mapped, links, strict=True):
        grids = [c.grid for c in found if c.grid in codes and in_force(c, at)]
        if len(grids) > 1:
            grids.sort()
        out[code] = grids
    return out


def uncovered_places(store: GraphStore, region: Region) -> list[Place]:
    """Places at the level each county's lowest grid tier maps to that no such grid covers."""
    cover = lowest_cover(store, region)
    return [p for p in region.places if cover.get(p.code) == []]
