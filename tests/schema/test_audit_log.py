"""``auditLog`` over HTTP, on every store: exactly one entry per committed mutation (none for a
refused one), with actor, operation, reason and before/after, scoped to a region."""

from __future__ import annotations

from registry.codes import Level
from registry.model import Grid, Place
from registry.store import GraphStore
from registry.testing import COUNTY, TOWN, VILLAGE
from tests.schema.conftest import Gql

LOG = """query ($scope: String, $since: DateTime) { auditLog(scope: $scope, since: $since, first: 5) {
  totalCount nodes { id actor operation reason count changes { kind key before after } } } }"""
OTHER = "451226000000"


def test_one_entry_per_committed_mutation_none_for_a_refused_one(
    store: GraphStore, gql: Gql
) -> None:
    before = gql(LOG)["data"]["auditLog"]["totalCount"]
    ok = gql(
        'mutation { updatePerson(id: "P000001", patch: {name: "韦小兰"}, reason: "改名") { name } }'
    )
    assert "errors" not in ok, ok
    refused = gql(
        'mutation { updateGrid(code: "G451225-001", patch: {parent: "G451225-001-01"}, reason: "x") { code } }'
    )
    assert refused["errors"][0]["extensions"]["code"] == "INVARIANT_VIOLATION"
    log = gql(LOG)["data"]["auditLog"]
    assert log["totalCount"] == before + 1
    entry = log["nodes"][0]
    assert (entry["operation"], entry["reason"], entry["count"]) == ("update_person", "改名", 1)
    (change,) = entry["changes"]
    assert change["kind"] == "person" and change["before"]["name"] == "韦小红"
    assert change["after"]["name"] == "韦小兰"


def test_scoped_log_follows_a_grid_moved_between_counties(store: GraphStore, gql: Gql) -> None:
    store.apply(
        [
            Place(
                code="451226000000",
                name="环江毛南族自治县",
                level=Level.COUNTY,
                parent="451200000000",
            ),
            Grid(code="G451226-001", name="环江一级网格", tier=1, county=OTHER),
        ],
        actor="setup",
    )
    store.apply(
        [Grid(code="G451226-001", name="环江一级网格", tier=1, county=COUNTY)], actor="mover"
    )
    village = gql(LOG, scope=VILLAGE)["data"]["auditLog"]["nodes"]
    town = gql(LOG, scope=TOWN)["data"]["auditLog"]["nodes"]
    here = gql(LOG, scope=COUNTY)["data"]["auditLog"]["nodes"]
    there = gql(LOG, scope=OTHER)["data"]["auditLog"]["nodes"]
    assert [e["actor"] for e in here][:1] == ["mover"]  # moved in
    assert [e["actor"] for e in there] == ["mover", "setup"]  # moved out, and created
    assert "mover" not in [e["actor"] for e in village + town]  # a county-level grid
    everything = gql(LOG)["data"]["auditLog"]["nodes"]
    assert [e["actor"] for e in everything][:2] == ["mover", "setup"]
