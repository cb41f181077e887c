"""``gridreg token create/revoke`` are audited: one entry each (actor, operation, the token's row
without its secret), in the same transaction as the change, on every durable store. A change
whose audit entry cannot be written leaves no token behind."""

from __future__ import annotations

import getpass
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridreg_cli import app
from registry.auth import create_token, parse_token
from registry.errors import BackendUnavailable
from registry.queries.audit import audit_entries
from registry.store import GraphStore, open_store
from registry.store.base import TokenRecord
from registry.testing import COUNTY, sample_records
from tests.conftest import neo4j_url, open_fresh

runner = CliRunner()


def test_cli_token_create_and_revoke_are_audited(
    durable_url: str, reopen: Callable[[], GraphStore]
) -> None:
    with reopen() as store:
        store.apply(sample_records(), actor="test")
    made = runner.invoke(app, ["token", "create", "韦编辑", "--role", "editor", "--scope", COUNTY,
                               "--actor", "运维甲", "--reason", "新编辑", "--store", durable_url])  # fmt: skip
    assert made.exit_code == 0, made.output
    text = made.stdout.strip().splitlines()[-1]
    token_id, secret = parse_token(text) or ("", "")
    revoked = runner.invoke(app, ["token", "revoke", token_id, "--store", durable_url])
    assert revoked.exit_code == 0, revoked.output
    again = runner.invoke(app, ["token", "revoke", token_id, "--store", durable_url])
    assert again.exit_code == 1  # nothing to revoke: nothing audited

    store = reopen()
    log = store.audit_log()
    assert [(e.actor, e.operation, e.reason) for e in log] == [
        (f"cli:{getpass.getuser()}", "token_revoke", ""),
        ("运维甲", "token_create", "新编辑"),
        ("test", "write", ""),
    ]
    revoke, create = log[0], log[1]
    assert [(c["kind"], c["key"]) for c in create.changes] == [("token", token_id)]
    assert create.changes[0]["before"] is None
    assert create.changes[0]["after"]["name"] == "韦编辑"
    assert create.changes[0]["after"]["scope"] == COUNTY
    assert revoke.changes[0]["before"]["revoked_at"] is None
    assert revoke.changes[0]["after"]["revoked_at"] is not None
    token = store.get_token(token_id)
    assert token is not None
    for entry in (create, revoke):
        assert secret not in repr(entry) and token.secret_hash not in repr(entry)
        assert "secret_hash" not in repr(entry)
    # a token is about no place: scoped readers of the audit log do not see it
    assert [e.operation for e in audit_entries(store, COUNTY)] == ["write"]


def _token(name: str) -> TokenRecord:
    return TokenRecord("t1", name, "viewer", None, "00" * 32, datetime.now(UTC))


def test_sqlite_token_change_without_its_audit_entry_is_not_written(tmp_path: Path) -> None:
    """A real failure of the audit insert (a trigger refusing it) rolls the token back."""
    path = tmp_path / "registry.db"
    with open_store(f"sqlite:///{path}") as store:
        create_token(store, "甲", "viewer")
        other = sqlite3.connect(path)
        other.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'no'); END"
        )
        other.commit()
        with pytest.raises(BackendUnavailable, match="no"):
            store.put_token(_token("乙"))
        (live,) = store.list_tokens()
        with pytest.raises(BackendUnavailable, match="no"):
            store.revoke_token(live.id, datetime.now(UTC))
        other.close()
    with open_store(f"sqlite:///{path}") as store:
        assert [t.name for t in store.list_tokens()] == ["甲"]
        assert store.list_tokens()[0].revoked_at is None
        assert [e.operation for e in store.audit_log()] == ["token_create"]


@pytest.mark.neo4j
def test_neo4j_token_change_without_its_audit_entry_is_not_written() -> None:
    """A real failure of the audit write (its id taken: the unique constraint refuses it)
    rolls the token back."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import ConstraintError

    url = neo4j_url()
    with open_fresh(url) as store:
        create_token(store, "甲", "viewer")
        with GraphDatabase.driver(url) as driver:
            driver.execute_query(
                "MATCH (l:GridregLock {name: 'write'}) "
                "UNWIND range(1, 5) AS i CREATE (:AuditEntry {id: l.seq + i})"
            )
            with pytest.raises(ConstraintError):
                store.put_token(_token("乙"))
            (live,) = store.list_tokens()
            with pytest.raises(ConstraintError):
                store.revoke_token(live.id, datetime.now(UTC))
            driver.execute_query("MATCH (a:AuditEntry) WHERE a.actor IS NULL DELETE a")
        assert [t.name for t in store.list_tokens()] == ["甲"]
        assert store.list_tokens()[0].revoked_at is None
        assert [e.operation for e in store.audit_log()] == ["token_create"]
