"""The embedded store: the graph lives in networkx, every write is durable in SQLite first.

A write is checked against the invariants, committed to SQLite (WAL, ``synchronous=FULL``) and
only then applied to the in-memory graph and acknowledged. Opening a store rebuilds the graph
from SQLite. ``memory://`` keeps no file (tests).

Graph layout (a ``networkx.MultiDiGraph``): one node per node record, id ``"<kind>:<key>"``.
A reference field of a node record is an edge from the record to its target keyed
``"<kind>.<field>"``; a relation record (holding, coverage, ...) is an edge from its first
reference to its second, keyed ``"<kind>:<key>"``. Records live once, in the per-kind
dictionaries (``_kinds[kind][key]``): a node's or an edge's record is found from its id or edge
key, never in networkx attributes. Hot paths read networkx's adjacency (``_pred``/``_succ``)
directly.

Memory (issue 7: at most 1 KB per graph node) shapes the layout; networkx reads each of these
read-only mappings like the dict it stands for:

- every node's attributes and every edge's data are one shared empty mapping (``NO_DATA``);
- a node's successors (or predecessors) are the shared empty mapping when it has none, a
  ``_Neighbour`` (48 bytes) when it has one, a dict from two on;
- the key mapping of a pair of nodes joined by one reference edge alone is shared per edge key
  (``_ONLY``), by one relation edge alone a ``_Relation`` (48 bytes: the edge key is made on
  demand); a pair joined by more edges gets a dict;
- each node id string is kept once (``_ids``) and every adjacency entry reuses it; opening a
  file shares equal strings and dates among the records (``from_row``'s ``shared``), so a
  reference is the very string of its target's key.

Only ``_apply_memory`` changes the graph: a networkx call that would write through a shared
mapping fails instead of changing every node.

>>> from registry.model import Place, Level
>>> s = EmbeddedStore(None)
>>> _ = s.apply([Place(code="450000000000", name="广西壮族自治区", level=Level.PROVINCE)])
>>> s.get(Place, "450000000000").name
'广西壮族自治区'
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import networkx as nx
import orjson

from registry.codec import from_row, to_row
from registry.errors import BackendUnavailable
from registry.invariants import Overlay, check_batch
from registry.model import KINDS, AnyRecord
from registry.store.base import (
    TOKEN_CREATE,
    TOKEN_REVOKE,
    TOKEN_UPDATE,
    AuditEntry,
    GraphStore,
    TokenRecord,
    WriteGuard,
    WriteResult,
    token_change,
)

__all__ = ["EmbeddedStore"]

R = TypeVar("R", bound=AnyRecord)
T = TypeVar("T")

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


#: Per kind: each reference field, the kind it refers to, and its edge key (``kind.field``).
_REF_EDGES: dict[str, list[tuple[str, str, str]]] = {
    kind: [(f, t, f"{kind}.{f}") for f, t in cls.REFS.items()] for kind, cls in KINDS.items()
}
#: The attributes of every node and the data of every edge (records are in ``_kinds``).
NO_DATA: Mapping[str, Any] = MappingProxyType({})
#: The adjacency of a node without successors (or without predecessors).
_NO_NEIGHBOURS: Mapping[str, Mapping[str, Mapping[str, Any]]] = MappingProxyType({})
#: Per reference-edge key, the key mapping of a pair of nodes joined by that edge alone.
_ONLY: dict[str, Mapping[str, Mapping[str, Any]]] = {
    ekey: MappingProxyType({ekey: NO_DATA}) for refs in _REF_EDGES.values() for _, _, ekey in refs
}


class _Relation(Mapping[str, Mapping[str, Any]]):
    """The key mapping of a pair of nodes joined by one relation edge alone: the edge key
    ``"<kind>:<key>"`` (made on demand) to ``NO_DATA``, in 48 bytes instead of a dict and a
    key string (a pair joined by more edges gets a dict). Read-only like the shared mappings."""

    __slots__ = ("key", "kind")

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key

    def __getitem__(self, ekey: str) -> Mapping[str, Any]:
        if ekey == f"{self.kind}:{self.key}":
            return NO_DATA
        raise KeyError(ekey)

    def __iter__(self) -> Iterator[str]:
        yield f"{self.kind}:{self.key}"

    def __len__(self) -> int:
        return 1


class _Neighbour(Mapping[str, Mapping[str, Mapping[str, Any]]]):
    """The adjacency of a node with one successor (or predecessor) alone: that node's id to
    the pair's key mapping, in 48 bytes instead of a dict (a second neighbour makes it a
    dict). Read-only like the shared mappings."""

    __slots__ = ("keyed", "node")

    def __init__(self, node: str, keyed: Mapping[str, Mapping[str, Any]]) -> None:
        self.node = node
        self.keyed = keyed

    def __getitem__(self, node: str) -> Mapping[str, Mapping[str, Any]]:
        if node == self.node:
            return self.keyed
        raise KeyError(node)

    def __iter__(self) -> Iterator[str]:
        yield self.node

    def __len__(self) -> int:
        return 1

    def __contains__(self, node: object) -> bool:
        return node == self.node

    def get(self, node: str, default: Any = None) -> Any:
        return self.keyed if node == self.node else default


#: Most ``referrers`` answers kept between writes (the cache is emptied when it is full).
REFERRERS_CACHE_SIZE = 100_000
#: After a write of at least this many records, the heap is frozen (``gc.freeze``): later
#: collections skip the loaded graph instead of walking millions of objects each time.
FREEZE_AFTER = 10_000
#: Most values kept by ``derived`` between writes (the oldest is dropped when it is full).
DERIVED_CACHE_SIZE = 32
#: ``referrers_many`` indexes the whole kind by the field (kept until the next write of the
#: kind) for at least ``BULK_KEYS`` keys and one per ``BULK_SHARE`` records of the kind, or when
#: looking the keys up one by one would walk more neighbours than the kind has records: one
#: key's lookup walks its node's every neighbour (a village's: some 45 µs; a county's: every
#: grid and organization of the county), indexing costs about half a microsecond per record.
BULK_KEYS = 256
BULK_SHARE = 32


class EmbeddedStore(GraphStore):
    """networkx in memory, SQLite on disk (``path=None`` keeps nothing on disk)."""

    def __init__(self, path: str | Path | None, url: str | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.url = url or ("memory://" if path is None else f"sqlite:///{path}")
        self.graph = nx.MultiDiGraph()
        self._kinds: dict[str, dict[str, AnyRecord]] = {k: {} for k in KINDS}
        self._ids: dict[str, str] = {}  # every node id, once: adjacency entries reuse it
        self._lock = threading.RLock()
        self._audit_memory: list[AuditEntry] = []
        self._tokens_memory: dict[str, TokenRecord] = {}
        self._version = 0
        self._kind_versions = dict.fromkeys(KINDS, 0)  # kind -> data version of its last write
        self._referrers_cache: dict[tuple[str, str, str], tuple[int, tuple[AnyRecord, ...]]] = {}
        self._indexes: dict[tuple[str, str], tuple[int, dict[str, tuple[AnyRecord, ...]]]] = {}
        self._derived: dict[Hashable, tuple[Hashable, Any]] = {}
        self._derived_lock = threading.Lock()
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
        """Read every record of the file into the graph. Equal strings and dates of the
        records are kept once (a reference is the same string as its target's key; role
        codes, labels, days repeat), and the C heap's free memory is returned to the system
        at the end, so the resident memory is what the graph holds."""
        assert self._db is not None
        shared: dict[Any, Any] = {}
        gc.disable()
        try:
            for kind, cls in KINDS.items():
                rows = self._db.execute("SELECT data FROM records WHERE kind = ?", (kind,))
                while batch := rows.fetchmany(10_000):
                    self._apply_memory([from_row(cls, orjson.loads(d), shared) for (d,) in batch])
                    del batch
        finally:
            gc.enable()
        del shared
        self._db.execute("PRAGMA shrink_memory")  # SQLite's page cache of the read
        gc.collect()
        gc.freeze()
        _trim_heap()

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
        and holdings in a coverage report; a few keys with many neighbours each), an index of
        the whole kind by ``field``, built in one pass and kept until the next write of the
        kind, beats a lookup per key."""
        built = self._indexes.get((kind.KIND, field))
        current = built is not None and built[0] == self._kind_versions[kind.KIND]
        if not current and not self._worth_indexing(kind, field, keys):
            return [self.referrers(kind, field, k) for k in keys]
        index = self._field_index(kind.KIND, field)
        return [list(index.get(k, ())) for k in keys]  # type: ignore[arg-type]

    def _worth_indexing(self, kind: type[R], field: str, keys: Sequence[str]) -> bool:
        """True when indexing ``kind`` by ``field`` costs less than looking ``keys`` up one by
        one (``BULK_KEYS``, ``BULK_SHARE``)."""
        size = len(self._kinds[kind.KIND])
        if len(keys) >= BULK_KEYS and len(keys) * BULK_SHARE >= size:
            return True
        if kind.KIND in RELATION_KINDS and field == next(iter(kind.REFS)):
            adj = self.graph._succ
        else:
            adj = self.graph._pred
        target = kind.REFS[field]
        walked = 0
        for key in keys:
            walked += len(adj.get(_nid(target, key), ()))
            if walked > size:
                return True
        return False

    def _field_index(self, kind: str, field: str) -> dict[str, tuple[AnyRecord, ...]]:
        """Every record of ``kind`` by the value of ``field``, sorted by key (kept until the next
        write of a record of ``kind``)."""
        version = self._kind_versions[kind]
        cached = self._indexes.get((kind, field))
        if cached is not None and cached[0] == version:
            return cached[1]
        groups: dict[str, list[AnyRecord]] = {}
        for rec in list(self._kinds[kind].values()):  # a snapshot: writes may run elsewhere
            ref = getattr(rec, field)
            if ref is not None:
                groups.setdefault(ref, []).append(rec)
        index = {
            ref: (found[0],) if len(found) == 1 else tuple(sorted(found, key=lambda r: r.key))
            for ref, found in groups.items()
        }
        self._indexes[(kind, field)] = (version, index)
        return index

    def _scan_referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        """The records found through the adjacency of ``key``'s node: an edge key
        ``"<kind>:<key>"`` or a neighbour's id ``"<kind>:<key>"`` names the record in
        ``_kinds``."""
        nid = _nid(kind.REFS[field], key)
        bucket = self._kinds[kind.KIND]
        skip = len(kind.KIND) + 1
        if kind.KIND in RELATION_KINDS:
            first = next(iter(kind.REFS))
            adj = self.graph._succ if field == first else self.graph._pred
            prefix = kind.KIND + ":"
            found = []
            for keyed in adj.get(nid, _NO_NEIGHBOURS).values():
                if type(keyed) is _Relation:
                    if keyed.kind == kind.KIND:
                        found.append(bucket[keyed.key])
                else:
                    found += [bucket[e[skip:]] for e in keyed if e.startswith(prefix)]
        else:
            ekey = f"{kind.KIND}.{field}"
            found = [
                bucket[u[skip:]]
                for u, keyed in self.graph._pred.get(nid, _NO_NEIGHBOURS).items()
                if type(keyed) is not _Relation and ekey in keyed
            ]
        found.sort(key=lambda r: r.key)
        return found  # type: ignore[return-value]

    def data_version(self) -> int:
        """How many writes were applied since the store was opened."""
        return self._version

    def derived(
        self,
        key: Hashable,
        compute: Callable[[], T],
        reads: Iterable[type[AnyRecord]] | None = None,
    ) -> T:
        """The value ``compute()`` derives from the data, kept under ``key`` until the next
        write, or with ``reads`` (every kind ``compute`` reads) the next write of one of those
        kinds (a planners' region: its places, grids and coverage change on few writes). Like
        ``referrers``, a value computed while a write was being applied carries the old
        version and is never served after it. Callers must not change what they get, except
        a memo made to be filled with values derived from the same data."""
        version: Hashable = (
            self._version
            if reads is None
            else tuple(self._kind_versions[kind.KIND] for kind in reads)
        )
        hit = self._derived.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        with self._derived_lock:
            self._derived.pop(key, None)
            while len(self._derived) >= DERIVED_CACHE_SIZE:
                del self._derived[next(iter(self._derived))]
            self._derived[key] = (version, value)
        return value

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
            for kind in overlay.batch:  # the kinds written
                self._kind_versions[kind] = self._version
            if len(final) >= FREEZE_AFTER:  # a bulk load: keep its objects out of every GC pass
                # a young collection walks only what was made since the last one (this write's
                # graph entries), not the caller's older live objects as a full one did (an
                # import's plan: 0.3 s at 12 counties, freeing nothing); the price: a cycle
                # among those older objects that died since is frozen instead of freed
                gc.collect(0)
                gc.freeze()
                _trim_heap()  # what the write's temporaries held goes back to the system
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

    def _commit(
        self, records: Sequence[AnyRecord], entry: AuditEntry, token: TokenRecord | None = None
    ) -> None:
        """Records (or a token) and their audit entry in one SQLite transaction."""
        assert self._db is not None
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                if token is not None:
                    db.execute(_TOKEN_PUT, _token_params(token))
                db.executemany(
                    "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                    [(r.KIND, r.key, orjson.dumps(r)) for r in records],  # = dumps(to_row(r))
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
        """Put records into the graph (the layout of the module docstring). Writes networkx's
        adjacency dicts directly (what ``add_node``/``add_edge``/``remove_edge`` of a
        ``MultiDiGraph`` do, without their per-call overhead: a bulk write adds hundreds of
        thousands of edges)."""
        g = self.graph
        succ, pred, nodes = g._succ, g._pred, g._node
        kinds, ids = self._kinds, self._ids
        # answers of the data version this write ends can never be served again: free them
        self._referrers_cache.clear()
        written = {r.KIND for r in records}
        for stale in [k for k in self._indexes if k[0] in written]:
            self._indexes.pop(stale, None)
        none = _NO_NEIGHBOURS

        def node(kind: str, key: Any) -> str:
            """The node's id (the one string kept for it), the node added if new."""
            nid = f"{kind}:{key}"
            known = ids.get(nid)
            if known is not None:
                return known
            ids[nid] = nid
            succ[nid] = pred[nid] = none
            nodes[nid] = NO_DATA
            return nid

        def put(adj: dict[str, Any], a: str, b: str, keyed: Mapping[str, Any]) -> None:
            """``adj[a][b] = keyed``, ``adj[a]`` taking the smallest form that holds it."""
            nbrs = adj[a]
            if nbrs is none or (type(nbrs) is _Neighbour and nbrs.node == b):
                adj[a] = _Neighbour(b, keyed)
            elif type(nbrs) is _Neighbour:
                adj[a] = {nbrs.node: nbrs.keyed, b: keyed}
            else:
                nbrs[b] = keyed

        def drop(adj: dict[str, Any], a: str, b: str) -> None:
            """``del adj[a][b]``."""
            nbrs = adj[a]
            if type(nbrs) is _Neighbour:
                adj[a] = none
                return
            del nbrs[b]
            if len(nbrs) == 1:
                ((c, keyed),) = nbrs.items()
                adj[a] = _Neighbour(c, keyed)

        def link(u: str, v: str, key: str, only: Mapping[str, Any]) -> None:
            """Add edge ``key`` from ``u`` to ``v`` (``only``: the key mapping of a pair joined
            by this edge alone)."""
            keyed = succ[u].get(v)
            if keyed is None:
                put(succ, u, v, only)
                put(pred, v, u, only)
            elif key not in keyed:
                if type(keyed) is dict:
                    keyed[key] = NO_DATA
                    return
                both = dict(keyed)  # shared: the pair gets a mapping of its own
                both[key] = NO_DATA
                put(succ, u, v, both)
                put(pred, v, u, both)

        def unlink(u: str, v: str, key: str) -> None:
            keyed = succ[u].get(v)
            if keyed is None or key not in keyed:
                return
            if len(keyed) > 1:  # never a shared mapping: those hold one key
                del keyed[key]
                return
            drop(succ, u, v)
            drop(pred, v, u)

        for rec in records:
            kind = rec.KIND
            key = rec.key
            bucket = kinds[kind]
            old = bucket.get(key)
            bucket[key] = rec
            refs = _REF_EDGES[kind]
            if kind in RELATION_KINDS:
                (f1, k1, _), (f2, k2, _) = refs[:2]
                a, b = getattr(rec, f1), getattr(rec, f2)
                ekey = f"{kind}:{key}"
                if old is not None:
                    was_a, was_b = getattr(old, f1), getattr(old, f2)
                    if was_a == a and was_b == b:
                        continue
                    unlink(node(k1, was_a), node(k2, was_b), ekey)
                link(node(k1, a), node(k2, b), ekey, _Relation(kind, key))
                continue
            nid = node(kind, key)
            if old is not None:  # drop the reference edges the new version no longer has
                for field, target_kind, ekey in refs:
                    was = getattr(old, field)
                    if was is not None and was != getattr(rec, field):
                        unlink(nid, node(target_kind, was), ekey)
            for field, target_kind, ekey in refs:
                ref = getattr(rec, field)
                if ref is not None:
                    link(nid, node(target_kind, ref), ekey, _ONLY[ekey])
        nx._clear_cache(g)

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

    def put_token(self, token: TokenRecord, *, actor: str = "system", reason: str = "") -> None:
        with self._lock:
            before = self.get_token(token.id)
            operation = TOKEN_CREATE if before is None else TOKEN_UPDATE
            self._put_token(token, before, actor, operation, reason)

    def _put_token(
        self,
        token: TokenRecord,
        before: TokenRecord | None,
        actor: str,
        operation: str,
        reason: str,
    ) -> None:
        """Store ``token`` with its audit entry, in one transaction."""
        change = token_change(before, token)
        entry = AuditEntry(0, datetime.now(UTC), actor, operation, reason, 1, [change])
        if self._db is None:
            self._tokens_memory[token.id] = token
            entry = AuditEntry(len(self._audit_memory) + 1, *_fields_after_id(entry))
            self._audit_memory.append(entry)
            return
        self._commit([], entry, token)

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

    def revoke_token(
        self, token_id: str, at: datetime, *, actor: str = "system", reason: str = ""
    ) -> bool:
        with self._lock:
            token = self.get_token(token_id)
            if token is None or token.revoked_at is not None:
                return False
            revoked = dataclasses.replace(token, revoked_at=at)
            self._put_token(revoked, token, actor, TOKEN_REVOKE, reason)
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
_TOKEN_PUT = (
    "INSERT OR REPLACE INTO tokens (id, name, role, scope, secret_hash, created_at, expires_at, "
    "revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _token_params(token: TokenRecord) -> tuple[Any, ...]:
    return (
        token.id,
        token.name,
        token.role,
        token.scope,
        token.secret_hash,
        token.created_at.isoformat(),
        _iso(token.expires_at),
        _iso(token.revoked_at),
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


def _trim_heap() -> None:
    """Return the C heap's free memory to the system (glibc's ``malloc_trim``; elsewhere
    nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _fields_after_id(entry: AuditEntry) -> tuple[Any, ...]:
    return (entry.at, entry.actor, entry.operation, entry.reason, entry.count, entry.changes)
