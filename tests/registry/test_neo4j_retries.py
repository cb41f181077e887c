"""On Neo4j, failed write attempts are retried and a retried write has no duplicate effect: the
change is applied and audited exactly once. Real faults on a real server: a connection cut at
COMMIT by a proxy (``tests.bolt_proxy``; the acknowledgement of a committed transaction lost, or
the COMMIT never delivered), and a real deadlock with a concurrent transaction."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import Neo4jError

from registry.auth import create_token
from registry.model import AnyRecord, Place
from registry.store import GraphStore, open_store
from registry.testing import sample_records
from tests.bolt_proxy import CommitCutter
from tests.conftest import neo4j_url, open_fresh

pytestmark = pytest.mark.neo4j


@pytest.fixture
def direct() -> Iterator[GraphStore]:
    """The sample registry on the test server, read directly (not through the proxy)."""
    with open_fresh(neo4j_url()) as store:
        store.apply(sample_records(), actor="sample", operation="load")
        yield store


@pytest.fixture
def cutter(direct: GraphStore) -> Iterator[CommitCutter]:
    parts = urlsplit(neo4j_url())
    proxy = CommitCutter(parts.hostname or "127.0.0.1", parts.port or 7687)
    yield proxy
    proxy.close()


def _village(store: GraphStore) -> Place:
    return next(p for p in store.scan(Place) if p.parent is not None and p.level == "village")


def _entries(store: GraphStore, operation: str) -> list[int]:
    return [e.id for e in store.audit_log(limit=1000) if e.operation == operation]


@pytest.mark.parametrize("cut", ["after", "before"])
def test_a_write_whose_commit_connection_drops_is_applied_exactly_once(
    direct: GraphStore, cutter: CommitCutter, cut: str
) -> None:
    """``after``: the server committed and the acknowledgement was lost (a blind retry would
    apply it twice); ``before``: the COMMIT never arrived (the retry must apply it)."""
    village = _village(direct)
    renamed = dataclasses.replace(village, name=village.name + "（更名）")
    version = direct.data_version()
    with open_store(f"bolt://127.0.0.1:{cutter.port}") as proxied:
        cutter.arm(cut)
        result = proxied.apply([renamed], actor="韦编辑", operation="rename", reason="测试")
        assert cutter.cuts == 1  # the fault did happen
    assert direct.get(Place, village.code) == renamed
    assert _entries(direct, "rename") == [result.audit_id]  # exactly one audit entry
    (entry,) = [e for e in direct.audit_log() if e.operation == "rename"]
    assert (entry.actor, entry.count, result.written) == ("韦编辑", 1, 1)
    assert entry.changes[0]["before"]["name"] == village.name
    assert direct.data_version() == version + 1  # one committed write, not two


@pytest.mark.parametrize("cut", ["after", "before"])
def test_token_changes_whose_commit_connection_drops_are_applied_exactly_once(
    direct: GraphStore, cutter: CommitCutter, cut: str
) -> None:
    with open_store(f"bolt://127.0.0.1:{cutter.port}") as proxied:
        cutter.arm(cut)
        _, token = create_token(proxied, "甲", "viewer", actor="运维")
        cutter.arm(cut)
        assert proxied.revoke_token(token.id, datetime.now(UTC), actor="运维")  # not "already"
        assert cutter.cuts == 2
    stored = direct.get_token(token.id)
    assert stored is not None and stored.revoked_at is not None
    assert len(_entries(direct, "token_create")) == 1
    assert len(_entries(direct, "token_revoke")) == 1


def _wait_until_blocked(driver: Driver) -> None:
    """Poll the server until a transaction waits for a lock (it shows ``Blocked by``)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        records, _, _ = driver.execute_query(
            "SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN status"
        )
        if records:
            return
        time.sleep(0.01)
    pytest.fail("the concurrent transaction never waited for the write lock")


def test_a_deadlocked_write_is_retried_and_applied_exactly_once(direct: GraphStore) -> None:
    """A concurrent transaction holds the village's lock and then asks for the write lock our
    write holds; our write then asks for the village: a real deadlock, which Neo4j reports to
    the transaction closing the cycle (ours) as ``TransientError``. The driver retries it."""
    village = _village(direct)
    renamed = dataclasses.replace(village, name=village.name + "（更名）")
    version = direct.data_version()
    attempts: list[int] = []
    outcome: dict[str, str] = {}
    with GraphDatabase.driver(neo4j_url()) as driver, driver.session() as session:
        other = session.begin_transaction()
        # It locks every record, the village included: of two deadlocked transactions Neo4j
        # aborts the one holding fewer locks, ours.
        other.run("MATCH (n) WHERE n.key IS NOT NULL SET n.key = n.key").consume()

        def wants_the_write_lock() -> None:
            try:
                other.run("MATCH (l:GridregLock {name: 'write'}) SET l.seq = l.seq").consume()
                other.commit()
                outcome["other"] = "committed"
            except Neo4jError as exc:
                outcome["other"] = exc.code or "?"

        thread = threading.Thread(target=wants_the_write_lock)

        def guard(view: GraphStore, records: Sequence[AnyRecord]) -> None:
            attempts.append(1)  # runs in each attempt, holding the write lock
            if len(attempts) == 1:
                thread.start()
                _wait_until_blocked(driver)

        result = direct.apply([renamed], actor="韦编辑", operation="rename", guard=guard)
        thread.join()
    assert outcome == {"other": "committed"} and len(attempts) == 2
    assert direct.get(Place, village.code) == renamed
    assert _entries(direct, "rename") == [result.audit_id]
    assert direct.data_version() == version + 1
