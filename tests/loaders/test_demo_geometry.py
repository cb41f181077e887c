"""Synthetic boundaries of the demo county: an exact tiling, checked in pure Python."""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import combinations, pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.demo import DEMO_COUNTY, GRIDS_FROM, demo_gaps, demo_records
from loaders.demo_geometry import (
    COUNTY_RECT,
    SCALE,
    Rect,
    Tile,
    area,
    contains,
    layout,
    polygon,
    rect_of,
    tile,
)
from registry.codes import Level
from registry.model import AnyRecord, Boundary, Coverage, Grid, Place
from registry.store import open_store

Box = tuple[float, float, float, float]  # west, south, east, north in degrees


class Demo:
    """The demo's places, grids and boundaries, indexed for the checks below."""

    def __init__(self, records: Sequence[AnyRecord]) -> None:
        self.places = {
            r.code: r for r in records if isinstance(r, Place) and r.code.startswith("451225")
        }
        self.grids = {r.code: r for r in records if isinstance(r, Grid)}
        self.boundaries = [r for r in records if isinstance(r, Boundary)]
        self.coverage: dict[str, list[str]] = defaultdict(list)
        for r in records:
            if isinstance(r, Coverage):
                self.coverage[r.grid].append(r.place)
        self.box: dict[str, Box] = {}
        for b in self.boundaries:
            self.box[b.place or b.grid or ""] = _box(b.geometry)

    def level(self, level: Level) -> list[str]:
        return [code for code, p in self.places.items() if p.level is level]

    def tier(self, tier: int) -> list[str]:
        return [code for code, g in self.grids.items() if g.tier == tier]

    def children(self) -> dict[str, list[str]]:
        """Every parent outline and the outlines that must tile it exactly."""
        kids: dict[str, list[str]] = defaultdict(list)
        for code, p in self.places.items():
            if p.level in (Level.TOWNSHIP, Level.VILLAGE):
                kids[p.parent or ""].append(code)
        for code, g in self.grids.items():
            if g.tier == 1:
                kids[self.coverage[code][0]].append(code)  # the village's tier-1 grid(s)
            elif g.tier == 2:
                kids[g.parent or ""].append(code)  # tier-2 grids tile their tier-1 grid
                kids[code].extend(self.coverage[code])  # hamlets tile their tier-2 grid
            else:
                kids[self.coverage[code][0]].append(code)  # micro-grids tile their hamlet
        return kids


def _ring(geometry: str) -> list[tuple[float, float]]:
    value = json.loads(geometry)
    assert value["type"] == "Polygon" and len(value["coordinates"]) == 1
    return [(float(x), float(y)) for x, y in value["coordinates"][0]]


def _box(geometry: str) -> Box:
    ring = _ring(geometry)
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (min(xs), min(ys), max(xs), max(ys))


def _area(b: Box) -> float:
    return (b[2] - b[0]) * (b[3] - b[1])


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def _inside(inner: Box, outer: Box) -> bool:
    return (
        outer[0] <= inner[0] < inner[2] <= outer[2] and outer[1] <= inner[1] < inner[3] <= outer[3]
    )


def _strictly_in(point: tuple[float, float], b: Box) -> bool:
    return b[0] < point[0] < b[2] and b[1] < point[1] < b[3]


def _centre(b: Box) -> tuple[float, float]:
    return ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)


def _assert_exact_tiling(demo: Demo) -> None:
    kids = demo.children()
    assert len(kids) > 1000
    for parent, children in kids.items():
        outer = demo.box[parent]
        boxes = [demo.box[c] for c in children]
        assert all(_inside(b, outer) for b in boxes), parent
        total = sum(_area(b) for b in boxes)
        assert math.isclose(total, _area(outer), rel_tol=1e-9), parent
        for a, b in combinations(boxes, 2):
            assert _overlap(a, b) == 0.0, parent
    county = demo.box[DEMO_COUNTY]
    townships = [demo.box[t] for t in demo.level(Level.TOWNSHIP)]
    assert math.isclose(sum(_area(b) for b in townships), _area(county), rel_tol=1e-9)


@pytest.fixture(scope="module")
def demo() -> Demo:
    return Demo(demo_records())


# --- the demo's boundaries ------------------------------------------------------------------


def test_demo_boundary_per_place_and_grid(demo: Demo) -> None:
    outlined = Counter(b.place or b.grid for b in demo.boundaries)
    assert all(n == 1 for n in outlined.values())
    assert set(outlined) == set(demo.places) | set(demo.grids)
    assert Counter(p.level for p in demo.places.values()) == {
        Level.COUNTY: 1,
        Level.TOWNSHIP: 11,
        Level.VILLAGE: 142,
        Level.HAMLET: 922,
    }
    assert Counter(g.tier for g in demo.grids.values()) == {1: 143, 2: 725, 3: 1696}
    assert len(demo.boundaries) == 1076 + 2564 == 3640
    for b in demo.boundaries:
        assert (b.place is None) != (b.grid is None)
        assert b.id == f"B-{b.place or b.grid}" and b.source == "synthetic"
        assert b.valid_to is None
        assert b.valid_from == (GRIDS_FROM if b.grid else None)


def test_demo_boundaries_are_closed_ccw_rectangles(demo: Demo) -> None:
    for b in demo.boundaries:
        ring = _ring(b.geometry)
        assert len(ring) == 5 and ring[0] == ring[-1], b.id
        assert len({x for x, _ in ring}) == 2 and len({y for _, y in ring}) == 2, b.id
        signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))
        assert signed > 0, b.id  # counter-clockwise exterior ring (RFC 7946)
        for x, y in ring:  # six decimals at most: the exact micro-degree value
            assert round(x * SCALE) / SCALE == x and round(y * SCALE) / SCALE == y, b.id


def test_demo_county_in_plausible_bounds(demo: Demo) -> None:
    west, south, east, north = demo.box[DEMO_COUNTY]
    assert 108.5 <= west < east <= 109.2 and 24.6 <= south < north <= 25.3
    km2 = _area(demo.box[DEMO_COUNTY]) * 111.32 * 110.57 * math.cos(math.radians(24.95))
    assert 2000 < km2 < 3500  # the real county has about 2,660 km²
    for code, box in demo.box.items():  # nothing is a sliver: at least about 250 m a side
        assert box[2] - box[0] > 0.0025 and box[3] - box[1] > 0.0025, code


def test_demo_children_tile_their_parents_exactly(demo: Demo) -> None:
    _assert_exact_tiling(demo)


def test_demo_tiling_is_exact_in_micro_degrees(demo: Demo) -> None:
    """In integer micro-degrees the areas add up exactly: shared edges are identical."""
    rect = {code: rect_of(b.geometry) for b in demo.boundaries for code in (b.place or b.grid,)}
    assert rect[DEMO_COUNTY] == COUNTY_RECT
    for parent, children in demo.children().items():
        assert sum(area(rect[c]) for c in children) == area(rect[parent]), parent


def test_demo_tier1_grid_is_its_village_and_single_groups_their_hamlet(demo: Demo) -> None:
    split = []
    for village in demo.level(Level.VILLAGE):
        tier1 = [g for g in demo.tier(1) if demo.coverage[g] == [village]]
        if len(tier1) == 1:
            assert demo.box[tier1[0]] == demo.box[village]
        else:
            split.append(village)
    assert len(split) == 1
    for g in demo.tier(2):
        hamlets = demo.coverage[g]
        if len(hamlets) == 1:
            assert demo.box[g] == demo.box[hamlets[0]]
        else:  # the union of two rectangles is a rectangle
            union = (
                min(demo.box[h][0] for h in hamlets),
                min(demo.box[h][1] for h in hamlets),
                max(demo.box[h][2] for h in hamlets),
                max(demo.box[h][3] for h in hamlets),
            )
            assert union == demo.box[g]


def test_demo_micro_grid_centres_route_to_one_grid_and_hamlet(demo: Demo) -> None:
    micro = demo.tier(3)
    hamlets = demo.level(Level.HAMLET)
    villages = demo.level(Level.VILLAGE)
    for g in micro:
        point = _centre(demo.box[g])
        assert [m for m in micro if _strictly_in(point, demo.box[m])] == [g]
        assert [h for h in hamlets if _strictly_in(point, demo.box[h])] == demo.coverage[g]
        [village] = [v for v in villages if _strictly_in(point, demo.box[v])]
        assert demo.places[demo.coverage[g][0]].parent == village
        assert contains(rect_of(polygon(COUNTY_RECT)), *point)


def test_demo_uncovered_hamlets_have_no_micro_grid(demo: Demo) -> None:
    uncovered = demo_gaps().uncovered_hamlets
    assert len(uncovered) == 2
    for h in uncovered:
        hamlet = demo.box[h]
        assert all(_overlap(hamlet, demo.box[g]) == 0.0 for g in demo.tier(3)), h
        assert all(not _strictly_in(_centre(demo.box[g]), hamlet) for g in demo.tier(3))
        # ... but the hamlet still lies in its tier-2 grid, village and township
        [tier2] = [g for g in demo.tier(2) if h in demo.coverage[g]]
        assert _inside(hamlet, demo.box[tier2])


@pytest.mark.parametrize("seed", [1, 2])
def test_demo_other_seeds_tile_exactly(seed: int) -> None:
    records = demo_records(seed)
    demo = Demo(records)
    assert len(demo.boundaries) == len(demo.places) + len(demo.grids)
    _assert_exact_tiling(demo)
    open_store("memory://").apply(records)  # passes every invariant


def test_demo_with_boundaries_passes_every_invariant() -> None:
    records = demo_records()
    store = open_store("memory://")
    assert store.apply(records).written == len(records)
    assert store.get(Boundary, f"B-{DEMO_COUNTY}") is not None
    assert len(store.referrers(Boundary, "grid", "G451225-001")) == 1


# --- the tiling itself ------------------------------------------------------------------------


def _check_tiling(rect: Rect, weights: Sequence[float], pieces: list[Rect]) -> None:
    assert len(pieces) == len(weights)
    assert sum(area(p) for p in pieces) == area(rect)
    for p in pieces:
        assert rect[0] <= p[0] < p[2] <= rect[2] and rect[1] <= p[1] < p[3] <= rect[3]
    for a, b in combinations(pieces, 2):
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        assert w <= 0 or h <= 0, (a, b)


def test_tile_areas_in_proportion_and_order_kept() -> None:
    rect = COUNTY_RECT
    weights = [5.0, 1.0, 3.0, 3.0, 2.0, 8.0, 1.0]
    pieces = tile(rect, weights)
    _check_tiling(rect, weights, pieces)
    for w, p in zip(weights, pieces, strict=True):
        assert math.isclose(area(p) / area(rect), w / sum(weights), rel_tol=1e-4)
    assert pieces == tile(rect, weights)  # deterministic
    assert tile(rect, [1.0]) == [rect]


@given(
    st.lists(st.integers(1, 500), min_size=1, max_size=30),
    st.integers(30, 100_000),
    st.integers(30, 100_000),
)
def test_tile_is_always_an_exact_tiling(weights: list[int], width: int, height: int) -> None:
    rect = (108_600_000, 24_700_000, 108_600_000 + width, 24_700_000 + height)
    _check_tiling(rect, weights, tile(rect, weights))


def test_tile_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="positive"):
        tile(COUNTY_RECT, [1.0, 0.0])
    with pytest.raises(ValueError, match="nothing"):
        tile(COUNTY_RECT, [])
    with pytest.raises(ValueError, match="too small"):
        tile((0, 0, 2, 2), [1.0, 1.0, 1.0])


def test_layout_names_every_key_once() -> None:
    tree = Tile.of(
        ("c",),
        [Tile.of(("t1",), [Tile(("v1", "g1"), 2), Tile(("v2",), 1, (Tile(("g2",), 1),))])],
    )
    rects = layout(tree, COUNTY_RECT)
    assert rects["c"] == rects["t1"] == COUNTY_RECT
    assert rects["v1"] == rects["g1"] and rects["v2"] == rects["g2"]
    assert area(rects["v1"]) + area(rects["v2"]) == area(COUNTY_RECT)
    with pytest.raises(ValueError, match="twice"):
        layout(Tile.of(("a",), [Tile(("a",), 1)]))


def test_polygon_text_round_trips() -> None:
    rect = (108_612_345, 24_700_001, 108_700_000, 24_800_000)
    text = polygon(rect)
    assert text.startswith('{"type":"Polygon","coordinates":[[[108.612345,24.700001],')
    assert rect_of(text) == rect
    assert contains(rect, 108.65, 24.75) and not contains(rect, 108.7, 24.75)
