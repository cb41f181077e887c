"""The Neo4j store: the registry graph on a Neo4j server, a cluster or Aura.

Opened by URL (``bolt://``, ``neo4j://`` for routing to a cluster or Aura, ``+s``/``+ssc`` for
TLS); credentials come from options (settings, environment), and are stripped from a URL that
carries them so they never reach a log. The graph layout and every statement are in
``registry.store.cypher``.

Reads are managed read transactions (retried on transient errors), each lookup one round trip
returning one row. Writes are one managed write transaction each: it takes the write lock
(writers run one at a time, so the invariants are checked against everything committed before),
fetches what the checks need in a few batched statements, runs the same ``check_batch`` as the
embedded store, writes with ``UNWIND $rows`` batches (new records and their relationships by
``CREATE``, changed ones by ``SET``: the checks' reads tell which is which), and writes the audit
entry in the same transaction. An unreachable or failing server raises ``BackendUnavailable``; the
driver's pool reconnects when the server is back.

Retried writes have no duplicate effect. A transient error (a deadlock, a lock timeout, a leader
switch) rolls the attempt back and the driver runs it again. A connection lost while the commit
was under way (``IncompleteCommit``: the server may or may not have committed) is retried too,
and safely: every write carries a unique write id, stored on its audit entry, and each attempt,
once it holds the write lock, first looks that id up; when an earlier attempt committed, the
attempt rolls back and its result (audit id, records written) is returned. So a write is applied
and audited exactly once, or not at all (docs/security.md).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
import typing
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import orjson
from neo4j import (
    READ_ACCESS,
    WRITE_ACCESS,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    Session,
)
from neo4j.exceptions import (
    AuthError,
    ClientError,
    DatabaseUnavailable,
    DriverError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from registry.codec import from_row, to_row
from registry.codes import Level
from registry.errors import BackendUnavailable
from registry.invariants import Overlay, check_batch
from registry.model import (
    KINDS,
    AnyRecord,
    Border,
    Boundary,
    Category,
    Coverage,
    Grid,
    GridTier,
    Holding,
    Membership,
    Organization,
    Person,
    Place,
    Post,
    Requirement,
    Role,
    RoleTemplate,
    Stationing,
)
from registry.store import cypher
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
from registry.store.prefetch import PrefetchView
from registry.store.routing_parts import PartsCache, assemble

__all__ = ["Neo4jStore", "creation_batches", "split_credentials"]

R = TypeVar("R", bound=AnyRecord)
T = TypeVar("T")

#: Rows per ``UNWIND`` statement in a write.
BATCH = 5000
#: Relationships, then nodes, deleted per transaction by ``erase_all_data``.
ERASE_BATCH = 10_000
#: Writes with at most this many records keep full before/after rows in the audit log.
AUDIT_DETAIL_LIMIT = 200
#: Requests per ``RESPONSIBLE_NEIGHBOURHOOD`` statement in ``prefetch_responsible_many``.
RESPONSIBLE_CHUNK = 200
#: Scopes whose region holds every grid of its counties (as in ``registry.queries.region``).
_WIDE_LEVELS = (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY)
_LABELS = [cypher.label(k) for k in KINDS]


class _NoWireData(logging.Filter):
    """Drops the driver's wire-level DEBUG records (``neo4j.io``): they quote every statement's
    parameters and every returned row, personal data included (docs/security.md)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_WIRE_LOG = logging.getLogger("neo4j.io")
if not any(isinstance(f, _NoWireData) for f in _WIRE_LOG.filters):
    _WIRE_LOG.addFilter(_NoWireData())


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """The URL without user and password, and the user and password it carried.

    >>> split_credentials("neo4j+s://neo4j:s3cret@abc.databases.neo4j.io")
    ('neo4j+s://abc.databases.neo4j.io', 'neo4j', 's3cret')
    >>> split_credentials("bolt://127.0.0.1:7687")
    ('bolt://127.0.0.1:7687', None, None)
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, unquote(user) or None, unquote(password) or None


def _props(rec: AnyRecord) -> dict[str, Any]:
    """A record as node properties: native dates and lists, enums as text, plus ``key``."""
    row: dict[str, Any] = {}
    for name in _field_names(type(rec)):
        v = getattr(rec, name)
        if v is None:
            continue
        if isinstance(v, StrEnum):
            v = v.value
        elif isinstance(v, tuple):
            v = [x.value if isinstance(x, StrEnum) else x for x in v]
        row[name] = v
    row["key"] = rec.key
    return row


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _inline_refs(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reference fields of ``kind`` whose relationships are made when a record is created
    (their target kind comes earlier in ``KINDS``, so its new records are created first), and
    the others (a reference to its own kind: linked once every record is created)."""
    order = list(KINDS)
    refs = KINDS[kind].REFS
    inline = tuple(f for f, t in refs.items() if order.index(t) < order.index(kind))
    return inline, tuple(f for f in refs if f not in inline)


_INLINE_REFS = {kind: _inline_refs(kind) for kind in KINDS}


def _created_with(rec: AnyRecord) -> tuple[str, ...]:
    """The reference fields linked in the statement that creates ``rec`` (set, inline)."""
    return tuple(f for f in _INLINE_REFS[rec.KIND][0] if getattr(rec, f) is not None)


def creation_batches(records: Sequence[AnyRecord]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The statements, each with its rows (``BATCH`` at a time), that a write runs to create
    ``records`` when none of them is stored: one ``cypher.create`` per kind (in ``KINDS``
    order) and set of inline references, then one ``cypher.link`` per reference to the
    record's own kind. The write itself adds the lock, the checks' reads and the audit entry;
    ``bench.import_rate`` runs these alone as its baseline (the least a write of the same
    records costs on the same server).

    >>> from registry.model import Place, Level
    >>> [(s.split(" CREATE ")[0], len(rows)) for s, rows in creation_batches(
    ...     [Place(code="450000000000", name="广西壮族自治区", level=Level.PROVINCE)])]
    [('UNWIND $rows AS row', 1)]
    """
    by_kind: dict[str, dict[tuple[str, ...], list[AnyRecord]]] = {}
    relink: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        by_kind.setdefault(r.KIND, {}).setdefault(_created_with(r), []).append(r)
        for f in _INLINE_REFS[r.KIND][1]:
            ref = getattr(r, f)
            if ref is not None:
                relink.setdefault((r.KIND, f), []).append({"key": r.key, "ref": ref})
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for kind in KINDS:
        for refs, group in by_kind.get(kind, {}).items():
            statement = cypher.create(kind, refs)
            out.extend(
                (statement, [_props(r) for r in group[i : i + BATCH]])
                for i in range(0, len(group), BATCH)
            )
    for (kind, field), rows in relink.items():
        statement = cypher.link(kind, field)
        out.extend((statement, rows[i : i + BATCH]) for i in range(0, len(rows), BATCH))
    return out


def _request_keys(
    requests: Sequence[tuple[str | None, str | None, str | None]],
) -> tuple[list[str], list[str], list[str]]:
    """The distinct places, grids and categories of (place, grid, category) requests, sorted."""
    places = sorted({p for p, _, _ in requests if p is not None})
    grids = sorted({g for _, g, _ in requests if g is not None})
    categories = sorted({c for _, _, c in requests if c is not None})
    return places, grids, categories


def _native(v: Any) -> Any:
    to_native = getattr(v, "to_native", None)
    return v if to_native is None else to_native()


Decoder = Callable[[Any], Any]
_DECODERS: dict[type[Any], dict[str, Decoder | None]] = {}


def _decoders(cls: type[Any]) -> dict[str, Decoder | None]:
    """Per field, how to turn a stored property back into the field's value (None: as is)."""
    plan = _DECODERS.get(cls)
    if plan is None:
        plan = {}
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            args = [a for a in typing.get_args(hints[f.name]) if a is not type(None)]
            tp = (
                args[0] if args and typing.get_origin(hints[f.name]) is not tuple else hints[f.name]
            )
            if typing.get_origin(tp) is tuple:
                item = typing.get_args(tp)[0]
                plan[f.name] = _tuple_of(item if isinstance(item, type) else str)
            elif isinstance(tp, type) and issubclass(tp, StrEnum):
                plan[f.name] = tp
            elif tp is date:
                plan[f.name] = _native
            else:
                plan[f.name] = None
        _DECODERS[cls] = plan
    return plan


def _tuple_of(item: type[Any]) -> Decoder:
    if issubclass(item, StrEnum):
        return lambda v: tuple(item(x) for x in v)
    return tuple


def _record(cls: type[R], props: dict[str, Any]) -> R:
    """A record from node properties gridreg wrote (trusted: no re-validation)."""
    plan = _decoders(cls)
    values: dict[str, Any] = {}
    for name, value in props.items():
        if name not in plan:
            continue
        decode = plan[name]
        values[name] = value if decode is None or value is None else decode(value)
    try:
        return cls(**values)
    except TypeError:  # written by something else: validate, naming the field
        return from_row(cls, {k: _native(v) for k, v in props.items() if k != "key"})


def _decode(kind: str, props: dict[str, Any]) -> AnyRecord:
    return _record(KINDS[kind], props)


def _unavailable(exc: Exception, where: str) -> BackendUnavailable:
    if isinstance(exc, AuthError):
        return BackendUnavailable(f"Neo4j at {where} refused the credentials: {exc.message}")
    if isinstance(exc, TransientError):
        return BackendUnavailable(f"Neo4j at {where} is busy, retries exhausted: {exc.message}")
    if isinstance(exc, Neo4jError):
        return BackendUnavailable(f"Neo4j at {where} failed: {exc.message}")
    return BackendUnavailable(f"Neo4j at {where} is unavailable: {exc}")


class _Committed(Exception):
    """Raised by an attempt whose write id is already committed: an earlier attempt committed
    but its acknowledgement was lost. Rolls the attempt back; carries the first one's result."""

    def __init__(self, audit_id: int, count: int) -> None:
        super().__init__(audit_id, count)
        self.audit_id = audit_id
        self.count = count


class _Unchanged(Exception):
    """Raised by a write with nothing to write: rolls its transaction back."""


def _is_backend_failure(exc: Exception) -> bool:
    if isinstance(exc, ServiceUnavailable | SessionExpired | DatabaseUnavailable | AuthError):
        return True
    if isinstance(exc, TransientError | DriverError):
        return True
    return isinstance(exc, ClientError) and (exc.code or "").startswith(
        ("Neo.ClientError.Database.", "Neo.ClientError.Security.")
    )


class _CypherReads(GraphStore):
    """The read contract on top of three primitives: one row, a stream of rows, a value."""

    round_trips: int

    def _one(self, query: str, **params: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _stream(self, query: str, **params: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def get(self, kind: type[R], key: str) -> R | None:
        return self.get_many(kind, [key])[0]

    def get_many(self, kind: type[R], keys: Sequence[str]) -> list[R | None]:
        if not keys:
            return []
        rows = self._one(cypher.get_many(kind.KIND), keys=sorted(set(keys)))["rows"]
        found = {row["key"]: _record(kind, row) for row in rows}
        return [found.get(k) for k in keys]

    def scan(self, kind: type[R]) -> Iterator[R]:
        recs = [_record(kind, r["row"]) for r in self._stream(cypher.scan(kind.KIND))]
        recs.sort(key=lambda r: r.key)
        return iter(recs)

    def count(self, kind: type[AnyRecord]) -> int:
        return int(self._one(cypher.count(kind.KIND))["n"])

    def referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        return self.referrers_many(kind, field, [key])[0]

    def referrers_many(self, kind: type[R], field: str, keys: Sequence[str]) -> list[list[R]]:
        if not keys:
            return []
        rows = self._one(cypher.referrers_many(kind.KIND, field), keys=sorted(set(keys)))["rows"]
        grouped: dict[str, list[R]] = {}
        for row in rows:
            rec = _record(kind, row)
            grouped.setdefault(getattr(rec, field), []).append(rec)
        for recs in grouped.values():
            recs.sort(key=lambda r: r.key)
        return [list(grouped.get(k, ())) for k in keys]

    def data_version(self) -> int:
        """The write lock's sequence (one round trip)."""
        return int(self._one(cypher.DATA_VERSION)["seq"])

    def ancestors_of(self, kind: type[AnyRecord], keys: Sequence[str]) -> list[AnyRecord]:
        """Every ancestor (through ``parent``) of the records at ``keys``, in one round trip."""
        if not keys:
            return []
        rows = self._one(cypher.ancestors(kind.KIND), keys=sorted(set(keys)))["rows"]
        return [_record(kind, r) for r in rows]


class _TxReads(_CypherReads):
    """Reads inside a write transaction (they see the transaction's own state)."""

    def __init__(self, tx: ManagedTransaction, store: Neo4jStore) -> None:
        self.tx = tx
        self.store = store
        self.url = store.url

    def _one(self, query: str, **params: Any) -> dict[str, Any]:
        self.store.round_trips += 1
        record = self.tx.run(query, params).single(strict=True)
        return dict(record)

    def _stream(self, query: str, **params: Any) -> list[dict[str, Any]]:
        self.store.round_trips += 1
        return [dict(r) for r in self.tx.run(query, params)]

    def apply(
        self,
        records: Sequence[AnyRecord],
        *,
        actor: str = "system",
        operation: str = "write",
        reason: str = "",
        guard: WriteGuard | None = None,
    ) -> WriteResult:
        raise TypeError("reads only")

    def audit_log(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        raise TypeError("reads only")

    def put_token(self, token: TokenRecord, *, actor: str = "system", reason: str = "") -> None:
        raise TypeError("reads only")

    def get_token(self, token_id: str) -> TokenRecord | None:
        raise TypeError("reads only")

    def list_tokens(self) -> list[TokenRecord]:
        raise TypeError("reads only")

    def revoke_token(
        self, token_id: str, at: datetime, *, actor: str = "system", reason: str = ""
    ) -> bool:
        raise TypeError("reads only")


class Neo4jStore(_CypherReads):
    """The store on a Neo4j server (5.26 LTS or later), cluster or Aura.

    ``retry_seconds`` bounds the driver's retries of transient failures (a restarting server,
    a leader switch, a deadlock) before ``BackendUnavailable`` is raised.
    """

    remote = True

    def __init__(
        self,
        url: str,
        user: str | None = None,
        password: str | None = None,
        database: str = "neo4j",
        *,
        retry_seconds: float = 5.0,
        connection_timeout: float = 3.0,
        pool_size: int = 100,
    ) -> None:
        clean, url_user, url_password = split_credentials(url)
        self.url = clean
        self.database = database
        self.retry_seconds = retry_seconds
        self.round_trips = 0
        self._parts: PartsCache | None = None  # routing parts of the newest data version
        password = password or url_password
        auth = (user or url_user or "neo4j", password) if password else None
        try:
            _ = urlsplit(clean).port  # a malformed port fails here, not at the first query
            self.driver: Driver = GraphDatabase.driver(
                clean,
                auth=auth,
                max_transaction_retry_time=retry_seconds,
                connection_timeout=connection_timeout,
                connection_acquisition_timeout=2 * connection_timeout,
                max_connection_pool_size=pool_size,
                user_agent="gridreg",
                notifications_min_severity="OFF",  # fixed statements: server hints are noise
            )
        except (ValueError, DriverError) as exc:
            raise BackendUnavailable(f"cannot use Neo4j URL {clean}: {exc}") from exc
        try:
            self._ensure_schema()
        except BaseException:
            self.driver.close()
            raise

    # --- plumbing ---------------------------------------------------------------------------

    def _where(self) -> str:
        return f"{self.url} (database {self.database})"

    def _run(self, query: str, params: dict[str, Any], write: bool = False) -> list[Any]:
        """One auto-commit statement: a single network round trip (``RUN`` and ``PULL`` are
        pipelined; a managed transaction would add ``BEGIN`` and ``COMMIT``). The statements
        sent this way are reads or idempotent schema statements, so retrying is safe."""
        self.round_trips += 1
        mode = WRITE_ACCESS if write else READ_ACCESS
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.05
        while True:
            try:
                with self._session(mode) as s:
                    return list(s.run(query, params))
            except Exception as exc:
                retry = isinstance(exc, Neo4jError | DriverError) and exc.is_retryable()
                if retry and time.monotonic() + delay < deadline:
                    time.sleep(delay)
                    delay = min(2 * delay, 1.0)
                    continue
                if _is_backend_failure(exc):
                    raise _unavailable(exc, self._where()) from exc
                raise

    def _session(self, mode: str) -> Session:
        """A session sharing the driver's bookmarks: on a cluster, a read that follows a write
        made through this store sees it (causal consistency), whichever member serves it."""
        return self.driver.session(
            database=self.database,
            default_access_mode=mode,
            bookmark_manager=self.driver.execute_query_bookmark_manager,
        )

    def _one(self, query: str, **params: Any) -> dict[str, Any]:
        records = self._run(query, params)
        return dict(records[0])

    def _stream(self, query: str, **params: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in self._run(query, params)]

    def _ensure_schema(self) -> None:
        for statement in cypher.schema_statements():
            self._run(statement, {}, write=True)
        self._run(cypher.ENSURE_LOCK, {}, write=True)

    def ping(self) -> None:
        """One ``RETURN 1`` round trip (raises ``BackendUnavailable`` when down)."""
        self._run(cypher.PING, {})

    # --- writes -----------------------------------------------------------------------------

    def apply(
        self,
        records: Sequence[AnyRecord],
        *,
        actor: str = "system",
        operation: str = "write",
        reason: str = "",
        guard: WriteGuard | None = None,
    ) -> WriteResult:
        batch = list(records)

        def work(tx: ManagedTransaction, write_id: str) -> WriteResult:
            return self._write(tx, write_id, batch, actor, operation, reason, guard)

        return self._execute_write(work, lambda done: WriteResult(done.audit_id, done.count))

    def _execute_write(
        self, work: Callable[[ManagedTransaction, str], T], committed: Callable[[_Committed], T]
    ) -> T:
        """Run ``work`` in a managed write transaction under a new write id, retrying transient
        failures and lost commit acknowledgements; ``committed`` makes the result when a retry
        finds that an earlier attempt committed (see the module's docstring)."""
        write_id = secrets.token_hex(16)
        deadline = time.monotonic() + self.retry_seconds
        unknown: IncompleteCommit | None = None
        while True:
            try:
                with self._session(WRITE_ACCESS) as session:
                    return session.execute_write(work, write_id)
            except _Committed as done:
                return committed(done)
            except IncompleteCommit as exc:  # committed or not: the next attempt finds out
                unknown = exc
                if time.monotonic() < deadline:
                    continue
                raise self._outcome_unknown() from exc
            except Exception as exc:
                if unknown is not None and _is_backend_failure(exc):
                    raise self._outcome_unknown() from exc
                if _is_backend_failure(exc):
                    raise _unavailable(exc, self._where()) from exc
                raise

    def _outcome_unknown(self) -> BackendUnavailable:
        return BackendUnavailable(
            f"Neo4j at {self._where()} dropped the connection while committing and is "
            "unreachable since: the write may or may not have been applied (read it back)"
        )

    def _lock(self, tx: ManagedTransaction, write_id: str) -> int:
        """Take the write lock; the next audit id. Raises ``_Committed`` when ``write_id`` is
        already committed."""
        self.round_trips += 1
        lock = tx.run(cypher.LOCK, write_id=write_id).single()
        if lock is None:  # deleted since opening (by hand): put the lock back and take it
            tx.run(cypher.ENSURE_LOCK).consume()
            lock = tx.run(cypher.LOCK, write_id=write_id).single(strict=True)
        if lock["done"] is not None:
            raise _Committed(int(lock["done"]), int(lock["count"]))
        return int(lock["seq"])

    def _audit(
        self,
        tx: ManagedTransaction,
        audit_id: int,
        write_id: str,
        entry: tuple[str, str, str],
        count: int,
        changes: list[dict[str, Any]],
    ) -> None:
        """Write the audit entry ``(actor, operation, reason)`` of the transaction's write."""
        actor, operation, reason = entry
        self.round_trips += 1
        tx.run(
            cypher.AUDIT_WRITE,
            id=audit_id,
            write_id=write_id,
            at=datetime.now(UTC),
            actor=actor,
            operation=operation,
            reason=reason,
            count=count,
            changes=orjson.dumps(changes).decode(),
        ).consume()

    def _write(
        self,
        tx: ManagedTransaction,
        write_id: str,
        records: list[AnyRecord],
        actor: str,
        operation: str,
        reason: str,
        guard: WriteGuard | None = None,
    ) -> WriteResult:
        audit_id = self._lock(tx, write_id)
        view = PrefetchView(_TxReads(tx, self))
        _prefetch_checks(view, records)
        if guard is not None:
            guard(view, records)
        overlay = Overlay(view, records)
        check_batch(records, overlay)
        final = [r for kind in KINDS for r in overlay.batch.get(kind, {}).values()]
        changes: list[dict[str, Any]] = []
        if len(final) <= AUDIT_DETAIL_LIMIT:
            for r in final:
                before = view.get(type(r), r.key)
                changes.append(
                    {
                        "kind": r.KIND,
                        "key": r.key,
                        "before": None if before is None else to_row(before),
                        "after": to_row(r),
                    }
                )
        self._store_records(tx, view, final)
        self._audit(tx, audit_id, write_id, (actor, operation, reason), len(final), changes)
        return WriteResult(audit_id=audit_id, written=len(final))

    def _store_records(
        self, tx: ManagedTransaction, view: PrefetchView, records: list[AnyRecord]
    ) -> None:
        """Write checked ``records`` (in ``KINDS`` order), knowing from ``view`` which are stored.

        A new record is created (``CREATE``, no ``MERGE`` lookup) together with its
        relationships to targets of kinds written before its own, in one statement per kind and
        set of references; its references to its own kind (a parent) are linked once every
        record is created. A stored record that changed gets its properties replaced, and only
        the relationships of references that changed are replaced. A record equal to the stored
        one is not written again.
        """
        relink: dict[tuple[str, str], list[dict[str, Any]]] = {}
        by_kind: dict[str, list[AnyRecord]] = {}
        for r in records:
            by_kind.setdefault(r.KIND, []).append(r)
        for kind, recs in by_kind.items():
            cls = KINDS[kind]
            later = _INLINE_REFS[kind][1]
            new: dict[tuple[str, ...], list[AnyRecord]] = {}
            changed: list[AnyRecord] = []
            for r in recs:
                before = view.get(cls, r.key)
                if before is None:
                    new.setdefault(_created_with(r), []).append(r)
                    for f in later:
                        ref = getattr(r, f)
                        if ref is not None:
                            relink.setdefault((kind, f), []).append({"key": r.key, "ref": ref})
                elif before != r:
                    changed.append(r)
                    for f in cls.REFS:
                        ref = getattr(r, f)
                        if ref != getattr(before, f):
                            relink.setdefault((kind, f), []).append({"key": r.key, "ref": ref})
            for refs, group in new.items():
                self._batches(tx, cypher.create(kind, refs), group, "created")
            self._batches(tx, cypher.update(kind), changed, "updated")
        for (kind, field), rows in relink.items():
            for i in range(0, len(rows), BATCH):
                self.round_trips += 1
                tx.run(cypher.link(kind, field), rows=rows[i : i + BATCH]).consume()

    def _batches(
        self, tx: ManagedTransaction, statement: str, recs: list[AnyRecord], counted: str
    ) -> None:
        """Run ``statement`` on ``recs`` as property rows, ``BATCH`` at a time; each must count
        every row (else a target was missing, or a record: the transaction is rolled back)."""
        for i in range(0, len(recs), BATCH):
            rows = [_props(r) for r in recs[i : i + BATCH]]
            self.round_trips += 1
            done = tx.run(statement, rows=rows).single(strict=True)[counted]
            if done != len(rows):
                raise RuntimeError(f"Neo4j {counted} {done} of {len(rows)} records: {statement}")

    def audit_log(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        rows = self._one(cypher.AUDIT_READ, since=since, limit=limit)["rows"]
        return [
            AuditEntry(
                int(a["id"]),
                _native(a["at"]),
                a["actor"],
                a["operation"],
                a["reason"],
                int(a["count"]),
                orjson.loads(a["changes"]),
            )
            for a in rows
        ]

    # --- API tokens -----------------------------------------------------------------------

    def put_token(self, token: TokenRecord, *, actor: str = "system", reason: str = "") -> None:
        def work(tx: ManagedTransaction, write_id: str) -> None:
            audit_id = self._lock(tx, write_id)
            before = self._tx_token(tx, token.id)
            tx.run(cypher.TOKEN_PUT, dataclasses.asdict(token)).consume()
            operation = TOKEN_CREATE if before is None else TOKEN_UPDATE
            change = token_change(before, token)
            self._audit(tx, audit_id, write_id, (actor, operation, reason), 1, [change])

        self._execute_write(work, lambda done: None)

    def _tx_token(self, tx: ManagedTransaction, token_id: str) -> TokenRecord | None:
        self.round_trips += 1
        props = tx.run(cypher.TOKEN_GET, id=token_id).single(strict=True)["token"]
        return None if props is None else _token(props)

    def get_token(self, token_id: str) -> TokenRecord | None:
        props = self._one(cypher.TOKEN_GET, id=token_id)["token"]
        return None if props is None else _token(props)

    def list_tokens(self) -> list[TokenRecord]:
        found = [_token(p) for p in self._one(cypher.TOKEN_LIST)["tokens"]]
        return sorted(found, key=lambda t: (t.created_at, t.id))

    def revoke_token(
        self, token_id: str, at: datetime, *, actor: str = "system", reason: str = ""
    ) -> bool:
        def work(tx: ManagedTransaction, write_id: str) -> bool:
            audit_id = self._lock(tx, write_id)
            before = self._tx_token(tx, token_id)
            if before is None or before.revoked_at is not None:
                raise _Unchanged  # roll back: nothing written, no audit entry
            after = dataclasses.replace(before, revoked_at=at)
            tx.run(cypher.TOKEN_REVOKE, id=token_id, at=at).consume()
            change = token_change(before, after)
            self._audit(tx, audit_id, write_id, (actor, TOKEN_REVOKE, reason), 1, [change])
            return True

        try:
            return self._execute_write(work, lambda done: True)
        except _Unchanged:
            return False

    def erase_all_data(self) -> None:
        """Delete every record and audit entry (tests and administrators only)."""
        self._run(cypher.ENSURE_LOCK, {}, write=True)
        self._run(cypher.BUMP_SEQ, {}, write=True)
        params = {"labels": _LABELS, "batch": ERASE_BATCH}
        self._run(cypher.ERASE_RELATIONSHIPS, params, write=True)
        self._run(cypher.ERASE_NODES, params, write=True)
        self._run(cypher.BUMP_SEQ, {}, write=True)

    def close(self) -> None:
        self.driver.close()

    # --- prefetch for queries (see registry.queries) ----------------------------------------

    def prefetch_responsible(
        self, place: str | None, grid: str | None, category: str | None
    ) -> PrefetchView:
        """Everything ``responsible_for`` reads for one request, fetched in one round trip."""
        return self.prefetch_responsible_many([(place, grid, category)])

    def prefetch_responsible_unless(
        self, known: int, place: str | None, grid: str | None, category: str | None
    ) -> PrefetchView | None:
        """``prefetch_responsible``, or None when the data version is still ``known`` (the
        caller's answers of that version stand): one round trip either way. The view's
        ``version`` is the data version it holds, or None when a write committed while it was
        read (its records may mix two versions)."""
        view = PrefetchView(self)
        if not self._prefetch_responsible_into(view, [(place, grid, category)], known):
            return None
        return view

    def prefetch_responsible_many(
        self, keys: Sequence[tuple[str | None, str | None, str | None]]
    ) -> PrefetchView:
        """Everything ``responsible_for`` reads for many (place, grid, category) requests, in
        one view with the same claims as ``prefetch_responsible``.

        One ``RESPONSIBLE_NEIGHBOURHOOD`` statement per ``RESPONSIBLE_CHUNK`` distinct requests
        (``MAX_BATCH`` = 1,000 requests: 5 round trips). The statement fetches the union of its
        requests' neighbourhoods, so requests sharing a village, township or county share those
        records; requests are sorted by key first, so neighbours land in the same chunk, and
        the parts the store keeps (``registry.store.routing_parts``) are not read again.
        Chunking bounds one answer and the server's memory for it. No requests: no round
        trip.
        """
        view = PrefetchView(self)
        requests = sorted(set(keys), key=lambda k: tuple(x or "" for x in k))
        for i in range(0, len(requests), RESPONSIBLE_CHUNK):
            self._prefetch_responsible_into(view, requests[i : i + RESPONSIBLE_CHUNK])
        if len(requests) > RESPONSIBLE_CHUNK:  # read by several statements
            view.version = None
        return view

    def read_neighbourhood(
        self,
        requests: Sequence[tuple[str | None, str | None, str | None]],
        unless: int = -2,
        *,
        skip_kept: bool = True,
    ) -> list[dict[str, Any]]:
        """The rows of one ``RESPONSIBLE_NEIGHBOURHOOD`` round trip for (place, grid,
        category) ``requests``, as the driver decodes them: no view is assembled and nothing is
        kept. With ``skip_kept`` the keys of the routing parts this store keeps are sent, and
        the server leaves those parts out while its data version is theirs; without, every
        part is read (a process that has answered nothing of this version). No rows when the
        data version is still ``unless``. ``bench.suite`` times it alone: the least a request
        not seen before costs before Python builds its view and answer.
        """
        keys = _request_keys(requests)
        return self._read_neighbourhood(*keys, unless, self._parts if skip_kept else None)

    def _read_neighbourhood(
        self,
        places: list[str],
        grids: list[str],
        categories: list[str],
        unless: int,
        parts: PartsCache | None,
    ) -> list[dict[str, Any]]:
        """``read_neighbourhood`` of sorted keys, sending the keys ``parts`` keeps (if any)."""
        kept = parts if parts is not None and parts.roles is not None else None
        return self._stream(
            cypher.RESPONSIBLE_NEIGHBOURHOOD,
            places=places,
            grids=grids,
            categories=categories,
            known=unless,
            parts_version=kept.version if kept is not None else -2,
            kept_places=kept.kept_places([*places, *grids]) if kept is not None else [],
            kept_categories=kept.kept_categories() if kept is not None else [],
        )

    def _prefetch_responsible_into(
        self,
        view: PrefetchView,
        requests: Sequence[tuple[str | None, str | None, str | None]],
        unless: int = -2,
    ) -> bool:
        """One ``RESPONSIBLE_NEIGHBOURHOOD`` round trip for ``requests``, added to ``view``;
        the place and category parts kept for the server's data version are not read again
        (``registry.store.routing_parts``). False, with nothing added, when the data version is
        still ``unless``.
        """
        places, grids, categories = _request_keys(requests)
        parts = self._parts  # one cache for the keys sent and the assembly
        rows = self._read_neighbourhood(places, grids, categories, unless, parts)
        if not rows:
            return False
        row = rows[0]
        version = row["version_before"] if row["unchanged"] else None
        view.version = version
        if parts is None or (not row["warm"] and parts.version != version):  # a new version
            parts = PartsCache(row["version_before"])
            newest = self._parts
            if version is not None and (newest is None or newest.version < version):
                self._parts = parts  # kept for the requests that follow
        assemble(view, row, parts, _decode, keep=version is not None)
        # Asked for and absent: known missing (the query raises NotFound without reading on).
        view.missing(Place, sorted(set(places) - set(row["places_found"])))
        view.missing(Grid, sorted(set(grids) - set(row["grids_found"])))
        view.missing(Category, sorted(set(categories) - set(row["categories_found"])))
        return True

    def prefetch_coverage(self, scope: str) -> PrefetchView:
        """Everything the planners' reports (``coverage_report``, ``territory_report``,
        ``workload_report``, ``structure_report``, ``reach_report``) read for ``scope``, in two
        round trips whatever the region: the role templates (a scan, so ``templates_for`` reads
        them from the view), then ``REGION_NEIGHBOURHOOD`` for the rest.

        The view holds the region's places (below the scope, and above it), the grids of its
        counties with their coverage and tiers, the posts of its places and grids with their
        holdings and holders, the organizations located in it and their stationings, the
        counties' memberships, the borders of its places with the places across and their
        ancestors, the outlines of its places, the templates' requirements and regions, and
        every role. Reads it does not cover still answer (one round trip each).
        ``territory_report``'s overlap test reads the store's cached boundary index, not the
        view: one more round trip (``data_version``) once the index is built.
        """
        view = PrefetchView(self)
        view.fetch_scan(RoleTemplate)
        templates = view.records(RoleTemplate)
        rows = self._stream(
            cypher.REGION_NEIGHBOURHOOD,
            scope=scope,
            county=Level.COUNTY.value,
            wide=[level.value for level in _WIDE_LEVELS],
            templates=sorted(t.code for t in templates),
            regions=sorted({t.region for t in templates}),
        )
        if not rows:
            view.missing(Place, [scope])
            return view
        row = rows[0]
        found: dict[str, list[dict[str, Any]]] = row["found"]
        for kind, props in found.items():  # a place may come twice (above, across a border)
            unique = {r["key"]: r for r in props}
            view.add(_record(KINDS[kind], r) for r in unique.values())

        def keys(kind: type[AnyRecord]) -> list[str]:
            return [r["key"] for r in found[kind.KIND]]

        # Referrers fetched in full (the statement's parts say why each list is complete).
        subtree, counties, grids = row["subtree_keys"], row["county_keys"], row["grid_keys"]
        view.claim(Place, "parent", subtree)
        view.claim(Grid, "county", counties)
        view.claim(GridTier, "county", counties)
        view.claim(Coverage, "grid", keys(Grid))
        view.claim(Coverage, "place", subtree)
        view.claim(Post, "place", subtree)
        view.claim(Post, "grid", grids)
        view.claim(Holding, "post", keys(Post))
        view.claim(Organization, "place", subtree)
        view.claim(Stationing, "organization", keys(Organization))
        view.claim(Membership, "place", counties)
        view.claim(Border, "place", [*subtree, *counties])
        view.claim(Border, "other", [*subtree, *counties])
        view.claim(Boundary, "place", subtree)
        view.claim(Requirement, "template", [t.code for t in templates])
        # The holders of those seats are fetched: one that is not is known missing.
        holders = {h["person"] for h in found[Holding.KIND]}
        view.missing(Person, sorted(holders - set(keys(Person))))
        # Every role is fetched: a role code read but not recorded is known missing.
        codes = {r["role"] for r in [*found[Post.KIND], *found[Requirement.KIND]]}
        view.missing(Role, sorted(codes - set(keys(Role))))
        return view


def _token(props: dict[str, Any]) -> TokenRecord:
    def at(name: str) -> datetime | None:
        value = props.get(name)
        return None if value is None else _native(value)

    created = at("created_at")
    assert created is not None
    return TokenRecord(
        id=props["id"],
        name=props["name"],
        role=props["role"],
        scope=props.get("scope"),
        secret_hash=props["secret_hash"],
        created_at=created,
        expires_at=at("expires_at"),
        revoked_at=at("revoked_at"),
    )


def _prefetch_checks(view: PrefetchView, records: list[AnyRecord]) -> None:
    """Fetch, in a few batched reads, everything ``check_batch`` will read for ``records``."""
    keys: dict[str, set[str]] = {}
    refs: dict[str, set[str]] = {}
    for r in records:
        keys.setdefault(r.KIND, set()).add(r.key)
        for field, target in r.REFS.items():
            ref = getattr(r, field)
            if ref is not None:
                refs.setdefault(target, set()).add(ref)
    for kind, wanted in keys.items():
        view.fetch(KINDS[kind], sorted(wanted))
    for kind, wanted in refs.items():
        view.fetch(KINDS[kind], sorted(wanted - keys.get(kind, set())))
    reads = view.base
    assert isinstance(reads, _CypherReads)
    for cls in (Place, Grid):
        parents = sorted(refs.get(cls.KIND, set()) & _parents(records, cls))
        if parents:
            view.add(reads.ancestors_of(cls, parents))
    if Grid.KIND in keys:
        view.fetch_referrers(Grid, "parent", sorted(keys[Grid.KIND]))


def _parents(records: list[AnyRecord], cls: type[AnyRecord]) -> set[str]:
    found: set[str] = set()
    for r in records:
        parent = getattr(r, "parent", None) if isinstance(r, cls) else None
        if parent is not None:
            found.add(parent)
    return found
