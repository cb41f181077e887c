"""The embedded store: the graph lives in networkx, every write is durable in SQLite first.

A write is checked against the invariants, committed to SQLite (WAL, ``synchronous=FULL``) and
only then applied to the in-memory graph and acknowledged. Opening a store rebuilds the graph
from SQLite. ``memory://`` keeps no file (tests).

Graph layout (a ``networkx.MultiDiGraph``): one node per node record, id ``"<kind>:<key>"``,
the record in the ``r`` attribute. A reference field of a node record is an edge from the
record to its target keyed ``"<kind>.<field>"``; a relation record (holding, coverage, ...) is
an edge from its first reference to its second, keyed ``"<kind>:<key>"``, the record in ``r``.
Hot paths read networkx's adjacency dicts (``_pred``/``_succ``) directly.

>>> from registry.model import Place, Level
>>> s = EmbeddedStore(None)
>>> _ = s.apply([Place(code="450000000000", name="广西壮族自治区", level=Level.PROVINCE)])
>>> s.get(Place, "450000000000").name
'广西壮族自治区'
"""

from __future__ import annotations

import dataclasses
import gc
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import orjson

from registry.codec import from_row, to_row
from registry.errors import BackendUnavailable
from registry.invariants import Overlay, check_batch
from registry.model import KINDS, AnyRecord
from registry.store.base import AuditEntry, GraphStore, TokenRecord, WriteGuard, WriteResult

__all__ = ["EmbeddedStore"]

R = TypeVar("R", bound=AnyRecord)

#: Relation kinds are stored as edges; all other kinds are nodes.
RELATION_KINDS = frozenset(
    {
        "holding",
        "coverage",
        "stationing",
        "jurisdiction",
        "membership",
        "handling",
        "requirement",
        "border",
    }
)
#: Writes with at most this many records keep full before/after rows in the audit log.
AUDIT_DETAIL_LIMIT = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, operation TEXT NOT NULL,
    reason TEXT NOT NULL, count INTEGER NOT NULL, changes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, scope TEXT,
    secret_hash TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT
);
INSERT OR IGNORE INTO meta VALUES ('format', '1');
"""


def _nid(kind: str, key: str) -> str:
    return f"{kind}:{key}"


def _ends(rec: AnyRecord) -> tuple[str, str]:
    """Source and target node ids of a relation record (its first two references)."""
    (f1, k1), (f2, k2) = list(rec.REFS.items())[:2]
    return _nid(k1, getattr(rec, f1)), _nid(k2, getattr(rec, f2))


#: Most ``referrers`` answers kept between writes (the cache is emptied when it is full).
REFERRERS_CACHE_SIZE = 100_000
#: After a write of at least this many records, the heap is frozen (``gc.freeze``): later
#: collections skip the loaded graph instead of walking millions of objects each time.
FREEZE_AFTER = 10_000
#: ``referrers_many`` with at least this many keys (and an eighth of the kind) scans the kind.
BULK_KEYS = 256


class EmbeddedStore(GraphStore):
    """networkx in memory, SQLite on disk (``path=None`` keeps nothing on disk)."""

    def __init__(self, path: str | Path | None, url: str | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.url = url or ("memory://" if path is None else f"sqlite:///{path}")
        self.graph = nx.MultiDiGraph()
        self._kinds: dict[str, dict[str, AnyRecord]] = {k: {} for k in KINDS}
        self._lock = threading.RLock()
        self._audit_memory: list[AuditEntry] = []
        self._tokens_memory: dict[str, TokenRecord] = {}
        self._version = 0
        self._referrers_cache: dict[tuple[str, str, str], tuple[int, tuple[AnyRecord, ...]]] = {}
        self._indexes: dict[tuple[str, str], tuple[int, dict[str, tuple[AnyRecord, ...]]]] = {}
        self._db: sqlite3.Connection | None = None
        if self.path is not None:
            self._db = self._open_db(self.path)
            self._rebuild()

    # --- set-up ---------------------------------------------------------------------------

    def _open_db(self, path: Path) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA busy_timeout=10000")
            db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"cannot open SQLite database {path}: {exc}") from exc
        return db

    def _rebuild(self) -> None:
        assert self._db is not None
        gc.disable()
        try:
            for kind, cls in KINDS.items():
                rows = self._db.execute("SELECT data FROM records WHERE kind = ?", (kind,))
                self._apply_memory([from_row(cls, orjson.loads(data)) for (data,) in rows])
        finally:
            gc.enable()
        gc.collect()
        gc.freeze()

    # --- reads ----------------------------------------------------------------------------

    def get(self, kind: type[R], key: str) -> R | None:
        return self._kinds[kind.KIND].get(key)  # type: ignore[return-value]

    def get_many(self, kind: type[R], keys: Sequence[str]) -> list[R | None]:
        bucket = self._kinds[kind.KIND]
        return [bucket.get(k) for k in keys]  # type: ignore[misc]

    def scan(self, kind: type[R]) -> Iterator[R]:
        bucket = self._kinds[kind.KIND]
        for key in sorted(bucket):
            yield bucket[key]  # type: ignore[misc]

    def count(self, kind: type[AnyRecord]) -> int:
        return len(self._kinds[kind.KIND])

    def referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        """Records of ``kind`` whose ``field`` is ``key``, by key.

        Answers are cached per data version: a node with many neighbours (a county has every
        grid of the county and every organization located there) costs a scan of its
        adjacency once per write, not on every routing query. An answer computed while a write
        was being applied carries the old version and is never served after it.
        """
        cache_key = (kind.KIND, field, key)
        version = self._version
        hit = self._referrers_cache.get(cache_key)
        if hit is not None and hit[0] == version:
            return list(hit[1])  # type: ignore[arg-type]
        found = self._scan_referrers(kind, field, key)
        if len(self._referrers_cache) >= REFERRERS_CACHE_SIZE:
            self._referrers_cache.clear()
        self._referrers_cache[cache_key] = (version, tuple(found))
        return found

    def referrers_many(self, kind: type[R], field: str, keys: Sequence[str]) -> list[list[R]]:
        """``referrers`` for many keys; for a large share of a kind's records (a region's posts
        and holdings in a coverage report), an index of the whole kind by ``field``, built in
        one pass and kept until the next write, beats a lookup per key."""
        bucket = self._kinds[kind.KIND]
        if len(keys) < BULK_KEYS or len(keys) * 8 < len(bucket):
            return [self.referrers(kind, field, k) for k in keys]
        index = self._field_index(kind.KIND, field)
        return [list(index.get(k, ())) for k in keys]  # type: ignore[arg-type]

    def _field_index(self, kind: str, field: str) -> dict[str, tuple[AnyRecord, ...]]:
        """Every record of ``kind`` by the value of ``field``, sorted by key (per data version)."""
        version = self._version
        cached = self._indexes.get((kind, field))
        if cached is not None and cached[0] == version:
            return cached[1]
        groups: dict[str, list[AnyRecord]] = {}
        for rec in list(self._kinds[kind].values()):  # a snapshot: writes may run elsewhere
            ref = getattr(rec, field)
            if ref is not None:
                groups.setdefault(ref, []).append(rec)
        index = {ref: tuple(sorted(found, key=lambda r: r.key)) for ref, found in groups.items()}
        self._indexes[(kind, field)] = (version, index)
        return index

    def _scan_referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        target_kind = kind.REFS[field]
        nid = _nid(target_kind, key)
        if kind.KIND in RELATION_KINDS:
            first = next(iter(kind.REFS))
            adj = self.graph._succ if field == first else self.graph._pred
            found = [
                attrs["r"]
                for keyed in adj.get(nid, {}).values()
                for ekey, attrs in keyed.items()
                if ekey.startswith(kind.KIND + ":")
            ]
            found.sort(key=lambda r: r.key)
            return found
        ekey = f"{kind.KIND}.{field}"
        nodes = self.graph._node
        recs = [
            nodes[u]["r"] for u, keyed in self.graph._pred.get(nid, {}).items() if ekey in keyed
        ]
        recs.sort(key=lambda r: r.key)
        return recs

    def data_version(self) -> int:
        """How many writes were applied since the store was opened."""
        return self._version

    # --- writes ---------------------------------------------------------------------------

    def apply(
        self,
        records: Sequence[AnyRecord],
        *,
        actor: str = "system",
        operation: str = "write",
        reason: str = "",
        guard: WriteGuard | None = None,
    ) -> WriteResult:
        with self._lock:
            if guard is not None:
                guard(self, records)
            overlay = Overlay(self, records)
            check_batch(records, overlay)
            final = [r for bucket in overlay.batch.values() for r in bucket.values()]
            entry = self._audit_entry(final, actor, operation, reason)
            if self._db is not None:
                self._commit(final, entry)
            else:
                entry = AuditEntry(len(self._audit_memory) + 1, *_fields_after_id(entry))
                self._audit_memory.append(entry)
            self._apply_memory(final)
            self._version += 1
            if len(final) >= FREEZE_AFTER:  # a bulk load: keep its objects out of every GC pass
                gc.collect()
                gc.freeze()
            return WriteResult(audit_id=entry.id, written=len(final))

    def _audit_entry(
        self, records: Sequence[AnyRecord], actor: str, operation: str, reason: str
    ) -> AuditEntry:
        changes: list[dict[str, Any]] = []
        if len(records) <= AUDIT_DETAIL_LIMIT:
            for r in records:
                before = self._kinds[r.KIND].get(r.key)
                changes.append(
                    {
                        "kind": r.KIND,
                        "key": r.key,
                        "before": None if before is None else to_row(before),
                        "after": to_row(r),
                    }
                )
        now = datetime.now(UTC)
        return AuditEntry(0, now, actor, operation, reason, len(records), changes)

    def _commit(self, records: Sequence[AnyRecord], entry: AuditEntry) -> None:
        assert self._db is not None
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                    [(r.KIND, r.key, orjson.dumps(to_row(r))) for r in records],
                )
                cur = db.execute(
                    "INSERT INTO audit (at, actor, operation, reason, count, changes) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        entry.at.isoformat(),
                        entry.actor,
                        entry.operation,
                        entry.reason,
                        entry.count,
                        orjson.dumps(entry.changes),
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"write to {self.path} failed: {exc}") from exc
        object.__setattr__(entry, "id", cur.lastrowid)

    def _apply_memory(self, records: Sequence[AnyRecord]) -> None:
        g = self.graph
        for rec in records:
            kind = rec.KIND
            self._kinds[kind][rec.key] = rec
            if kind in RELATION_KINDS:
                src, dst = _ends(rec)
                g.add_edge(src, dst, key=_nid(kind, rec.key), r=rec)
                continue
            nid = _nid(kind, rec.key)
            if nid in g._succ:
                g._node[nid]["r"] = rec
                for target, keyed in list(g._succ[nid].items()):
                    for ekey in [k for k in keyed if k.startswith(kind + ".")]:
                        g.remove_edge(nid, target, key=ekey)
            else:
                g.add_node(nid, r=rec)
            for field, target_kind in rec.REFS.items():
                ref = getattr(rec, field)
                if ref is not None:
                    g.add_edge(nid, _nid(target_kind, ref), key=f"{kind}.{field}")

    # --- audit ----------------------------------------------------------------------------

    def audit_log(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        if self._db is None:
            entries = [e for e in self._audit_memory if since is None or e.at >= since]
            return list(reversed(entries))[:limit]
        rows = self._db.execute(
            "SELECT id, at, actor, operation, reason, count, changes FROM audit "
            "WHERE at >= ? ORDER BY id DESC LIMIT ?",
            ((since or datetime(1970, 1, 1, tzinfo=UTC)).isoformat(), limit),
        )
        return [
            AuditEntry(i, datetime.fromisoformat(at), ac, op, rs, n, orjson.loads(ch))
            for i, at, ac, op, rs, n, ch in rows
        ]

    # --- API tokens -------------------------------------------------------------------------

    def put_token(self, token: TokenRecord) -> None:
        with self._lock:
            if self._db is None:
                self._tokens_memory[token.id] = token
                return
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO tokens (id, name, role, scope, secret_hash, "
                    "created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        token.id,
                        token.name,
                        token.role,
                        token.scope,
                        token.secret_hash,
                        token.created_at.isoformat(),
                        _iso(token.expires_at),
                        _iso(token.revoked_at),
                    ),
                )
            except sqlite3.Error as exc:
                raise BackendUnavailable(f"write to {self.path} failed: {exc}") from exc

    def get_token(self, token_id: str) -> TokenRecord | None:
        if self._db is None:
            return self._tokens_memory.get(token_id)
        row = self._db.execute(f"{_TOKEN_SELECT} WHERE id = ?", (token_id,)).fetchone()
        return None if row is None else _token(row)

    def list_tokens(self) -> list[TokenRecord]:
        if self._db is None:
            found = list(self._tokens_memory.values())
        else:
            found = [_token(row) for row in self._db.execute(_TOKEN_SELECT)]
        return sorted(found, key=lambda t: (t.created_at, t.id))

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        with self._lock:
            token = self.get_token(token_id)
            if token is None or token.revoked_at is not None:
                return False
            self.put_token(dataclasses.replace(token, revoked_at=at))
            return True

    def integrity_check(self) -> str:
        """SQLite's own integrity check ("ok" when sound)."""
        if self._db is None:
            return "ok"
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


_TOKEN_SELECT = (
    "SELECT id, name, role, scope, secret_hash, created_at, expires_at, revoked_at FROM tokens"
)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _token(row: tuple[Any, ...]) -> TokenRecord:
    tid, name, role, scope, secret_hash, created, expires, revoked = row
    return TokenRecord(
        tid,
        name,
        role,
        scope,
        secret_hash,
        datetime.fromisoformat(created),
        None if expires is None else datetime.fromisoformat(expires),
        None if revoked is None else datetime.fromisoformat(revoked),
    )


def _fields_after_id(entry: AuditEntry) -> tuple[Any, ...]:
    return (entry.at, entry.actor, entry.operation, entry.reason, entry.count, entry.changes)
