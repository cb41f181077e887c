"""An HTTP client for the app over each backend's sample store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.store import GraphStore
from schema.app import create_app

Gql = Callable[..., dict[str, Any]]


@pytest.fixture
def client(store: GraphStore) -> TestClient:
    return TestClient(create_app(store, max_page_size=5))


@pytest.fixture
def gql(client: TestClient) -> Gql:
    """POST a query; returns the decoded body (status must be 200)."""

    def run(query: str, **variables: Any) -> dict[str, Any]:
        r = client.post("/graphql", json={"query": query, "variables": variables})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    return run
