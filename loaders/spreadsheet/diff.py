"""What an import would change: records added, changed (with the fields), ended, unchanged.

A built record whose key is not stored is *added*; one equal to the stored record is
*unchanged* (and not written); one that differs is *changed*, listing the fields that differ.
Stored holdings and coverage the import ends (see ``terms`` and ``grids``) are *ended*. Only
added, changed and ended records are written, so re-importing the same files writes nothing.

>>> from registry.model import Person
>>> from registry.store import open_store
>>> store = open_store("memory://")
>>> _ = store.apply([Person(id="P1", name="张三", phone="13800000000")])
>>> d = diff_records([Person(id="P1", name="张三", phone="13900000000"), Person(id="P2",
...                  name="李四")], set(), store)
>>> d.added, d.changed, d.counts()["person"]
([('person', 'P2')], [Change(kind='person', key='P1', fields=('phone',))], {'added': 1, 'changed': 1, 'ended': 0, 'unchanged': 0})
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Protocol, TypeVar

from registry.codec import field_names
from registry.model import KINDS, AnyRecord

__all__ = ["Change", "ImportDiff", "diff_records"]

R = TypeVar("R", bound=AnyRecord)


class _Reads(Protocol):
    def get_many(self, kind: type[R], keys: Sequence[str]) -> list[R | None]: ...


@dataclass(frozen=True, slots=True)
class Change:
    """A stored record the import changes, and which fields."""

    kind: str
    key: str
    fields: tuple[str, ...]


@dataclass
class ImportDiff:
    """Added, changed and ended records (kind, key), and unchanged counts per kind."""

    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    ended: list[tuple[str, str]] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=dict)
    writes: list[AnyRecord] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the import would write nothing."""
        return not (self.added or self.changed or self.ended)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per kind (in ``KINDS`` order, kinds the import touches only): the four counts."""
        table: dict[str, dict[str, int]] = {}

        def row(kind: str) -> dict[str, int]:
            return table.setdefault(kind, {"added": 0, "changed": 0, "ended": 0, "unchanged": 0})

        for kind, _ in self.added:
            row(kind)["added"] += 1
        for change in self.changed:
            row(change.kind)["changed"] += 1
        for kind, _ in self.ended:
            row(kind)["ended"] += 1
        for kind, n in self.unchanged.items():
            row(kind)["unchanged"] += n
        return {k: table[k] for k in KINDS if k in table}

    def to_json(self) -> dict[str, Any]:
        """The diff as JSON."""
        return {
            "added": [{"kind": k, "key": key} for k, key in self.added],
            "changed": [
                {"kind": c.kind, "key": c.key, "fields": list(c.fields)} for c in self.changed
            ],
            "ended": [{"kind": k, "key": key} for k, key in self.ended],
        }


def diff_records(
    records: Iterable[AnyRecord], ended: set[tuple[str, str]], store: _Reads
) -> ImportDiff:
    """Compare built records with what ``store`` holds (read with one ``get_many`` per run
    of records of one kind)."""
    diff = ImportDiff()
    for _, run in groupby(records, type):
        recs = list(run)
        cls = type(recs[0])
        kind = cls.KIND
        unchanged = 0
        for rec, stored in zip(recs, store.get_many(cls, [r.key for r in recs]), strict=True):
            if ended and (kind, rec.key) in ended:
                diff.ended.append((kind, rec.key))
            elif stored is None:
                diff.added.append((kind, rec.key))
            elif stored is rec or stored == rec:  # an unchanged record is the stored one
                unchanged += 1
                continue
            else:
                names = field_names(cls)
                fields = tuple(n for n in names if getattr(stored, n) != getattr(rec, n))
                diff.changed.append(Change(kind, rec.key, fields))
            diff.writes.append(rec)
        if unchanged:
            diff.unchanged[kind] = diff.unchanged.get(kind, 0) + unchanged
    return diff
