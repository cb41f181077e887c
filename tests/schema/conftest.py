"""An HTTP client for the app over each backend's sample store.

The client's requests carry no credential and are made as an admin named ``api`` (the app's
anonymous principal is set so): these tests are about the API, not about authorization, which
``tests/schema/test_auth.py`` covers with real tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.auth import AccessRole, Authenticator, Principal
from registry.store import GraphStore
from schema.app import create_app

Gql = Callable[..., dict[str, Any]]

#: Requests without a credential are an admin's: for tests about the API itself.
ADMIN_AUTH = Authenticator(anonymous=Principal("api", AccessRole.ADMIN))


@pytest.fixture
def client(store: GraphStore) -> TestClient:
    return TestClient(create_app(store, max_page_size=5, auth=ADMIN_AUTH))


@pytest.fixture
def gql(client: TestClient) -> Gql:
    """POST a query; returns the decoded body (status must be 200)."""

    def run(query: str, **variables: Any) -> dict[str, Any]:
        r = client.post("/graphql", json={"query": query, "variables": variables})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    return run
