"""Queries seen before are executed directly (``schema.prepared``) with exactly strawberry's
answers: status, headers and bytes, on every store, for answers with and without errors,
variables, operation names and masked personal data; anything else goes strawberry's way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

import schema.app
from registry.auth import AccessRole, Authenticator, Principal
from registry.store import GraphStore
from schema.app import create_app
from schema.prepared import PREPARED

ADMIN = Authenticator(anonymous=Principal("api", AccessRole.ADMIN))
VIEWER = Authenticator(anonymous=Principal("guest", AccessRole.VIEWER))

ROUTING = (
    "query Route($p: String, $c: String) { responsible(place: $p, category: $c, "
    'at: "2026-11-01") { timeLimitMinutes tiers { rank kind found grid { code name } '
    "place { code } organization { name } seats { roleCode status holders { name } } } } }"
)
TWO_OPERATIONS = (
    'query A { place(code: "451225100201") { name } } '
    'query B { place(code: "451225100201") { code level } }'
)
PERSON = '{ person(id: "P000001") { id name phone } }'

#: (body, how many of the three requests to the preparing app are answered directly)
PREPARABLE: list[tuple[dict[str, Any], int]] = [
    ({"query": '{ place(code: "451225100201-001") { code name parent { code } } }'}, 2),
    ({"query": ROUTING, "variables": {"p": "451225100201-001", "c": "C3.1"}}, 2),
    ({"query": ROUTING, "variables": {"p": "451225100201", "c": None}}, 2),
    ({"query": ROUTING, "variables": {"p": "nowhere", "c": "C3.1"}}, 2),  # NOT_FOUND error
    ({"query": ROUTING, "variables": {"p": 3}}, 2),  # a variable of the wrong type
    ({"query": TWO_OPERATIONS, "operationName": "B"}, 2),
    ({"query": TWO_OPERATIONS}, 2),  # strawberry executes the first operation
    ({"query": PERSON}, 2),
]
#: Requests that are never answered directly.
GENERIC: list[dict[str, Any]] = [
    {"query": 'mutation { updatePerson(id: "P000001", patch: {name: "韦小红"}) { id } }'},
    {"query": "{ place(code: 1) { name } }"},  # invalid: never prepared
    {"query": "{ " + 'place(code: "x") { parent { ' * 20 + "code" + " } }" * 20 + " }"},
]


@pytest.fixture
def direct_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The operations answered directly (``schema.app.execute_prepared`` counted, not
    replaced)."""
    calls: list[str] = []
    real = schema.app.execute_prepared

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1].operation_name or "")
        return real(*args, **kwargs)

    monkeypatch.setattr(schema.app, "execute_prepared", counted)
    yield calls


def _answer(client: TestClient, body: dict[str, Any]) -> tuple[int, str, bytes]:
    r = client.post("/graphql", content=orjson.dumps(body), headers=_JSON)
    return r.status_code, r.headers["content-type"], r.content


_JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(("body", "direct"), PREPARABLE)
def test_prepared_answers_are_strawberrys(
    store: GraphStore, direct_calls: list[str], body: dict[str, Any], direct: int
) -> None:
    generic = TestClient(create_app(store, auth=ADMIN, prepared=False))
    expected = _answer(generic, body)
    assert direct_calls == []
    PREPARED._entries.clear()  # the generic app prepared it (same schema)
    fast = TestClient(create_app(store, auth=ADMIN))
    assert [_answer(fast, body) for _ in range(3)] == [expected] * 3
    assert len(direct_calls) == direct
    assert expected[0] == 200 and expected[1] == "application/json"


def test_errors_are_reported_alike(store: GraphStore) -> None:
    PREPARED._entries.clear()
    fast = TestClient(create_app(store, auth=ADMIN))
    bodies = [_answer(fast, PREPARABLE[i][0])[2] for i in (3, 4) for _ in range(2)]
    assert bodies[0] == bodies[1] and b'"NOT_FOUND"' in bodies[0]
    assert bodies[2] == bodies[3] and b"Variable '$p'" in bodies[2]
    assert b'"GRAPHQL_VALIDATION"' in bodies[2]  # the caller's mistake, not INTERNAL


def test_each_caller_gets_their_own_answer(store: GraphStore, direct_calls: list[str]) -> None:
    PREPARED._entries.clear()
    admin = TestClient(create_app(store, auth=ADMIN))
    viewer = TestClient(create_app(store, auth=VIEWER))
    full = orjson.loads(_answer(admin, {"query": PERSON})[2])["data"]["person"]["phone"]
    masked = [orjson.loads(_answer(viewer, {"query": PERSON})[2]) for _ in range(2)]
    assert len(direct_calls) == 2  # prepared by the admin's request, run for the viewer
    assert full == "13807781234"
    assert [m["data"]["person"]["phone"] for m in masked] == ["138****1234"] * 2


@pytest.mark.parametrize("body", GENERIC)
def test_mutations_and_refused_documents_are_never_prepared(
    store: GraphStore, direct_calls: list[str], body: dict[str, Any]
) -> None:
    generic = TestClient(create_app(store, auth=ADMIN, prepared=False))
    fast = TestClient(create_app(store, auth=ADMIN))
    expected = _answer(generic, body)
    assert [_answer(fast, body) for _ in range(2)] == [expected] * 2
    assert direct_calls == []


@pytest.mark.parametrize(
    ("extra", "headers"),
    [
        ({"extensions": {"x": 1}}, _JSON),
        ({}, {"content-type": "application/json", "accept": "multipart/mixed"}),
        ({}, {"content-type": "application/graphql+json"}),
    ],
)
def test_other_requests_go_strawberrys_way(
    store: GraphStore, direct_calls: list[str], extra: dict[str, Any], headers: dict[str, str]
) -> None:
    fast = TestClient(create_app(store, auth=ADMIN))
    body = {**PREPARABLE[0][0], **extra}
    plain = _answer(fast, PREPARABLE[0][0])  # prepared now
    direct_calls.clear()
    r = fast.post("/graphql", content=orjson.dumps(body), headers=headers)
    assert direct_calls == []
    if r.status_code == 200:
        assert orjson.loads(r.content)["data"] == orjson.loads(plain[2])["data"]
    batch = fast.post("/graphql", content=orjson.dumps([body]), headers=_JSON)
    assert direct_calls == [] and batch.status_code == 400


def test_a_direct_execution_that_raises_is_run_strawberrys_way(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = TestClient(create_app(store, auth=ADMIN))
    body = PREPARABLE[1][0]
    expected = _answer(fast, body)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("lost")

    monkeypatch.setattr(schema.app, "execute_prepared", broken)
    assert _answer(fast, body) == expected
