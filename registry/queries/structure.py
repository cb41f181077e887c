"""The shape of a region: counts, fan-outs, and the organizations it lacks.

* counts of places per level and grids per tier;
* fan-out: for places per level and grids per tier, how many children each parent has (min,
  median, max and the histogram);
* ``centres_missing``: counties, townships and villages of the region with no governance centre
  (organization of kind ``centre``) in force located there;
* ``unstationed``: departments and other working organizations located in the region (not centres
  or mediation committees) that are stationed at no centre ("中心吹哨、部门报到");
* ``isolated_border_counties``: counties of the region that border a county elsewhere (a
  ``Border`` between places of the two) and belong to no alliance in force.

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> s = structure_report(sample_store(), "451225000000", SAMPLE_TODAY)
>>> [p.name for p in s.centres_missing], [o.code for o in s.unstationed]
(['东门村'], [])
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date

from registry.codes import Level
from registry.model import (
    Border,
    Grid,
    Membership,
    Organization,
    OrgKind,
    Place,
    Stationing,
    in_force,
)
from registry.queries.hierarchy import ancestor_at_level
from registry.queries.region import Region, planning_store, region_of
from registry.store.base import GraphStore

__all__ = ["CENTRE_LEVELS", "FanOut", "Structure", "structure_report"]

#: Levels that must each have a governance centre.
CENTRE_LEVELS = (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE)
#: Organizations that are not expected to be stationed at a centre.
_NOT_STATIONED = (OrgKind.CENTRE, OrgKind.MEDIATION_COMMITTEE)


@dataclass(frozen=True, slots=True)
class FanOut:
    """Children per parent, for the parents of one level (places) or tier (grids)."""

    kind: str  # place | grid
    parent_level: str  # a level name, or the tier number for grids
    parents: int
    minimum: int
    median: float
    maximum: int
    histogram: dict[int, int]  # children -> parents with that many


@dataclass(frozen=True, slots=True)
class Structure:
    """The structure of a region."""

    places_per_level: dict[Level, int]
    grids_per_tier: dict[int, int]
    fan_out: tuple[FanOut, ...]
    centres_missing: tuple[Place, ...]
    unstationed: tuple[Organization, ...]
    isolated_border_counties: tuple[Place, ...]


def structure_report(store: GraphStore, scope: str, at: date) -> Structure:
    """The structure of ``scope`` at ``at``."""
    store = planning_store(store, scope)
    return structure_of(store, region_of(store, scope, at))


def structure_of(store: GraphStore, region: Region) -> Structure:
    """The structure of a region already read."""
    at = region.at
    levels = Counter(p.level for p in region.places)
    codes = [p.code for p in region.places]
    located = dict(zip(codes, store.referrers_many(Organization, "place", codes), strict=True))
    missing = [
        p
        for p in region.places
        if p.level in CENTRE_LEVELS
        and not any(o.kind is OrgKind.CENTRE and in_force(o, at) for o in located[p.code])
    ]
    working = [
        o
        for p in region.places
        for o in located[p.code]
        if o.kind not in _NOT_STATIONED and in_force(o, at)
    ]
    stationed = store.referrers_many(Stationing, "organization", [o.code for o in working])
    unstationed = [
        o
        for o, links in zip(working, stationed, strict=True)
        if not any(in_force(s, at) for s in links)
    ]
    return Structure(
        places_per_level={lvl: levels[lvl] for lvl in Level if lvl in levels},
        grids_per_tier=dict(sorted(Counter(g.tier for g in region.grids).items())),
        fan_out=tuple(_fan_out(region)),
        centres_missing=tuple(missing),
        unstationed=tuple(sorted(unstationed, key=lambda o: o.code)),
        isolated_border_counties=tuple(_isolated(store, region)),
    )


def _fan_out(region: Region) -> list[FanOut]:
    out: list[FanOut] = []
    places = {p.code: p for p in region.places}
    kids: dict[str, int] = {p.code: 0 for p in region.places}
    for p in region.places:
        if p.parent in kids:
            kids[p.parent] += 1
    for level in Level:
        counts = [kids[p.code] for p in places.values() if p.level is level and kids[p.code]]
        if counts:
            out.append(_summary("place", level.value, counts))
    grid_kids: dict[str, int] = {g.code: 0 for g in region.grids}
    for g in region.grids:
        if g.parent in grid_kids:
            grid_kids[g.parent] += 1
    tiers: dict[int, list[Grid]] = {}
    for g in region.grids:
        tiers.setdefault(g.tier, []).append(g)
    for tier in sorted(tiers):
        counts = [grid_kids[g.code] for g in tiers[tier] if grid_kids[g.code]]
        if counts:
            out.append(_summary("grid", str(tier), counts))
    return out


def _summary(kind: str, parent_level: str, counts: list[int]) -> FanOut:
    return FanOut(
        kind=kind,
        parent_level=parent_level,
        parents=len(counts),
        minimum=min(counts),
        median=float(statistics.median(counts)),
        maximum=max(counts),
        histogram=dict(sorted(Counter(counts).items())),
    )


def _isolated(store: GraphStore, region: Region) -> list[Place]:
    at = region.at
    out: list[Place] = []
    for county in region.counties:
        members = store.referrers(Membership, "place", county.code)
        if any(in_force(m, at) for m in members):
            continue
        mine = [p.code for p in region.places if region.county_of.get(p.code) == county]
        if county.code not in mine:
            mine.append(county.code)
        links = [
            b
            for found in (
                *store.referrers_many(Border, "place", mine),
                *store.referrers_many(Border, "other", mine),
            )
            for b in found
            if in_force(b, at)
        ]
        others = {b.other if b.place in mine else b.place for b in links}
        if any(_county_code(store, code) not in (None, county.code) for code in others):
            out.append(county)
    return out


def _county_code(store: GraphStore, code: str) -> str | None:
    county = ancestor_at_level(store, code, Level.COUNTY)
    return None if county is None else county.code
