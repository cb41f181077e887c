"""The store contract: a small read API over records, and one atomic write.

All navigation is expressed as ``referrers(kind, field, key)``: the records of ``kind`` whose
reference ``field`` equals ``key`` (children of a place are ``referrers(Place, "parent", code)``,
the seats of a village are ``referrers(Post, "place", code)``, the holders of a seat are
``referrers(Holding, "post", post_id)``). Results are always sorted by record key, so every store
answers identically.

A store may offer a native fast path for a query function of the same name (see
``registry.queries``): it is looked up with ``getattr(store, name, None)``. A remote store may
instead offer ``prefetch_<query>``: it returns a read view holding everything the query reads
(fetched in one or a few round trips), and the query runs unchanged on that view, so every store
answers identically.

A store also keeps the service's API tokens (``put_token``, ``get_token``, ``list_tokens``,
``revoke_token``): they are not registry records, but they live in the store so every service
process and host sees the same tokens. Creating, replacing and revoking a token writes one audit
entry in the same transaction (``token_change``: the token's row, never its secret's hash).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar

from registry.model import AnyRecord

__all__ = [
    "TOKEN_CREATE",
    "TOKEN_REVOKE",
    "TOKEN_UPDATE",
    "AuditEntry",
    "GraphStore",
    "TokenRecord",
    "WriteGuard",
    "WriteResult",
    "token_change",
]

R = TypeVar("R", bound=AnyRecord)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What an acknowledged write did."""

    audit_id: int
    written: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who changed what, when and why. ``changes`` holds before/after rows for small writes."""

    id: int
    at: datetime
    actor: str
    operation: str
    reason: str
    count: int
    changes: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as stored: only the SHA-256 (hex) of its secret is kept.

    ``role`` is one of viewer, router, editor, admin (``registry.auth.AccessRole``); ``scope`` a
    place code limiting an editor's writes and every read of the audit log (None: everywhere).
    """

    id: str
    name: str
    role: str
    scope: str | None
    secret_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


#: Audit operations of token changes.
TOKEN_CREATE, TOKEN_UPDATE, TOKEN_REVOKE = "token_create", "token_update", "token_revoke"


def token_change(before: TokenRecord | None, after: TokenRecord) -> dict[str, Any]:
    """The audit change of a token: kind ``token``, rows without the secret's hash (dates as
    ISO text). A token is about no place: only unscoped readers of the audit log see it."""

    def row(t: TokenRecord | None) -> dict[str, Any] | None:
        if t is None:
            return None
        out = {k: v for k, v in asdict(t).items() if k != "secret_hash"}
        for k, v in out.items():
            if isinstance(v, datetime):
                out[k] = v.isoformat()
        return out

    return {"kind": "token", "key": after.id, "before": row(before), "after": row(after)}


#: A check run inside a write, after the write lock is taken and before anything is written:
#: called with a read view of the committed data and the records; it raises to refuse the write.
WriteGuard = Callable[["GraphStore", Sequence[AnyRecord]], None]


class GraphStore(ABC):
    """The registry graph: read records by key or reference, write batches atomically."""

    url: str
    #: True when calls wait on a network (the service then runs requests in worker threads so
    #: they never block its event loop); in-process stores answer faster inline.
    remote: bool = False

    @abstractmethod
    def get(self, kind: type[R], key: str) -> R | None:
        """The record of ``kind`` with ``key``, or None."""

    def get_many(self, kind: type[R], keys: Sequence[str]) -> list[R | None]:
        """Records for many keys at once, in the order of ``keys`` (None where missing)."""
        return [self.get(kind, k) for k in keys]

    @abstractmethod
    def scan(self, kind: type[R]) -> Iterator[R]:
        """Every record of ``kind``, in key order."""

    @abstractmethod
    def count(self, kind: type[AnyRecord]) -> int:
        """How many records of ``kind`` are stored."""

    @abstractmethod
    def referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        """Records of ``kind`` whose reference ``field`` is ``key``, sorted by their key."""

    def referrers_many(self, kind: type[R], field: str, keys: Sequence[str]) -> list[list[R]]:
        """``referrers`` for many keys at once (one round trip on remote stores)."""
        return [self.referrers(kind, field, k) for k in keys]

    @abstractmethod
    def data_version(self) -> int:
        """A number that changes whenever stored data changes (it never repeats for a store
        object while it is open): caches derived from the data are valid while it stays equal.
        One cheap call (a counter in memory, one round trip on remote stores)."""

    @abstractmethod
    def apply(
        self,
        records: Sequence[AnyRecord],
        *,
        actor: str = "system",
        operation: str = "write",
        reason: str = "",
        guard: WriteGuard | None = None,
    ) -> WriteResult:
        """Upsert ``records`` in one transaction after checking every invariant.

        Raises an ``InvariantViolation`` (or ``InvalidInput``) and writes nothing when a record
        breaks an invariant; writes one audit entry with the change when it succeeds.
        ``guard`` (an authorization check, ``registry.auth.check_write``) runs first, in the same
        transaction, on the committed data: whatever it raises refuses the write.
        """

    @abstractmethod
    def audit_log(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        """Audit entries, newest first."""

    # --- API tokens -----------------------------------------------------------------------

    @abstractmethod
    def put_token(self, token: TokenRecord, *, actor: str = "system", reason: str = "") -> None:
        """Store ``token`` (replacing one with the same id), with an audit entry by ``actor``
        (``TOKEN_CREATE`` or ``TOKEN_UPDATE``) in the same transaction."""

    @abstractmethod
    def get_token(self, token_id: str) -> TokenRecord | None:
        """The token with ``token_id``, or None (one cheap call: it runs on every request)."""

    @abstractmethod
    def list_tokens(self) -> list[TokenRecord]:
        """Every token, revoked ones included, ordered by creation time then id."""

    @abstractmethod
    def revoke_token(
        self, token_id: str, at: datetime, *, actor: str = "system", reason: str = ""
    ) -> bool:
        """Mark a token revoked at ``at``, with an audit entry by ``actor`` (``TOKEN_REVOKE``)
        in the same transaction; False (and no audit entry) when there is no such token or it
        was already revoked (the first revocation time is kept)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
