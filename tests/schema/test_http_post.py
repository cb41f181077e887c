"""``POST /graphql`` (served without FastAPI's dependency resolution, ``schema.app``) behaves as
the strawberry router does: the same refusals of malformed requests, the same answers and
headers; GET still serves GraphiQL."""

from __future__ import annotations

import asyncio

import orjson
from fastapi.testclient import TestClient

from registry.store import GraphStore
from schema.api import schema
from schema.context import Context

QUERY = '{ place(code: "451225100201-001") { code name parent { code } } }'


def test_answers_are_the_schemas_with_json_headers(client: TestClient, store: GraphStore) -> None:
    got = client.post("/graphql", json={"query": QUERY})
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    assert int(got.headers["content-length"]) == len(got.content)
    direct = asyncio.run(schema.execute(QUERY, context_value=Context(store)))
    assert orjson.loads(got.content) == {"data": direct.data}


def test_malformed_requests_are_refused_as_strawberry_does(client: TestClient) -> None:
    bad_json = client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert (bad_json.status_code, bad_json.text) == (400, "Unable to parse request body as JSON")
    text = client.post("/graphql", content=b"{}", headers={"content-type": "text/plain"})
    assert (text.status_code, text.text) == (400, "Unsupported content type")
    not_a_string = client.post("/graphql", json={"query": 3})
    assert not_a_string.status_code == 400 and "must be a string" in not_a_string.text


def test_get_still_serves_graphiql(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text.lower()
