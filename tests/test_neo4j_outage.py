"""`gridreg serve --store bolt://...` on a real Neo4j server of its own: the same answers as the
embedded store; clear errors while Neo4j is down (no hang, no stack trace); recovery when it
returns. Uses the project's script to run a second server (own port and home), so the suite's
shared server is never disturbed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from loaders.demo import load_demo
from registry.store import open_store
from schema.app import create_app
from tests.serving import free_port, served_demo

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "neo4j" / "neo4j"
QUERY = """{ responsible(place: "451225100201-001", category: "C2.2", at: "2026-11-01") {
  timeLimitMinutes tiers { rank kind found grid { code name } place { code name }
    organization { code name } seats { roleCode status holders { name } } }
} }"""

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


class Neo4jServer:
    """A Neo4j server of this test's own, run with scripts/neo4j."""

    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, "NEO4J_PORT": str(self.port), "NEO4J_HOME_DIR": str(home)}
        self.url = f"bolt://127.0.0.1:{self.port}"

    def run(self, command: str) -> None:
        done = subprocess.run(
            ["bash", str(SCRIPT), command], env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"neo4j {command} failed:\n{done.stderr}"


@pytest.fixture(scope="module")
def neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    if not os.environ.get("GRIDREG_TEST_NEO4J_URL"):
        if os.environ.get("CI"):
            pytest.fail("Neo4j tests never skip in CI: run the suite with scripts/test")
        pytest.skip("no Neo4j (run the suite with scripts/test)")
    server = Neo4jServer(tmp_path_factory.mktemp("outage") / "home")
    server.run("start")
    yield server
    server.run("stop")


@pytest.fixture(scope="module")
def service(neo4j: Neo4jServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("outage-service") / "serve.log"
    with served_demo(neo4j.url, log, timeout=180) as base:
        yield base
    assert "Traceback" not in log.read_text(), log.read_text()


def _ask(base: str) -> dict[str, Any]:
    r = httpx.post(f"{base}/graphql", json={"query": QUERY}, timeout=120)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_served_on_neo4j_answers_like_embedded_then_survives_an_outage(
    neo4j: Neo4jServer, service: str
) -> None:
    embedded = open_store("memory://")
    load_demo(embedded)
    expected = TestClient(create_app(embedded)).post("/graphql", json={"query": QUERY}).json()
    assert "errors" not in expected
    first = _ask(service)
    assert first == expected

    neo4j.run("stop")
    down = _ask(service)
    assert down["data"] is None or down["data"]["responsible"] is None
    (error,) = down["errors"]
    assert error["extensions"]["code"] == "BACKEND_UNAVAILABLE"
    assert neo4j.url in error["message"] and "Traceback" not in error["message"]
    health = httpx.get(f"{service}/healthz", timeout=120)
    assert health.status_code == 503 and health.json()["status"] == "unavailable"

    neo4j.run("start")
    assert _ask(service) == expected
    assert httpx.get(f"{service}/healthz", timeout=30).json()["status"] == "ok"
