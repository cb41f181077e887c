"""The planners' fields of ``coverage`` over HTTP, on every store: statuses and counts, gaps,
territory, workload, structure and reach, each matching the query functions."""

from __future__ import annotations

from registry.queries.reach import reach_report
from registry.queries.structure import structure_report
from registry.queries.territory import territory_report
from registry.queries.workload import workload_report
from registry.store import GraphStore
from registry.testing import COUNTY, SAMPLE_TODAY, TOWN, VILLAGE, square
from tests.schema.conftest import Gql

REPORT = """
query ($scope: String!, $days: Int) {
  coverage(scope: $scope, at: "2026-11-01", expiringDays: $days) {
    expiringDays
    totals { filled expiring overStaffed vacant expired missing total met fillRate }
    rollups { code counts { met total fillRate } }
    gaps { totalCount nodes { subjectCode roleCode status } }
    entries(status: FILLED, township: "451225100000") { totalCount }
    territory {
      uncovered { code } doubleCovered { place { code } } overlapping { squareMetres }
      brokenChains { grid { code } reason } withoutWorker { code }
    }
    workload {
      workersCount grids { maximum fence } households { median }
      outliers { person { name } } workers(first: 5) { totalCount nodes { gridCodes places } }
    }
    structure {
      placesPerLevel { level count } gridsPerTier { tier count }
      fanOut { kind parentLevel parents histogram { children parents } }
      centresMissing { code } unstationed { code } isolatedBorderCounties { code }
    }
    reach(minutes: 15, speedKmh: 20) {
      radiusMetres level measured within share outside { place { code } metres }
      points { code } pointsWithoutLocation
    }
  }
}
"""


def test_coverage_planner_fields(store: GraphStore, gql: Gql) -> None:
    store.apply(
        [
            square("B-h1", 108.90, 24.80, 108.91, 24.81, place=f"{VILLAGE}-001"),
            square("B-t", 108.90, 24.80, 108.92, 24.81, place=TOWN),
        ]
    )
    body = gql(REPORT, scope=COUNTY, days=90)
    assert "errors" not in body, body
    cov = body["data"]["coverage"]
    assert cov["expiringDays"] == 90
    assert cov["totals"] == {
        "filled": 1,
        "expiring": 0,
        "overStaffed": 0,
        "vacant": 1,
        "expired": 0,
        "missing": 1,
        "total": 3,
        "met": 1,
        "fillRate": 1 / 3,
    }
    assert cov["gaps"]["totalCount"] == 2
    assert {(n["roleCode"], n["status"]) for n in cov["gaps"]["nodes"]} == {
        ("law_literate", "VACANT"),
        ("governance_officer", "MISSING"),
    }
    assert cov["entries"]["totalCount"] == 1
    territory = territory_report(store, COUNTY, SAMPLE_TODAY)
    assert cov["territory"]["uncovered"] == [{"code": p.code} for p in territory.uncovered]
    assert cov["territory"]["brokenChains"] == [] and cov["territory"]["withoutWorker"] == []
    workload = workload_report(store, COUNTY, SAMPLE_TODAY)
    assert cov["workload"]["workersCount"] == len(workload.workers) == 1
    assert cov["workload"]["workers"]["nodes"] == [
        {"gridCodes": ["G451225-001-01-01"], "places": 1}
    ]
    structure = structure_report(store, COUNTY, SAMPLE_TODAY)
    assert cov["structure"]["centresMissing"] == [{"code": VILLAGE}]
    assert len(cov["structure"]["fanOut"]) == len(structure.fan_out)
    reach = reach_report(store, COUNTY, SAMPLE_TODAY)
    assert cov["reach"]["measured"] == reach.measured == 1
    assert cov["reach"]["within"] == reach.within == 1
    assert cov["reach"]["level"] == "HAMLET" and cov["reach"]["radiusMetres"] == 5000
    assert cov["reach"]["points"] == [{"code": "451225100-centre"}]


def test_coverage_unknown_scope_is_not_found(gql: Gql) -> None:
    body = gql(REPORT, scope="451225999000", days=90)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
