"""The ``locate`` query and the ``boundary`` fields over HTTP, on every store."""

from __future__ import annotations

from datetime import date

import orjson

from registry.geo import from_wgs84
from registry.store import GraphStore
from registry.testing import VILLAGE, square
from tests.schema.conftest import Gql

FROM = date(2025, 1, 1)

LOCATE = """
query ($point: PointInput!, $at: Date, $near: Float) {
  locate(point: $point, at: $at, nearMetres: $near) {
    point { lon lat crs }
    wgs84 { lon lat }
    at status nearMetres
    grid { code tier }
    gridChain { grid { code } found }
    placeChain { place { code } found }
    candidates { grid { code } distanceMetres reason }
    nearest { grid { code } distanceMetres reason }
  }
}
"""


def _tile(store: GraphStore) -> None:
    store.apply(
        [
            square("B-village", 108.90, 24.80, 108.92, 24.82, place=VILLAGE, valid_from=FROM),
            square("B-G1", 108.90, 24.80, 108.92, 24.82, grid="G451225-001", valid_from=FROM),
            square("B-G2", 108.90, 24.80, 108.91, 24.82, grid="G451225-001-01", valid_from=FROM),
        ]
    )


def test_locate_inside(store: GraphStore, gql: Gql) -> None:
    _tile(store)
    body = gql(LOCATE, point={"lon": 108.905, "lat": 24.805}, at="2026-11-01")
    assert "errors" not in body, body
    loc = body["data"]["locate"]
    assert loc["status"] == "INSIDE"
    assert loc["point"] == {"lon": 108.905, "lat": 24.805, "crs": "WGS84"}
    assert loc["nearMetres"] == 50
    assert loc["grid"] == {"code": "G451225-001-01", "tier": 2}
    assert loc["gridChain"] == [
        {"grid": {"code": "G451225-001-01"}, "found": "GEOMETRIC"},
        {"grid": {"code": "G451225-001"}, "found": "GEOMETRIC"},
    ]
    assert loc["placeChain"][:2] == [
        {"place": {"code": f"{VILLAGE}-001"}, "found": "LISTED"},
        {"place": {"code": VILLAGE}, "found": "GEOMETRIC"},
    ]
    assert loc["candidates"] == [] and loc["nearest"] == []


def test_locate_gcj02_and_uncovered(store: GraphStore, gql: Gql) -> None:
    _tile(store)
    lon, lat = from_wgs84(108.915, 24.805, "GCJ02")
    body = gql(LOCATE, point={"lon": lon, "lat": lat, "crs": "GCJ02"}, at="2026-11-01")
    loc = body["data"]["locate"]
    assert loc["point"]["crs"] == "GCJ02"
    assert abs(loc["wgs84"]["lon"] - 108.915) < 1e-7
    assert loc["grid"]["code"] == "G451225-001"

    body = gql(LOCATE, point={"lon": 108.93, "lat": 24.81}, at="2026-11-01")
    loc = body["data"]["locate"]
    assert loc["status"] == "UNCOVERED" and loc["grid"] is None
    assert [n["grid"]["code"] for n in loc["nearest"]] == ["G451225-001", "G451225-001-01"]
    assert 1000 < loc["nearest"][0]["distanceMetres"] < 1020
    assert loc["nearest"][0]["reason"].endswith(" m away")


def test_locate_bad_point_is_invalid_input(store: GraphStore, gql: Gql) -> None:
    body = gql(LOCATE, point={"lon": 200.0, "lat": 24.8})
    [err] = body["errors"]
    assert err["extensions"]["code"] == "INVALID_INPUT"
    assert err["extensions"]["field"] == "point"


def test_boundary_fields_on_grid_and_place(store: GraphStore, gql: Gql) -> None:
    _tile(store)
    query = """
    query ($at: Date) {
      place(code: "451225100201") { boundary(at: $at) }
      grid(code: "G451225-001") { boundary(at: $at) }
      hamlet: place(code: "451225100201-001") { boundary(at: $at) }
    }
    """
    data = gql(query, at="2026-11-01")["data"]
    geometry = orjson.loads(data["place"]["boundary"])
    assert geometry["type"] == "Polygon"
    assert geometry["coordinates"][0][0] == [108.9, 24.8]
    assert data["grid"]["boundary"] == data["place"]["boundary"]
    assert data["hamlet"]["boundary"] is None
    assert gql(query, at="2024-01-01")["data"]["place"]["boundary"] is None
