"""The per-request context: the store, the caller, the DataLoaders and the default ``at``.

DataLoaders are created per request (never shared between requests) and batch every lookup of
one tick into one store call: ``RecordsByKeyLoader`` wraps ``store.get_many`` and
``ReferrersByKeyLoader`` wraps ``store.referrers_many``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from registry.auth import AccessRole, Principal
from registry.model import AnyRecord
from registry.store.base import GraphStore
from schema.guards import Budget

__all__ = ["Context", "RecordsByKeyLoader", "ReferrersByKeyLoader"]

R = TypeVar("R", bound=AnyRecord)


class RecordsByKeyLoader(DataLoader[str, R | None], Generic[R]):
    """Records of one kind by key, batched into ``store.get_many``."""

    def __init__(self, store: GraphStore, kind: type[R]) -> None:
        async def load(keys: Sequence[str]) -> list[R | None]:
            return store.get_many(kind, list(keys))

        super().__init__(load_fn=load)


class ReferrersByKeyLoader(DataLoader[str, list[R]], Generic[R]):
    """Records of one kind referring to a key through one field, batched."""

    def __init__(self, store: GraphStore, kind: type[R], field_name: str) -> None:
        async def load(keys: Sequence[str]) -> list[list[R]]:
            return store.referrers_many(kind, field_name, list(keys))

        super().__init__(load_fn=load)


class Context(BaseContext):
    """What every resolver gets as ``info.context``.

    ``principal`` is the caller (``registry.auth``); the service always sets it from the
    request's credential. Without one (in-process use: scripts, benchmarks) the caller is an
    admin named ``actor``.
    """

    def __init__(
        self,
        store: GraphStore,
        actor: str = "api",
        max_page_size: int = 100,
        budget: Budget | None = None,
        principal: Principal | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.budget = budget or Budget(10_000)
        self.principal = principal or Principal(actor, AccessRole.ADMIN)
        self.actor = self.principal.actor
        self.max_page_size = max_page_size
        self._by_key: dict[str, Any] = {}
        self._referrers: dict[tuple[str, str], Any] = {}

    def by_key(self, kind: type[R]) -> RecordsByKeyLoader[R]:
        """The request's loader for records of ``kind`` by key."""
        loader = self._by_key.get(kind.KIND)
        if loader is None:
            loader = self._by_key[kind.KIND] = RecordsByKeyLoader(self.store, kind)
        return loader

    def referrers(self, kind: type[R], field_name: str) -> ReferrersByKeyLoader[R]:
        """The request's loader for records of ``kind`` whose ``field_name`` is a key."""
        loader = self._referrers.get((kind.KIND, field_name))
        if loader is None:
            loader = ReferrersByKeyLoader(self.store, kind, field_name)
            self._referrers[(kind.KIND, field_name)] = loader
        return loader

    @staticmethod
    def default_at(at: date | None) -> date:
        """``at`` or today."""
        return at or date.today()
