"""Geometry: boundary validation, Chinese map coordinates, distances and a boundary index.

This is the only module that imports ``shapely`` and ``prcoords``; the rest of the registry
sees plain floats, text and records.

A boundary's ``geometry`` is a GeoJSON geometry object as text: a ``Polygon`` or
``MultiPolygon``, longitude/latitude in WGS-84, rings closed and not self-intersecting.

>>> check_geometry('{"type": "Polygon", "coordinates": [[[108, 24], [108.1, 24], [108.1, 24.1],'
...                ' [108, 24]]]}')
>>> check_geometry('{"type": "Point", "coordinates": [108, 24]}')
Traceback (most recent call last):
...
registry.errors.InvalidInput: geometry must be a GeoJSON Polygon or MultiPolygon, not 'Point'

Chinese web maps (高德, 腾讯, ...) publish GCJ-02 coordinates, offset from WGS-84 by a few hundred
metres; ``to_wgs84`` removes the offset (``prcoords``' iterative inverse, well below a metre):

>>> lon, lat = to_wgs84(116.41024449916938, 39.91640428150164, "GCJ02")
>>> round(lon, 6), round(lat, 6)
(116.404, 39.915)

Distances are in metres on a local equirectangular projection centred on the query point
(x = R·Δλ·cos φ₀, y = R·Δφ, R = 6 371 008.8 m, the mean Earth radius): within a few kilometres
the error is far below the accuracy of any boundary survey, which is all point lookups need.

>>> round(distance_m(108.0, 24.0, 108.0, 25.0) / 1000, 1)
111.2
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy
import orjson
import prcoords  # type: ignore[import-untyped]
import shapely
from shapely.geometry import Point, box, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from registry.errors import InvalidInput
from registry.model import Boundary

__all__ = [
    "EARTH_RADIUS_M",
    "BoundaryIndex",
    "Crs",
    "Hit",
    "check_geometry",
    "distance_m",
    "from_wgs84",
    "parse_geometry",
    "to_wgs84",
]

Crs = Literal["WGS84", "GCJ02"]
#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180
_TYPES = ("Polygon", "MultiPolygon")


def parse_geometry(text: str) -> BaseGeometry:
    """The shapely geometry of a boundary's GeoJSON text; raises ``InvalidInput`` (field
    ``geometry``) when it is not valid JSON, not a Polygon/MultiPolygon, or not a valid one
    (unclosed or too short ring, self-intersection, longitude/latitude out of range)."""
    try:
        obj: Any = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"geometry is not valid JSON: {exc}", field="geometry") from exc
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind not in _TYPES:
        raise InvalidInput(
            f"geometry must be a GeoJSON Polygon or MultiPolygon, not {kind!r}", field="geometry"
        )
    coords = obj.get("coordinates")
    rings = [coords] if kind == "Polygon" else coords
    if not isinstance(rings, list) or not rings:
        raise InvalidInput(f"geometry: a {kind} needs coordinates", field="geometry")
    for polygon in rings:
        if not isinstance(polygon, list) or not polygon:
            raise InvalidInput(f"geometry: a {kind} needs rings of positions", field="geometry")
        for ring in polygon:
            _check_ring(ring)
    try:
        geom = shape(obj)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise InvalidInput(f"geometry is not a valid {kind}: {exc}", field="geometry") from exc
    if geom.is_empty or not geom.is_valid:
        raise InvalidInput(
            f"geometry is not a valid {kind}: {explain_validity(geom)}", field="geometry"
        )
    return geom


def _check_ring(ring: Any) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise InvalidInput("geometry: a ring needs at least 4 positions", field="geometry")
    for pos in ring:
        if (
            not isinstance(pos, list)
            or len(pos) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos[:2])
        ):
            raise InvalidInput(f"geometry: {pos!r} is not a position", field="geometry")
        if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
            raise InvalidInput(
                f"geometry: {pos!r} is not a longitude/latitude position", field="geometry"
            )
    if ring[0][:2] != ring[-1][:2]:
        raise InvalidInput(
            "geometry: a ring must be closed (its last position equals its first)",
            field="geometry",
        )


def check_geometry(text: str) -> None:
    """Raise ``InvalidInput`` (field ``geometry``) unless ``text`` is a valid boundary."""
    parse_geometry(text)


def to_wgs84(lon: float, lat: float, crs: str = "WGS84") -> tuple[float, float]:
    """``(lon, lat)`` in WGS-84 from ``crs`` ("WGS84" or "GCJ02"). Outside China GCJ-02 is
    WGS-84 unchanged (that is how every GCJ-02 implementation behaves)."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(f"({lon}, {lat}) is not a longitude/latitude point", field="point")
    if crs == "WGS84":
        return lon, lat
    if crs != "GCJ02":
        raise InvalidInput(f"unknown coordinate system {crs!r} (use WGS84 or GCJ02)", field="crs")
    if not prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)):
        return lon, lat
    wgs = prcoords.gcj_wgs_bored((lat, lon))
    return float(wgs.lon), float(wgs.lat)


def from_wgs84(lon: float, lat: float, crs: str = "WGS84") -> tuple[float, float]:
    """``(lon, lat)`` in ``crs`` from WGS-84 (the inverse of ``to_wgs84``)."""
    x, y = to_wgs84(lon, lat, "WGS84")  # validates the point
    if crs not in ("WGS84", "GCJ02"):
        raise InvalidInput(f"unknown coordinate system {crs!r} (use WGS84 or GCJ02)", field="crs")
    if crs == "WGS84" or not prcoords.sanity_in_china_p(prcoords.Coords(y, x)):
        return x, y
    gcj = prcoords.wgs_gcj((y, x), False)
    return float(gcj.lon), float(gcj.lat)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two WGS-84 points (equirectangular at the first point's latitude)."""
    dx = (lon2 - lon1) * math.cos(math.radians(lat1)) * _M_PER_DEG
    dy = (lat2 - lat1) * _M_PER_DEG
    return math.hypot(dx, dy)


def _metres_to(geom: BaseGeometry, lon: float, lat: float) -> float:
    """Metres from the point to ``geom`` (0 inside), on the projection centred on the point."""
    kx = math.cos(math.radians(lat)) * _M_PER_DEG

    def project(xy: Any) -> Any:
        out = xy.copy()
        out[:, 0] = (xy[:, 0] - lon) * kx
        out[:, 1] = (xy[:, 1] - lat) * _M_PER_DEG
        return out

    return float(shapely.transform(geom, project).distance(Point(0.0, 0.0)))


class Hit:
    """A boundary found by the index and its distance in metres from the query point."""

    __slots__ = ("boundary", "metres")

    def __init__(self, boundary: Boundary, metres: float) -> None:
        self.boundary = boundary
        self.metres = metres

    def __repr__(self) -> str:
        return f"Hit({self.boundary.id!r}, {self.metres:.1f})"


class BoundaryIndex:
    """An in-process ``STRtree`` over boundaries (the ones in force at a date, built by the
    caller). Read-only once built, so it can be shared between threads.

    >>> sq = '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}'
    >>> idx = BoundaryIndex([Boundary(id="B1", geometry=sq, grid="G1")])
    >>> [h.boundary.id for h in idx.covering(0.5, 0.5)], idx.covering(2, 2)
    (['B1'], [])
    >>> [(h.boundary.id, round(h.metres)) for h in idx.within(1.001, 0.5, 500)]
    [('B1', 111)]
    """

    def __init__(self, boundaries: Sequence[Boundary]) -> None:
        self.boundaries = sorted(boundaries, key=lambda b: b.id)
        self.geometries = [parse_geometry(b.geometry) for b in self.boundaries]
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.boundaries)

    def covering(self, lon: float, lat: float) -> list[Hit]:
        """Boundaries containing the point, its border included (distance 0), by id."""
        found = self.tree.query(Point(lon, lat), predicate="intersects")
        return [Hit(self.boundaries[i], 0.0) for i in sorted(int(i) for i in found)]

    def within(self, lon: float, lat: float, metres: float) -> list[Hit]:
        """Boundaries at most ``metres`` from the point, nearest first (then by id)."""
        dlat = metres / _M_PER_DEG
        dlon = metres / (max(math.cos(math.radians(lat)), 1e-6) * _M_PER_DEG)
        hits = []
        for i in self.tree.query(box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)):
            d = _metres_to(self.geometries[int(i)], lon, lat)
            if d <= metres:
                hits.append(Hit(self.boundaries[int(i)], d))
        hits.sort(key=lambda h: (h.metres, h.boundary.id))
        return hits

    def overlapping(
        self, group_of: Callable[[Boundary], str | None], min_m2: float = 1.0
    ) -> list[tuple[Boundary, Boundary, float]]:
        """Pairs of boundaries of the same group (``group_of``; None: left out) whose interiors
        overlap by more than ``min_m2`` square metres (touching borders do not count), as
        (first, second, area) with ``first.id`` < ``second.id``, by ids.

        >>> a = '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}'
        >>> b = '{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}'
        >>> c = '{"type":"Polygon","coordinates":[[[0.5,0],[1.5,0],[1.5,1],[0.5,1],[0.5,0]]]}'
        >>> idx = BoundaryIndex([Boundary(id=i, geometry=g, grid=i) for i, g in
        ...                      (("A", a), ("B", b), ("C", c))])
        >>> [(x.id, y.id, round(m / 1e9, 1)) for x, y, m in idx.overlapping(lambda b: "t")]
        [('A', 'C', 6.2), ('B', 'C', 6.2)]
        >>> idx.overlapping(lambda b: b.id)
        []
        """
        names = [group_of(b) for b in self.boundaries]
        wanted = [i for i, name in enumerate(names) if name is not None]
        if not wanted:
            return []
        codes = {name: n for n, name in enumerate(sorted({x for x in names if x is not None}))}
        group = numpy.array([-1 if x is None else codes[x] for x in names])
        geoms = numpy.array(self.geometries, dtype=object)
        left, right = self.tree.query(geoms[wanted], predicate="intersects")
        left = numpy.array(wanted)[left]
        keep = (left < right) & (group[left] == group[right])
        pairs = sorted(zip(left[keep].tolist(), right[keep].tolist(), strict=True))
        if not pairs:
            return []
        first = numpy.array([i for i, _ in pairs])
        second = numpy.array([j for _, j in pairs])
        inner = ~shapely.touches(geoms[first], geoms[second])  # neighbours only touch
        first, second = first[inner], second[inner]
        pairs = list(zip(first.tolist(), second.tolist(), strict=True))
        shared = shapely.intersection(geoms[first], geoms[second])
        lats = shapely.get_y(shapely.centroid(shared))
        scale = _M_PER_DEG * _M_PER_DEG * numpy.maximum(numpy.cos(numpy.radians(lats)), 1e-6)
        areas = shapely.area(shared) * scale
        return [
            (self.boundaries[i], self.boundaries[j], float(m2))
            for (i, j), m2 in zip(pairs, areas, strict=True)
            if m2 > min_m2
        ]

    def nearest(self, lon: float, lat: float, count: int, grids: bool = True) -> list[Hit]:
        """The ``count`` nearest boundaries of distinct grids (or places when ``grids`` is
        False), nearest first: searched in growing squares, so distances are exact."""
        metres = 500.0
        while True:
            hits = [h for h in self.within(lon, lat, metres) if (h.boundary.grid is None) != grids]
            best: dict[str | None, Hit] = {}
            for h in hits:
                owner = h.boundary.grid if grids else h.boundary.place
                if owner not in best:
                    best[owner] = h
            if len(best) >= count or metres > 2.1e7:
                return list(best.values())[:count]
            metres *= 4
