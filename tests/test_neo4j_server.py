"""The project's own Neo4j server (scripts/neo4j) is up for the suite: never skipped in CI."""

from __future__ import annotations

import os

import pytest

URL = os.environ.get("GRIDREG_TEST_NEO4J_URL")


@pytest.mark.neo4j
def test_neo4j_server_answers_cypher() -> None:
    if URL is None:
        if os.environ.get("CI"):
            pytest.fail("GRIDREG_TEST_NEO4J_URL is not set in CI: run the suite with scripts/test")
        pytest.skip("no Neo4j server (run the suite with scripts/test)")
    from neo4j import GraphDatabase

    with GraphDatabase.driver(URL, auth=None) as driver:
        records, _, _ = driver.execute_query(
            "RETURN $name AS name, 1 + 1 AS two", name="罗城", database_="neo4j"
        )
    assert records[0]["two"] == 2 and records[0]["name"] == "罗城"
