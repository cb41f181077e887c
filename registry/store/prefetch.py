"""A read view over records fetched ahead, falling back to the store on a miss.

Remote stores answer a query in one round trip by fetching the neighbourhood the query reads
first (``prefetch_responsible``, ``prefetch_coverage`` on the Neo4j store), then running the
same query code on this view. Answers are identical by construction: a ``get`` or
``referrers`` the prefetch did not cover goes to the store, so the view is only ever faster,
never different.

A ``referrers(kind, field, key)`` answer is served from the view only where the prefetch
*claimed* it complete (every record of ``kind`` whose ``field`` is ``key`` was fetched).

>>> from registry.model import Place, Level
>>> from registry.store.embedded_store import EmbeddedStore
>>> store = EmbeddedStore(None)
>>> _ = store.apply([Place(code="450000000000", name="广西壮族自治区", level=Level.PROVINCE)])
>>> view = PrefetchView(store)
>>> view.add([Place(code="451200000000", name="河池市", level=Level.PREFECTURE,
...                 parent="450000000000")])
>>> view.claim(Place, "parent", ["450000000000"])
>>> [p.name for p in view.referrers(Place, "parent", "450000000000")]
['河池市']
>>> view.get(Place, "450000000000").name, view.misses
('广西壮族自治区', 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from registry.model import AnyRecord
from registry.store.base import AuditEntry, GraphStore, TokenRecord, WriteGuard, WriteResult

__all__ = ["PrefetchView"]

R = TypeVar("R", bound=AnyRecord)


class PrefetchView(GraphStore):
    """Reads served from prefetched records; misses (counted in ``misses``) go to ``base``."""

    def __init__(self, base: GraphStore) -> None:
        self.base = base
        self.url = base.url
        self.misses = 0
        #: The data version the records were read at, when the filler knows it (else None).
        self.version: int | None = None
        self._records: dict[str, dict[str, AnyRecord | None]] = {}
        self._complete: dict[tuple[str, str], set[str]] = {}
        self._index: dict[tuple[str, str], dict[str, list[AnyRecord]] | None] = {}
        self._scans: dict[str, list[AnyRecord]] = {}
        self._frozen = False

    # --- filling ----------------------------------------------------------------------------

    def add(self, records: Iterable[AnyRecord]) -> None:
        """Remember ``records`` (later ``referrers`` indexes are rebuilt)."""
        for rec in records:
            self._records.setdefault(rec.KIND, {})[rec.key] = rec
        self._index = {k: None for k in self._index}

    def missing(self, kind: type[R], keys: Iterable[str]) -> None:
        """Remember that ``keys`` of ``kind`` do not exist."""
        bucket = self._records.setdefault(kind.KIND, {})
        for key in keys:
            bucket.setdefault(key, None)

    def claim(self, kind: type[R], field: str, keys: Iterable[str]) -> None:
        """Declare every record of ``kind`` whose ``field`` is one of ``keys`` fetched."""
        self._complete.setdefault((kind.KIND, field), set()).update(keys)
        self._index.setdefault((kind.KIND, field), None)

    def fetch_referrers(self, kind: type[R], field: str, keys: Sequence[str]) -> None:
        """Fetch ``referrers`` of many keys from the base in one call and claim them."""
        done = self._complete.get((kind.KIND, field), ())
        wanted = [k for k in dict.fromkeys(keys) if k not in done]  # in the caller's order
        if wanted:
            self.add(r for found in self.base.referrers_many(kind, field, wanted) for r in found)
            self.claim(kind, field, wanted)

    def fetch(self, kind: type[R], keys: Sequence[str]) -> None:
        """Fetch records of many keys from the base in one call."""
        known = self._records.get(kind.KIND, {})
        wanted = [k for k in dict.fromkeys(keys) if k not in known]  # in the caller's order
        if wanted:
            found = self.base.get_many(kind, wanted)
            self.add(r for r in found if r is not None)
            self.missing(kind, wanted)

    def fetch_scan(self, kind: type[R]) -> None:
        """Fetch every record of ``kind``."""
        if kind.KIND not in self._scans:
            self._scans[kind.KIND] = list(self.base.scan(kind))  # type: ignore[arg-type]
            self.add(self._scans[kind.KIND])

    def records(self, kind: type[R]) -> list[R]:
        """Every record of ``kind`` held (fetched or added), in no particular order."""
        return [r for r in self._records.get(kind.KIND, {}).values() if r is not None]  # type: ignore[misc]

    def has(self, kind: type[R], key: str) -> bool:
        """True when ``key`` of ``kind`` is held, or known not to exist."""
        return key in self._records.get(kind.KIND, {})

    def freeze(self) -> PrefetchView:
        """Make the view read-only, so threads can share it: every index is built now, and a
        miss is answered by the base without being remembered. Returns the view."""
        for kind, field in list(self._index):
            self._indexed(kind, field)
        self._frozen = True
        return self

    # --- reads ------------------------------------------------------------------------------

    def get(self, kind: type[R], key: str) -> R | None:
        bucket = self._records.get(kind.KIND)
        if bucket is not None and key in bucket:
            return bucket[key]  # type: ignore[return-value]
        self.misses += 1
        rec = self.base.get(kind, key)
        if not self._frozen:
            self._records.setdefault(kind.KIND, {})[key] = rec
        return rec

    def get_many(self, kind: type[R], keys: Sequence[str]) -> list[R | None]:
        bucket = self._records.get(kind.KIND, {})
        if any(k not in bucket for k in keys):
            self.misses += 1
            if self._frozen:
                return self.base.get_many(kind, keys)
            self.fetch(kind, keys)
            bucket = self._records[kind.KIND]
        return [bucket[k] for k in keys]  # type: ignore[misc]

    def scan(self, kind: type[R]) -> Iterator[R]:
        if kind.KIND not in self._scans:
            self.misses += 1
            if self._frozen:
                yield from self.base.scan(kind)
                return
            self.fetch_scan(kind)
        yield from self._scans[kind.KIND]  # type: ignore[misc]

    def count(self, kind: type[AnyRecord]) -> int:
        if kind.KIND in self._scans:
            return len(self._scans[kind.KIND])
        self.misses += 1
        return self.base.count(kind)

    def referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        complete = self._complete.get((kind.KIND, field))
        if complete is None or key not in complete:
            self.misses += 1
            found = self.base.referrers(kind, field, key)
            if self._frozen:
                return found
            self.add(found)
            self.claim(kind, field, [key])
            return found
        return list(self._indexed(kind.KIND, field).get(key, ()))  # type: ignore[arg-type]

    def referrers_many(self, kind: type[R], field: str, keys: Sequence[str]) -> list[list[R]]:
        complete = self._complete.get((kind.KIND, field), set())
        if any(k not in complete for k in keys):
            self.misses += 1
            if self._frozen:
                return self.base.referrers_many(kind, field, keys)
            self.fetch_referrers(kind, field, keys)
        index = self._indexed(kind.KIND, field)
        return [list(index.get(k, ())) for k in keys]  # type: ignore[arg-type]

    def _indexed(self, kind: str, field: str) -> dict[str, list[AnyRecord]]:
        index = self._index.get((kind, field))
        if index is None:
            index = {}
            for rec in self._records.get(kind, {}).values():
                ref = None if rec is None else getattr(rec, field)
                if ref is not None:
                    index.setdefault(ref, []).append(rec)  # type: ignore[arg-type]
            for found in index.values():
                found.sort(key=lambda r: r.key)
            self._index[(kind, field)] = index
        return index

    def data_version(self) -> int:
        return self.base.data_version()

    # --- not a write path -------------------------------------------------------------------

    def apply(
        self,
        records: Sequence[AnyRecord],
        *,
        actor: str = "system",
        operation: str = "write",
        reason: str = "",
        guard: WriteGuard | None = None,
    ) -> WriteResult:
        raise TypeError("a PrefetchView is read-only")

    def audit_log(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        return self.base.audit_log(since, limit)

    def put_token(self, token: TokenRecord, *, actor: str = "system", reason: str = "") -> None:
        raise TypeError("a PrefetchView is read-only")

    def get_token(self, token_id: str) -> TokenRecord | None:
        return self.base.get_token(token_id)

    def list_tokens(self) -> list[TokenRecord]:
        return self.base.list_tokens()

    def revoke_token(
        self, token_id: str, at: datetime, *, actor: str = "system", reason: str = ""
    ) -> bool:
        raise TypeError("a PrefetchView is read-only")
