"""The service killed with SIGKILL at random moments during a stream of acknowledged writes loses
none of them: 200 kill cycles on SQLite (and some on Neo4j), the SQLite file passing its
integrity check after every one.

Each cycle starts the real service (uvicorn serving ``schema.app.create_app`` on the durable
store) in a child process forked from a preloaded fork server (so a cycle costs milliseconds,
not an interpreter start), sends ``createPerson`` mutations over HTTP, counts a write as
acknowledged when the response is 200 with data and no errors, and kills the child after a
random number of acknowledgements plus a random delay (often while a request is in flight).
The parent then reopens the store and checks that every acknowledged person is there.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from registry.model import Person
from registry.store import EmbeddedStore, GraphStore

pytestmark = pytest.mark.slow

#: Kill cycles per backend (the issue asks for at least 200 in CI).
CYCLES = {"sqlite": 200, "neo4j": 20}
MUTATION = (
    "mutation ($id: ID!, $name: String!) { createPerson(input: {id: $id, name: $name}) { id } }"
)


def _serve(url: str, port: int) -> None:  # pragma: no cover - runs in the child
    import uvicorn

    from registry.store import open_store
    from schema.app import create_app
    from tests.schema.conftest import ADMIN_AUTH

    store = open_store(url)
    app = create_app(store, auth=ADMIN_AUTH)  # the writes are an admin's
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.is_alive():
            raise AssertionError(f"the service died at start (exit {proc.exitcode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    raise AssertionError("the service did not start listening")


@pytest.fixture(scope="module")
def forkserver() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["uvicorn", "schema.app", "registry.store", "httpx"])
    return ctx


def _in_flight(port: int, pid: str) -> socket.socket:
    """A createPerson request sent on a raw connection whose answer is never read."""
    body = orjson.dumps({"query": MUTATION, "variables": {"id": pid, "name": "未确认"}})
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(head + body)
    return conn


def test_sigkill_during_acknowledged_writes_loses_nothing(
    forkserver: Any, durable_url: str, reopen: Callable[[], GraphStore]
) -> None:
    rng = random.Random(20261122)
    acknowledged: list[str] = []
    cycles = CYCLES["sqlite" if durable_url.startswith("sqlite") else "neo4j"]
    for cycle in range(cycles):
        port = _free_port()
        proc = forkserver.Process(target=_serve, args=(durable_url, port), daemon=True)
        proc.start()
        conn: socket.socket | None = None
        try:
            _wait_listening(port, proc)
            wanted = rng.randint(1, 8)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                for i in range(wanted):
                    pid = f"K{cycle:03d}-{i}"
                    r = client.post(
                        "/graphql",
                        json={"query": MUTATION, "variables": {"id": pid, "name": f"网格员{i}"}},
                    )
                    body = r.json()
                    assert r.status_code == 200 and not body.get("errors"), body
                    assert body["data"]["createPerson"]["id"] == pid
                    acknowledged.append(pid)
            # one more write in flight (never acknowledged), killed after a random delay
            conn = _in_flight(port, f"K{cycle:03d}-x")
            time.sleep(rng.random() * 0.01)
        finally:
            if proc.pid is not None and proc.is_alive():
                os.kill(proc.pid, signal.SIGKILL)
            proc.join(10)
            if conn is not None:
                conn.close()
        store = reopen()
        try:
            missing = [p for p in acknowledged if store.get(Person, p) is None]
            assert missing == [], f"cycle {cycle}: lost acknowledged writes {missing[:5]}"
            if isinstance(store, EmbeddedStore):
                assert store.integrity_check() == "ok"
        finally:
            store.close()
    assert len(acknowledged) >= cycles
