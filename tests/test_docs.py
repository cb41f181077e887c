"""The README cannot rot: its commands exist and its example queries run on the demo county."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from loaders.demo import load_demo
from registry.store import open_store
from schema.app import create_app
from tests.schema.conftest import ADMIN_AUTH

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README, flags=re.S)


@pytest.fixture(scope="module")
def client() -> TestClient:
    store = open_store("memory://")
    load_demo(store)
    return TestClient(create_app(store, auth=ADMIN_AUTH))  # the README's mutation runs


def test_docs_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("query", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_docs_readme_example_runs_on_demo(client: TestClient, query: str) -> None:
    body = client.post("/graphql", json={"query": query}).json()
    if query.lstrip().startswith("mutation"):
        # The README's mutation example shows a refused move: it must be refused, with a code.
        assert body["errors"][0]["extensions"]["code"] == "INVARIANT_VIOLATION"
        return
    assert "errors" not in body, body["errors"]
    data = body["data"]
    assert all(v not in (None, [], {}) for v in data.values()), data


def test_docs_readme_commands_exist() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    commands = [c for b in blocks for c in b.replace("\\\n", " ").splitlines() if c.strip()]
    assert "python3 -m pip install -e . && gridreg serve --demo" in commands
    assert "bash scripts/test" in commands
    assert (ROOT / "scripts" / "test").exists()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci
    from gridreg_cli import app

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    for row in re.findall(r"^\| `gridreg (\w+)", README, flags=re.M):
        assert row in names, f"README documents `gridreg {row}` which does not exist"
    assert shlex.split("gridreg serve --demo")[1] in names


def test_docs_neo4j_lists_every_constraint_and_index() -> None:
    from registry.store import cypher

    doc = (ROOT / "docs" / "neo4j.md").read_text(encoding="utf-8")
    names = [re.search(r"(?:CONSTRAINT|INDEX) (\w+)", s) for s in cypher.schema_statements()]
    missing = [m.group(1) for m in names if m is not None and f"`{m.group(1)}`" not in doc]
    assert len(names) > 40 and not missing, missing
    for setting in ("GRIDREG_NEO4J_PASSWORD", "GRIDREG_NEO4J_DATABASE", "GRIDREG_STORE"):
        assert setting in doc
