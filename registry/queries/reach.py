"""Distance coverage: the share of places within reach of a mediation point (15分钟调解服务圈).

Mediation points are the organizations in force located in the region whose kind is a
mediation committee or a governance centre (village centres settle simple disputes, 村级初调).
Organizations carry no coordinates of their own: a point stands at the centroid of the boundary
of the place it is located in. Each place of the measured level (the lowest level of the region
that has boundaries, hamlets in the demo) is measured from the centroid of its boundary, by
straight-line distance (equirectangular, ``registry.geo.distance_m``). A place is within reach
when the distance is at most ``minutes`` of travel at ``speed_kmh`` (default: 15 minutes at
20 km/h, 5 km). Places and points without a boundary are counted, not guessed.

>>> from registry.testing import sample_store, square, SAMPLE_TODAY
>>> store = sample_store()
>>> _ = store.apply([square("B1", 108.90, 24.80, 108.91, 24.81, place="451225100201-001"),
...                  square("B2", 108.95, 24.80, 108.96, 24.81, place="451225100201-002"),
...                  square("B3", 108.90, 24.80, 108.96, 24.81, place="451225100000")])
>>> r = reach_report(store, "451225000000", SAMPLE_TODAY, minutes=5, speed_kmh=60)
>>> r.radius_m, r.measured, r.within, [p.code for p, _ in r.outside]
(5000.0, 2, 2, [])
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import shapely

from registry.codes import Level
from registry.geo import distance_m, parse_geometry
from registry.model import Boundary, Organization, OrgKind, Place, in_force
from registry.queries.region import Region, planning_store, region_of
from registry.store.base import GraphStore

__all__ = ["MEDIATION_KINDS", "Reach", "reach_report"]

#: Kinds of organizations that are mediation points.
MEDIATION_KINDS = (OrgKind.MEDIATION_COMMITTEE, OrgKind.CENTRE)


@dataclass(frozen=True, slots=True)
class Reach:
    """Distance coverage of a region."""

    minutes: float
    speed_kmh: float
    radius_m: float
    level: Level | None  # the level measured
    points: tuple[Organization, ...]  # mediation points with a location
    points_without_location: int
    measured: int  # places measured (with a boundary)
    unmeasured: int  # places of that level without a boundary
    within: int
    outside: tuple[tuple[Place, float], ...]  # place, metres to the nearest point; farthest first

    @property
    def share(self) -> float:
        """Share of measured places within reach (1.0 when none measured)."""
        return self.within / self.measured if self.measured else 1.0


def reach_report(
    store: GraphStore, scope: str, at: date, minutes: float = 15.0, speed_kmh: float = 20.0
) -> Reach:
    """Distance coverage of ``scope`` at ``at``."""
    store = planning_store(store, scope)
    return reach_of(store, region_of(store, scope, at), minutes, speed_kmh)


def reach_of(store: GraphStore, region: Region, minutes: float, speed_kmh: float) -> Reach:
    """Distance coverage of a region already read."""
    at = region.at
    radius = max(0.0, minutes) / 60.0 * max(0.0, speed_kmh) * 1000.0
    codes = [p.code for p in region.places]
    outlines = dict(zip(codes, store.referrers_many(Boundary, "place", codes), strict=True))
    centroid: dict[str, tuple[float, float]] = {}
    for code, found in outlines.items():
        live = sorted((b for b in found if in_force(b, at)), key=lambda b: b.id)
        if live:
            c = parse_geometry(live[0].geometry).centroid
            centroid[code] = (c.x, c.y)
    located = store.referrers_many(Organization, "place", codes)
    orgs = [o for found in located for o in found if o.kind in MEDIATION_KINDS and in_force(o, at)]
    points = [o for o in orgs if o.place in centroid]
    level = _measured_level(region, centroid)
    measured = [p for p in region.places if p.level is level and p.code in centroid]
    unmeasured = sum(1 for p in region.places if p.level is level and p.code not in centroid)
    within = 0
    outside: list[tuple[Place, float]] = []
    spots = [centroid[o.place] for o in points]
    nearest = _nearest_finder(spots)
    for p in measured:
        x, y = centroid[p.code]
        metres = nearest(x, y)
        if metres <= radius:
            within += 1
        else:
            outside.append((p, metres))
    outside.sort(key=lambda item: (-item[1], item[0].code))
    return Reach(
        minutes=minutes,
        speed_kmh=speed_kmh,
        radius_m=radius,
        level=level,
        points=tuple(sorted(points, key=lambda o: o.code)),
        points_without_location=len(orgs) - len(points),
        measured=len(measured),
        unmeasured=unmeasured,
        within=within,
        outside=tuple(outside),
    )


def _nearest_finder(spots: list[tuple[float, float]]) -> Callable[[float, float], float]:
    """A function giving the metres from a point to the nearest of ``spots``: an STRtree in a
    local equirectangular frame (longitudes scaled by the cosine of the mean latitude), checked
    with ``distance_m`` over the candidates no farther than the tree's nearest."""
    if not spots:
        return lambda x, y: float("inf")
    scale = math.cos(math.radians(statistics.fmean(y for _, y in spots)))
    tree = shapely.STRtree([shapely.Point(x * scale, y) for x, y in spots])

    def nearest(x: float, y: float) -> float:
        i = int(tree.nearest(shapely.Point(x * scale, y)))
        best = distance_m(x, y, *spots[i])
        reach = best / 111_000.0 * 1.01 + 1e-9  # degrees: every spot possibly nearer
        near = tree.query(shapely.box(x * scale - reach, y - reach, x * scale + reach, y + reach))
        return min([best, *(distance_m(x, y, *spots[int(j)]) for j in near)])

    return nearest


def _measured_level(region: Region, centroid: dict[str, tuple[float, float]]) -> Level | None:
    """The lowest level of the region where some place has a boundary."""
    levels = {p.level for p in region.places if p.code in centroid}
    return max(levels, key=list(Level).index) if levels else None
