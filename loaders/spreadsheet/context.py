"""What the builders share: the store read through a prefetched view, the batch being built,
the effective day and the mapping file.

The store is read in batches before anything is built (``fetch_tree`` fetches records and
their ancestors level by level, one ``get_many`` per level), so building and validating never
go back to the store row by row; any read the prefetch did not foresee still works (the view
falls back to the store), it is only slower.

>>> from registry.testing import sample_store
>>> from registry.model import Place
>>> view = PrefetchView(sample_store())
>>> fetch_tree(view, Place, ["451225100201-001"])
>>> sorted(p.code for p in view.records(Place))[:2], view.misses
(['450000000000', '451200000000'], 0)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from loaders.spreadsheet.batch import Batch
from loaders.spreadsheet.issues import Where, issue
from loaders.spreadsheet.mapping import Mapping
from registry.model import AnyRecord, Grid, Organization, Place
from registry.store.prefetch import PrefetchView

__all__ = ["Context", "PrefetchView", "fetch_tree"]

R = TypeVar("R", bound=AnyRecord)
_MAX_DEPTH = 16


def fetch_tree(
    view: PrefetchView, kind: type[Place] | type[Grid] | type[Organization], keys: Iterable[str]
) -> None:
    """Fetch records of ``kind`` and all their ancestors (one ``get_many`` per level)."""
    wanted = list(set(keys))  # the view sorts what it asks the store for
    for _ in range(_MAX_DEPTH):
        wanted = [k for k in wanted if not view.has(kind, k)]
        if not wanted:
            return
        view.fetch(kind, wanted)
        found = view.get_many(kind, wanted)  # fetched: no store call
        wanted = list({p.parent for p in found if p is not None and p.parent is not None})


@dataclass
class Context:
    """The store view, the batch, the effective day and the mapping of one import."""

    view: PrefetchView
    batch: Batch
    effective: date
    mapping: Mapping

    def stored(self, kind: type[R], key: str) -> R | None:
        """The stored record of ``kind`` with ``key`` (from the prefetched view)."""
        return self.view.get(kind, key)

    def find(self, kind: type[R], key: str) -> R | None:
        """The record as it will be after the import: built, else stored."""
        built = self.batch.get(kind, key)
        return built if built is not None else self.view.get(kind, key)

    def report(self, where: Where, code: str, zh: str, en: str) -> None:
        """Record an issue."""
        self.batch.issues.append(issue(where, code, zh, en))

    def dangling(self, kind: type[AnyRecord], key: str) -> bool:
        """True when ``key`` names no record (and no row that failed: that row is reported)."""
        if self.batch.has(kind, key) or self.batch.failed_key(kind, key):
            return False
        return self.view.get(kind, key) is None
