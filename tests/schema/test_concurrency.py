"""A remote store's calls never block the event loop: concurrent requests meet in the store."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from registry.errors import BackendUnavailable
from registry.model import AnyRecord
from registry.store import GraphStore, open_store
from registry.testing import CountingStore, sample_records
from schema.app import create_app

QUERY = '{ place(code: "451225100201") { name } }'


class RendezvousStore(CountingStore):
    """A remote-looking store whose reads wait until ``parties`` requests are inside at once.

    If the service ran store calls on its event loop, the first request would hold the loop
    while it waits, the others could never arrive, and the barrier would break.
    """

    remote = True

    def __init__(self, inner: GraphStore, parties: int) -> None:
        super().__init__(inner)
        self.barrier = threading.Barrier(parties, timeout=20)

    def get_many(self, kind: type[Any], keys: Sequence[str]) -> list[Any]:
        self.barrier.wait()
        return super().get_many(kind, keys)


class DownStore(CountingStore):
    remote = True

    def get_many(self, kind: type[Any], keys: Sequence[str]) -> list[Any]:
        raise BackendUnavailable("Neo4j at bolt://127.0.0.1:1 is unavailable: refused")

    def count(self, kind: type[AnyRecord]) -> int:
        raise BackendUnavailable("Neo4j at bolt://127.0.0.1:1 is unavailable: refused")


def _sample() -> GraphStore:
    inner = open_store("memory://")
    inner.apply(sample_records())
    return inner


async def _post_many(app: Any, n: int) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(
            *(client.post("/graphql", json={"query": QUERY}) for _ in range(n))
        )


@pytest.mark.parametrize("parties", [2, 8])
def test_remote_store_requests_run_concurrently(parties: int) -> None:
    store = RendezvousStore(_sample(), parties)
    responses = asyncio.run(_post_many(create_app(store), parties))
    assert [r.status_code for r in responses] == [200] * parties
    assert all(r.json()["data"]["place"]["name"] == "东门村" for r in responses)
    assert not store.barrier.broken


def test_unavailable_backend_is_a_coded_error_and_a_503_health() -> None:
    app = create_app(DownStore(_sample()))
    (response,) = asyncio.run(_post_many(app, 1))
    body = response.json()
    assert body["data"] == {"place": None}
    assert body["errors"][0]["extensions"]["code"] == "BACKEND_UNAVAILABLE"
    assert "unavailable" in body["errors"][0]["message"]

    async def health() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/healthz")

    r = asyncio.run(health())
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"
