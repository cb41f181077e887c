"""Point lookup over a tiny tiled geometry laid on the sample registry, on every store.

The village (东门村) is the square 108.90-108.92 E x 24.80-24.82 N, split into hamlet 001 (west
half) and hamlet 002 (east half); the county is a larger square around it. Grids: tier 1 =
the village square, tier 2 = hamlet 001's rectangle, tier 3 = its south-west quarter
(G451225-001-01-01) and north-west quarter (G451225-001-01-02, added here), which share the
border at 24.81 N.
"""

from __future__ import annotations

from datetime import date

import pytest

from registry.geo import distance_m, from_wgs84
from registry.model import Coverage, Grid
from registry.queries import boundary_index, locate
from registry.store import GraphStore
from registry.testing import COUNTY, SAMPLE_TODAY, VILLAGE, square

AT = SAMPLE_TODAY
FROM = date(2025, 1, 1)
H1, H2 = f"{VILLAGE}-001", f"{VILLAGE}-002"
T3A, T3B = "G451225-001-01-01", "G451225-001-01-02"


@pytest.fixture
def tiled(store: GraphStore) -> GraphStore:
    store.apply(
        [
            Grid(code=T3B, name="大塘屯第2微网格", tier=3, county=COUNTY, parent="G451225-001-01"),
            Coverage(grid=T3B, place=H1),
            square("B-county", 108.5, 24.5, 109.5, 25.5, place=COUNTY, valid_from=FROM),
            square("B-village", 108.90, 24.80, 108.92, 24.82, place=VILLAGE, valid_from=FROM),
            square("B-h1", 108.90, 24.80, 108.91, 24.82, place=H1, valid_from=FROM),
            square("B-h2", 108.91, 24.80, 108.92, 24.82, place=H2, valid_from=FROM),
            square("B-G1", 108.90, 24.80, 108.92, 24.82, grid="G451225-001", valid_from=FROM),
            square("B-G2", 108.90, 24.80, 108.91, 24.82, grid="G451225-001-01", valid_from=FROM),
            square("B-G3a", 108.90, 24.80, 108.91, 24.81, grid=T3A, valid_from=FROM),
            square("B-G3b", 108.90, 24.81, 108.91, 24.82, grid=T3B, valid_from=FROM),
        ]
    )
    return store


def test_point_inside_gives_the_lowest_grid_and_both_chains(tiled: GraphStore) -> None:
    loc = locate(tiled, 108.905, 24.805, at=AT)
    assert loc.status == "inside"
    assert loc.grid is not None and loc.grid.code == T3A
    assert [(g.grid.code, g.found) for g in loc.grid_chain] == [
        (T3A, "geometric"),
        ("G451225-001-01", "geometric"),
        ("G451225-001", "geometric"),
    ]
    assert [(p.place.code, p.found) for p in loc.place_chain] == [
        (H1, "geometric"),
        (VILLAGE, "geometric"),
        ("451225100000", "listed"),  # the township has no boundary
        (COUNTY, "geometric"),
        ("451200000000", "listed"),
        ("450000000000", "listed"),
    ]
    assert loc.candidates == () and loc.nearest == ()
    assert (loc.wgs84_lon, loc.wgs84_lat, loc.at) == (108.905, 24.805, AT)


def test_point_in_a_hamlet_without_a_lower_grid(tiled: GraphStore) -> None:
    loc = locate(tiled, 108.915, 24.805, at=AT)
    assert loc.status == "inside"
    assert loc.grid is not None and loc.grid.code == "G451225-001"
    assert loc.place_chain[0].place.code == H2  # geometry is deeper than the grid's listing
    assert loc.place_chain[0].found == "geometric"


def test_point_on_a_shared_border_takes_the_smallest_code(tiled: GraphStore) -> None:
    loc = locate(tiled, 108.905, 24.81, at=AT)
    assert loc.status == "border"
    assert loc.grid is not None and loc.grid.code == T3A  # T3A < T3B
    assert [(c.grid.code, c.distance_m, c.reason) for c in loc.candidates] == [
        (T3B, 0.0, "on the shared border")
    ]


def test_point_near_a_border_lists_the_neighbour_with_its_distance(tiled: GraphStore) -> None:
    lat = 24.81 - 0.0003  # about 33 m south of the shared border
    expected = distance_m(108.905, lat, 108.905, 24.81)
    loc = locate(tiled, 108.905, lat, at=AT)
    assert loc.status == "border"
    assert loc.grid is not None and loc.grid.code == T3A
    [cand] = loc.candidates
    assert cand.grid.code == T3B
    assert cand.distance_m == pytest.approx(expected, rel=1e-3)
    assert 30 < cand.distance_m < 36
    assert cand.reason == f"within {expected:.0f} m"
    assert locate(tiled, 108.905, lat, at=AT, near_metres=20).status == "inside"


def test_point_outside_everything_is_uncovered_with_nearest_grids(tiled: GraphStore) -> None:
    loc = locate(tiled, 108.95, 24.81, at=AT)
    assert loc.status == "uncovered"
    assert loc.grid is None and loc.grid_chain == () and loc.candidates == ()
    assert len(loc.nearest) == 3
    first = loc.nearest[0]
    assert first.grid.code == "G451225-001"
    assert first.distance_m == pytest.approx(distance_m(108.95, 24.81, 108.92, 24.81), rel=1e-3)
    distances = [n.distance_m for n in loc.nearest]
    assert distances == sorted(distances)
    assert len({n.grid.code for n in loc.nearest}) == 3
    assert loc.nearest[1].distance_m == pytest.approx(
        distance_m(108.95, 24.81, 108.91, 24.81), rel=1e-3
    )
    # still inside the county's boundary
    assert [p.place.code for p in loc.place_chain][:1] == [COUNTY]


def test_gcj02_input_is_converted(tiled: GraphStore) -> None:
    wgs = (108.905, 24.8115)  # in T3B, 167 m north of the border
    gcj = from_wgs84(*wgs, "GCJ02")
    loc = locate(tiled, *gcj, crs="GCJ02", at=AT)
    assert (loc.lon, loc.lat, loc.crs) == (gcj[0], gcj[1], "GCJ02")
    assert distance_m(*wgs, loc.wgs84_lon, loc.wgs84_lat) < 0.01
    assert loc.grid is not None and loc.grid.code == T3B
    misread = locate(tiled, *gcj, crs="WGS84", at=AT)  # the offset moves it into T3A
    assert misread.grid is not None and misread.grid.code == T3A


def test_boundaries_not_yet_in_force_are_not_found(tiled: GraphStore) -> None:
    loc = locate(tiled, 108.905, 24.805, at=date(2024, 6, 1))
    assert loc.status == "uncovered"
    assert loc.grid is None and loc.nearest == () and loc.place_chain == ()


def test_index_is_cached_and_rebuilt_after_a_write(tiled: GraphStore) -> None:
    first = boundary_index(tiled, AT)
    assert boundary_index(tiled, AT) is first
    assert len(first) == 8
    version = tiled.data_version()
    tiled.apply([square("B-G1b", 108.95, 24.80, 108.96, 24.82, grid="G451225-001")])
    assert tiled.data_version() != version
    rebuilt = boundary_index(tiled, AT)
    assert rebuilt is not first and len(rebuilt) == 9
    loc = locate(tiled, 108.955, 24.81, at=AT)
    assert loc.status == "inside" and loc.grid is not None and loc.grid.code == "G451225-001"


def test_data_version_changes_on_every_write_only(empty_store: GraphStore) -> None:
    v0 = empty_store.data_version()
    assert empty_store.data_version() == v0
    from registry.testing import sample_records

    empty_store.apply(sample_records())
    v1 = empty_store.data_version()
    empty_store.apply([square("B1", 108.9, 24.8, 108.92, 24.82, place=VILLAGE)])
    v2 = empty_store.data_version()
    assert len({v0, v1, v2}) == 3
