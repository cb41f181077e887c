"""Boundary geometry validation, GCJ-02 conversion and distances (registry.geo)."""

from __future__ import annotations

import pytest

from registry.errors import InvalidInput
from registry.geo import check_geometry, distance_m, from_wgs84, to_wgs84
from registry.model import Boundary
from registry.store import GraphStore
from registry.testing import VILLAGE, square

SQUARE = '{"type":"Polygon","coordinates":[[[108.9,24.8],[108.92,24.8],[108.92,24.82],[108.9,24.82],[108.9,24.8]]]}'
BAD = {
    "bad JSON": '{"type": "Polygon", "coordinates": [[[108.9, 24.8]',
    "a Point": '{"type": "Point", "coordinates": [108.9, 24.8]}',
    "a bowtie": (
        '{"type":"Polygon","coordinates":[[[108.9,24.8],[108.92,24.82],'
        "[108.92,24.8],[108.9,24.82],[108.9,24.8]]]}"
    ),
    "an unclosed ring": (
        '{"type":"Polygon","coordinates":[[[108.9,24.8],[108.92,24.8],[108.92,24.82],'
        "[108.9,24.82]]]}"
    ),
    "a latitude out of range": (
        '{"type":"Polygon","coordinates":[[[108.9,24.8],[108.92,24.8],[108.92,124.82],'
        "[108.9,24.8]]]}"
    ),
}


def test_valid_polygon_and_multipolygon_pass() -> None:
    check_geometry(SQUARE)
    check_geometry(square("B", 108.9, 24.8, 108.92, 24.82, grid="G").geometry)
    ring = "[[108.9,24.8],[108.91,24.8],[108.91,24.81],[108.9,24.8]]"
    far = "[[109.9,24.8],[109.91,24.8],[109.91,24.81],[109.9,24.8]]"
    check_geometry(f'{{"type":"MultiPolygon","coordinates":[[{ring}],[{far}]]}}')


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_geometry_is_refused_naming_the_field(case: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_geometry(BAD[case])
    assert exc.value.field == "geometry"


def test_bowtie_message_says_self_intersection() -> None:
    with pytest.raises(InvalidInput, match="Self-intersection"):
        check_geometry(BAD["a bowtie"])


@pytest.mark.parametrize("case", sorted(BAD))
def test_every_store_refuses_bad_geometry_and_stays_unchanged(store: GraphStore, case: str) -> None:
    version = store.data_version()
    audits = len(store.audit_log(limit=1000))
    bad = Boundary(id="B-bad", geometry=BAD[case], place=VILLAGE)
    with pytest.raises(InvalidInput) as exc:
        store.apply([square("B-ok", 108.9, 24.8, 108.92, 24.82, grid="G451225-001"), bad])
    assert exc.value.field == "geometry"
    assert exc.value.ids == ("B-bad",)
    assert store.count(Boundary) == 0
    assert store.get(Boundary, "B-ok") is None
    assert store.data_version() == version
    assert len(store.audit_log(limit=1000)) == audits


def test_good_boundary_round_trips_and_bumps_the_version(empty_store: GraphStore) -> None:
    from registry.testing import sample_records

    empty_store.apply(sample_records())
    version = empty_store.data_version()
    b = square("B1", 108.9, 24.8, 108.92, 24.82, place=VILLAGE)
    empty_store.apply([b])
    assert empty_store.get(Boundary, "B1") == b
    assert empty_store.referrers(Boundary, "place", VILLAGE) == [b]
    assert empty_store.data_version() != version


# --- GCJ-02 ---------------------------------------------------------------------------------

#: The example pair of the widely used ``coordtransform`` (wandergis) README: WGS-84
#: (116.404, 39.915) is GCJ-02 (116.41024449916938, 39.91640428150164).
WGS_BEIJING = (116.404, 39.915)
GCJ_BEIJING = (116.41024449916938, 39.91640428150164)


def test_gcj_to_wgs_matches_the_published_pair() -> None:
    lon, lat = to_wgs84(*GCJ_BEIJING, "GCJ02")
    assert lon == pytest.approx(WGS_BEIJING[0], abs=1e-7)
    assert lat == pytest.approx(WGS_BEIJING[1], abs=1e-7)


def test_wgs_to_gcj_matches_the_published_pair() -> None:
    lon, lat = from_wgs84(*WGS_BEIJING, "GCJ02")
    assert lon == pytest.approx(GCJ_BEIJING[0], abs=1e-9)
    assert lat == pytest.approx(GCJ_BEIJING[1], abs=1e-9)


@pytest.mark.parametrize("point", [(108.905, 24.805), (121.4737, 31.2304), (87.6168, 43.8256)])
def test_gcj_round_trip_is_sub_centimetre(point: tuple[float, float]) -> None:
    gcj = from_wgs84(*point, "GCJ02")
    assert distance_m(*point, *gcj) > 50  # the offset is real in China
    back = to_wgs84(*gcj, "GCJ02")
    assert distance_m(*point, *back) < 0.01


def test_wgs84_and_outside_china_are_unchanged() -> None:
    assert to_wgs84(108.9, 24.8, "WGS84") == (108.9, 24.8)
    assert to_wgs84(2.3522, 48.8566, "GCJ02") == (2.3522, 48.8566)


@pytest.mark.parametrize(("lon", "lat", "crs"), [(200, 24, "WGS84"), (108, 24, "BD09")])
def test_bad_points_and_crs_are_invalid_input(lon: float, lat: float, crs: str) -> None:
    with pytest.raises(InvalidInput):
        to_wgs84(lon, lat, crs)


# --- distances ------------------------------------------------------------------------------


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert distance_m(108.0, 24.0, 108.0, 25.0) == pytest.approx(111_000, rel=0.01)


def test_longitude_shrinks_with_latitude() -> None:
    at_equator = distance_m(108.0, 0.0, 109.0, 0.0)
    at_60 = distance_m(108.0, 60.0, 109.0, 60.0)
    assert at_equator == pytest.approx(111_195, rel=0.001)
    assert at_60 == pytest.approx(at_equator / 2, rel=0.001)
    assert distance_m(108.9, 24.8, 108.9, 24.8) == 0
