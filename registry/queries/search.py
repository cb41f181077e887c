"""Search over Chinese names and code substrings.

>>> from registry.testing import sample_store
>>> [(h.kind, h.key) for h in search(sample_store(), "东门")][:3]
[('place', '451225100000'), ('place', '451225100201'), ('grid', 'G451225-001')]
>>> [h.key for h in search(sample_store(), "4512251002")]
['451225100201', '451225100201-001', '451225100201-002']
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from registry.model import Alliance, AnyRecord, Category, Grid, Organization, Person, Place
from registry.store.base import GraphStore

__all__ = ["SearchHit", "normalize", "search"]

SEARCHABLE: tuple[type[AnyRecord], ...] = (Place, Grid, Organization, Person, Category, Alliance)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One match: the record, and whether the name (or only the code) matched."""

    kind: str
    key: str
    name: str
    record: AnyRecord
    exact: bool


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), trimmed and lower-cased."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def search(store: GraphStore, text: str, limit: int = 20) -> list[SearchHit]:
    """Records whose name or code contains ``text``; exact matches first, then by kind order."""
    needle = normalize(text)
    if not needle:
        return []
    native = getattr(store, "search", None)
    if native is not None:
        return list(native(needle, limit))
    hits: list[tuple[int, int, SearchHit]] = []
    for rank, kind in enumerate(SEARCHABLE):
        for rec in store.scan(kind):
            name = str(getattr(rec, "name", ""))
            if needle in normalize(name) or needle in rec.key.lower():
                exact = normalize(name) == needle or rec.key.lower() == needle
                hits.append(
                    (0 if exact else 1, rank, SearchHit(rec.KIND, rec.key, name, rec, exact))
                )
    hits.sort(key=lambda h: (h[0], h[1], h[2].key))
    return [h for _, _, h in hits[:limit]]
