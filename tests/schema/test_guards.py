"""Request guards over HTTP: depth, aliases, tokens and page size at the limit and one past it
(refused before any resolver reads the store), introspection and suggestions switched off, no
mutations over GET, no batching, and the time budget's explicit ``incomplete`` flag."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import Lexer, Source, TokenKind

from registry.settings import Settings
from registry.testing import VILLAGE, CountingStore, sample_store
from schema.app import create_app
from schema.guards import Limits


def _client(limits: Limits, counting: CountingStore | None = None) -> TestClient:
    return TestClient(create_app(counting or CountingStore(sample_store()), limits=limits))


def _post(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    r = client.post("/graphql", json={"query": query, "variables": variables})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _nested(depth: int) -> str:
    """``place`` then ``parent`` repeatedly: an operation ``depth`` levels deep."""
    inner = "code"
    for _ in range(depth - 1):
        inner = f"parent {{ {inner} }}"
    return f'{{ place(code: "{VILLAGE}") {{ {inner} }} }}'


def test_depth_at_the_limit_passes_one_past_is_refused_before_reading() -> None:
    counting = CountingStore(sample_store())
    client = _client(Limits(max_depth=5), counting)
    assert "errors" not in _post(client, _nested(5))
    reads = counting.total
    body = _post(client, _nested(6))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert counting.total == reads  # refused before any resolver ran


def test_fifty_levels_deep_is_refused_by_default() -> None:
    body = _post(_client(Limits()), _nested(50))
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert "Traceback" not in str(body) and "path" not in body["errors"][0]


def _aliases(n: int) -> str:
    return "{ " + " ".join(f'a{i}: place(code: "{VILLAGE}") {{ name }}' for i in range(n)) + " }"


def test_aliases_at_the_limit_pass_one_past_is_refused() -> None:
    counting = CountingStore(sample_store())
    client = _client(Limits(max_aliases=30), counting)
    ok = _post(client, _aliases(30))
    assert "errors" not in ok and len(ok["data"]) == 30
    reads = counting.total
    body = _post(client, _aliases(31))
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert counting.total == reads
    five_hundred = "{ " + " ".join(f"a{i}: __typename" for i in range(500)) + " }"
    body = _post(_client(Limits()), five_hundred)
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"


def test_tokens_at_the_limit_pass_one_past_is_refused() -> None:
    query = '{ place(code: "451225100201") { name } }'
    tokens = _tokens(query)
    assert tokens == 11  # { place ( code : "..." ) { name } }
    client = _client(Limits(max_tokens=tokens))
    assert "errors" not in _post(client, query)
    body = _post(_client(Limits(max_tokens=tokens - 1)), query)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"


def _tokens(query: str) -> int:
    lexer = Lexer(Source(query))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def test_page_size_at_the_limit_passes_one_past_is_refused() -> None:
    client = TestClient(create_app(sample_store(), max_page_size=2))
    query = 'query ($n: Int) { place(code: "451225100201") { children(first: $n) { totalCount } } }'
    assert "errors" not in _post(client, query, n=2)
    body = _post(client, query, n=3)
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "first"}


def test_introspection_and_suggestions_off_in_production() -> None:
    settings = Settings(_env_file=None, production=True).effective()
    assert not settings.graphiql and not settings.introspection and not settings.suggestions
    limits = Limits(introspection=settings.introspection, suggestions=settings.suggestions)
    client = TestClient(create_app(sample_store(), graphiql=False, limits=limits))
    body = _post(client, "{ __schema { types { name } } }")
    assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    typo = _post(client, f'{{ place(code: "{VILLAGE}") {{ nam }} }}')
    assert "Did you mean" not in typo["errors"][0]["message"]
    assert typo["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION"
    assert client.get("/graphql", headers={"accept": "text/html"}).status_code != 200
    dev = _client(Limits())
    assert "__schema" in _post(dev, "{ __schema { queryType { name } } }")["data"]
    assert (
        "Did you mean"
        in _post(dev, f'{{ place(code: "{VILLAGE}") {{ nam }} }}')["errors"][0]["message"]
    )


def test_no_operations_over_get_and_no_batching() -> None:
    client = _client(Limits())
    got = client.get("/graphql", params={"query": "{ __typename }"})
    assert got.status_code in (400, 405)
    mutation = 'mutation { endPost(post: "x", validTo: "2026-01-01") { id } }'
    assert client.get("/graphql", params={"query": mutation}).status_code in (400, 405)
    batch = client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert batch.status_code == 400


@pytest.mark.parametrize("budget_ms", [0])
def test_a_spent_budget_says_incomplete(budget_ms: int) -> None:
    client = _client(Limits(budget_ms=budget_ms))
    query = """query ($r: [RoutingRequestInput!]!) { responsibleMany(requests: $r) {
        index responsibility { at } error { code } } }"""
    body = _post(client, query, r=[{"place": VILLAGE}] * 3)
    assert body["extensions"] == {"incomplete": True}
    assert {x["error"]["code"] for x in body["data"]["responsibleMany"]} == {"TIME_BUDGET_EXCEEDED"}
    cov = _post(
        client,
        '{ coverage(scope: "451225000000") { totals { total } territory { uncovered { code } } } }',
    )
    assert cov["data"]["coverage"]["territory"] is None and cov["extensions"]["incomplete"]
    assert cov["data"]["coverage"]["totals"]["total"] == 3  # the report itself is whole


def test_a_budget_not_spent_is_complete() -> None:
    client = _client(Limits(budget_ms=60_000))
    query = """query ($r: [RoutingRequestInput!]!) { responsibleMany(requests: $r) { index error { code } } }"""
    body = _post(client, query, r=[{"place": VILLAGE}] * 3)
    assert "extensions" not in body
    assert all(x["error"] is None for x in body["data"]["responsibleMany"])
