"""Synthetic boundaries for the demo county: a deterministic, exact tiling of a rectangle.

Pure Python (no geometry library). Coordinates are integers in micro-degrees (1e-6°, about
0.1 m), so every cut is exact: a parent's rectangle is split into children that share their
edges bit for bit, and the children's areas add up to the parent's exactly. The layout is an
ordered binary treemap: the items (in their given order) are split into two runs, the rectangle
is cut along a meridian or a parallel in proportion to the two runs' weights, and each half is
split the same way. Of all the places and directions to cut, the one leaving the two halves
least elongated on the ground (east-west lengths scaled by the cosine of the latitude; a half
holding ``n`` pieces may be ``n`` times as long as wide) wins, ties going to the most even split.
Items keep their order, so neighbours in the list end up next to each other on the map.

A ``Tile`` tree says what to lay out: each tile names the records it outlines (a village and its
tier-1 grid share one tile, for instance) and has a weight relative to its siblings;
``layout`` gives the rectangle of every name.

>>> parts = tile((0, 0, 400, 100), [1, 1, 2])
>>> parts
[(0, 0, 100, 100), (100, 0, 200, 100), (200, 0, 400, 100)]
>>> sum(area(p) for p in parts) == area((0, 0, 400, 100))
True
>>> tree = Tile.of(("county",), [Tile(("a",), 3), Tile(("b", "b-grid"), 1)])
>>> rects = layout(tree, (108_600_000, 24_700_000, 108_800_000, 24_800_000))
>>> rects["b-grid"]
(108750000, 24700000, 108800000, 24800000)
>>> polygon(rects["b"])
'{"type":"Polygon","coordinates":[[[108.75,24.7],[108.8,24.7],[108.8,24.8],[108.75,24.8],[108.75,24.7]]]}'
>>> rect_of(polygon(rects["b"])) == rects["b"]
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "COUNTY_RECT",
    "SCALE",
    "Rect",
    "Tile",
    "area",
    "contains",
    "layout",
    "polygon",
    "rect_of",
    "tile",
]

#: A rectangle ``(west, south, east, north)`` in micro-degrees of WGS-84 longitude/latitude.
Rect = tuple[int, int, int, int]

SCALE = 1_000_000  # micro-degrees per degree

#: The demo county: 108.60-109.10 °E, 24.70-25.20 °N (about 50 km x 55 km, 2,800 km²), where
#: 罗城仫佬族自治县 lies (its seat 东门镇 is near 108.90 °E, 24.78 °N; the real county has
#: about 2,660 km²).
COUNTY_RECT: Rect = (108_600_000, 24_700_000, 109_100_000, 25_200_000)

#: East-west length of a degree of longitude relative to a degree of latitude at the county.
_LON_FACTOR = math.cos(math.radians(24.95))


@dataclass(frozen=True, slots=True)
class Tile:
    """Part of the map: the records it outlines, its weight among its siblings, its parts."""

    keys: tuple[str, ...]
    weight: float
    children: tuple[Tile, ...] = ()

    @classmethod
    def of(cls, keys: tuple[str, ...], children: Iterable[Tile]) -> Tile:
        """A tile whose weight is the sum of its children's."""
        kids = tuple(children)
        return cls(keys, sum(c.weight for c in kids), kids)


def area(rect: Rect) -> int:
    """The area of ``rect`` in square micro-degrees (exact)."""
    west, south, east, north = rect
    return (east - west) * (north - south)


def contains(rect: Rect, lon: float, lat: float) -> bool:
    """True when the point lies strictly inside ``rect`` (coordinates in degrees)."""
    west, south, east, north = (c / SCALE for c in rect)
    return west < lon < east and south < lat < north


def tile(rect: Rect, weights: Sequence[float]) -> list[Rect]:
    """Split ``rect`` into one rectangle per weight, areas in proportion, order kept.

    The pieces tile ``rect`` exactly (no gaps, no overlaps, shared edges identical). Every piece
    is at least one micro-degree wide and high; ``ValueError`` when that is impossible or a
    weight is not positive.
    """
    if not weights:
        raise ValueError("nothing to lay out")
    if not all(w > 0 for w in weights):
        raise ValueError(f"weights must be positive: {list(weights)}")
    out: list[Rect] = []
    _tile(rect, list(weights), out)
    return out


def _tile(rect: Rect, weights: list[float], out: list[Rect]) -> None:
    if len(weights) == 1:
        out.append(rect)
        return
    sums = list(accumulate(weights))
    total, n = sums[-1], len(weights)
    west, south, east, north = rect
    candidates: list[tuple[float, float, int, bool, Rect, Rect]] = []
    for k in range(1, n):
        for along_meridian in (True, False):  # cut along a meridian (west | east) or a parallel
            low, high = (west, east) if along_meridian else (south, north)
            if high - low < n:
                continue
            cut = _cut(low, high, sums[k - 1], total, k, n - k)
            a, b = (
                ((west, south, cut, north), (cut, south, east, north))
                if along_meridian
                else ((west, south, east, cut), (west, cut, east, north))
            )
            badness = max(_badness(a, k), _badness(b, n - k))
            candidates.append((badness, abs(2 * sums[k - 1] - total), k, not along_meridian, a, b))
    if not candidates:
        raise ValueError(f"{rect} is too small for {n} pieces")
    _, _, k, _, a, b = min(candidates)
    _tile(a, weights[:k], out)
    _tile(b, weights[k:], out)


def _badness(rect: Rect, items: int) -> float:
    """How elongated ``rect`` is (on the ground) for holding ``items`` pieces: 1 is fine."""
    west, south, east, north = rect
    width, height = (east - west) * _LON_FACTOR, north - south
    aspect = max(width / height, height / width)
    return max(aspect / items, 1.0)


def _cut(low: int, high: int, part: float, total: float, n_low: int, n_high: int) -> int:
    """The coordinate dividing ``low..high`` at ``part / total``, leaving a micro-degree per item."""
    if high - low < n_low + n_high:
        raise ValueError(f"{low}..{high} is too small for {n_low + n_high} pieces")
    cut = low + round((high - low) * part / total)
    return min(max(cut, low + n_low), high - n_high)


def layout(root: Tile, rect: Rect = COUNTY_RECT) -> dict[str, Rect]:
    """The rectangle of every key in the tree under ``root``, ``root`` filling ``rect``."""
    rects: dict[str, Rect] = {}
    stack = [(root, rect)]
    while stack:
        node, box = stack.pop()
        for key in node.keys:
            if key in rects:
                raise ValueError(f"{key} appears twice in the layout")
            rects[key] = box
        if node.children:
            pieces = tile(box, [c.weight for c in node.children])
            stack.extend(zip(node.children, pieces, strict=True))
    return rects


def polygon(rect: Rect) -> str:
    """``rect`` as the text of a GeoJSON Polygon: closed, exterior ring counter-clockwise.

    Coordinates are the decimal micro-degree values (at most 6 decimals), so two rectangles
    sharing an edge write identical numbers.
    """
    west, south, east, north = (c / SCALE for c in rect)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))


def rect_of(geometry: str) -> Rect:
    """The bounding rectangle, in micro-degrees, of the exterior ring of a GeoJSON Polygon."""
    ring = json.loads(geometry)["coordinates"][0]
    lons = [round(p[0] * SCALE) for p in ring]
    lats = [round(p[1] * SCALE) for p in ring]
    return (min(lons), min(lats), max(lons), max(lats))
