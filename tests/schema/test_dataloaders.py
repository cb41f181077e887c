"""Nested queries cost a constant number of store calls, whatever the number of items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient

from registry.codes import Level
from registry.model import AnyRecord, Holding, Person, Place, Post
from registry.store import GraphStore
from registry.testing import TOWN, CountingStore, sample_records
from schema.app import create_app

NESTED = """{ place(code: "451225100000") { children(first: 50) { nodes { name
    posts { label role { name } holders { name holdings { post { label } } } }
    coveringGrids { code posts { holders { name } } } } } } }"""


def _villages(n: int) -> list[AnyRecord]:
    recs: list[AnyRecord] = []
    for i in range(n):
        code = f"451225100{300 + i}"
        recs.append(Place(code=code, name=f"新村{i}", level=Level.VILLAGE, parent=TOWN))
        for role in ("police_assistant", "law_literate"):
            recs.append(Post(id=f"{code}-{role}", role=role, place=code, label=role))
            recs.append(Person(id=f"P{code}{role[:3]}", name=f"人{i}{role[:3]}"))
            recs.append(
                Holding(
                    id=f"H{code}{role[:3]}",
                    person=f"P{code}{role[:3]}",
                    post=f"{code}-{role}",
                    valid_from=date(2024, 1, 1),
                )
            )
    return recs


def _calls(fresh_store: Callable[[], GraphStore], n: int) -> int:
    inner = fresh_store()
    inner.apply([*sample_records(), *_villages(n)])
    counting = CountingStore(inner)
    client = TestClient(create_app(counting, max_page_size=100))
    body = client.post("/graphql", json={"query": NESTED}).json()
    assert "errors" not in body, body
    assert len(body["data"]["place"]["children"]["nodes"]) == n + 1
    return counting.total


def test_dataloaders_nested_query_is_not_n_plus_one(
    fresh_store: Callable[[], GraphStore],
) -> None:
    small = _calls(fresh_store, 2)
    large = _calls(fresh_store, 20)
    assert small == large, f"store calls grow with the number of villages: {small} -> {large}"
    assert small < 20
