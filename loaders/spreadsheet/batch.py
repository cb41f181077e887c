"""The records an import builds, each with the row (and columns) it came from.

``Batch.add`` keeps the first record of a key and returns the one already held when a key
comes again, so builders can report duplicates against the first row. Keys of rows that failed
are remembered in ``failed`` so that references to them are not reported a second time.

>>> from registry.model import Person
>>> b = Batch()
>>> first = b.add(Person(id="P1", name="张三"), Origin("s.csv", None, 2, {"name": "姓名"}))
>>> b.add(Person(id="P1", name="李四"), Origin("s.csv", None, 5, {})).origin.row
2
>>> b.has(Person, "P1"), len(b.records())
(True, 1)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from loaders.spreadsheet.issues import ImportIssue, Origin
from registry.model import KINDS, AnyRecord

__all__ = ["Batch", "Located", "row_text"]

R = TypeVar("R", bound=AnyRecord)


class Located:
    """A built record and its origin (columns keyed by the record's field names).

    The origin is kept as the row's, with the record's field → column map beside it when
    they differ, and made when it is asked for: most records never need it (only an issue
    does), and a staff row builds three records from one row.
    """

    __slots__ = ("_columns", "_row", "record")

    def __init__(
        self, record: AnyRecord, origin: Origin, columns: Mapping[str, str] | None = None
    ) -> None:
        self.record = record
        self._row = origin
        self._columns = columns

    @property
    def origin(self) -> Origin:
        """Where the record came from, with the record's fields' columns."""
        columns = self._columns
        return self._row if columns is None else self._row.with_columns(columns)


@dataclass
class Batch:
    """Built records by kind and key, the issues found, the keys of failed rows and the
    records the import ends."""

    located: dict[str, dict[str, Located]] = field(default_factory=dict)
    issues: list[ImportIssue] = field(default_factory=list)
    failed: dict[str, set[str]] = field(default_factory=dict)
    #: (kind, key) of stored records the import ends (their ``valid_to`` is set).
    ended: set[tuple[str, str]] = field(default_factory=set)

    def add(
        self, record: AnyRecord, origin: Origin, columns: Mapping[str, str] | None = None
    ) -> Located | None:
        """Add ``record`` (from ``origin``, or from its row with ``columns`` as the field →
        column map); if its key is held already, return the held one (and add nothing)."""
        kind = record.KIND
        bucket = self.located.get(kind)
        if bucket is None:
            bucket = self.located[kind] = {}
        key = record.key
        held = bucket.get(key)
        if held is not None:
            return held
        bucket[key] = Located(record, origin, columns)
        return None

    def replace(self, record: AnyRecord) -> None:
        """Put a new version of a held record (same kind and key), keeping its origin."""
        held = self.located[record.KIND][record.key]
        self.located[record.KIND][record.key] = Located(record, held._row, held._columns)

    def get(self, kind: type[R], key: str) -> R | None:
        """The held record of ``kind`` with ``key``."""
        held = self.located.get(kind.KIND, {}).get(key)
        return None if held is None else held.record  # type: ignore[return-value]

    def has(self, kind: type[AnyRecord], key: str) -> bool:
        """True when a record of ``kind`` with ``key`` is held."""
        return key in self.located.get(kind.KIND, {})

    def fail(self, kind: type[AnyRecord], key: str | None) -> None:
        """Remember that the row of ``key`` could not be built."""
        if key:
            self.failed.setdefault(kind.KIND, set()).add(key)

    def failed_key(self, kind: type[AnyRecord], key: str) -> bool:
        """True when ``key`` of ``kind`` belongs to a row that failed."""
        return key in self.failed.get(kind.KIND, set())

    def of_kind(self, kind: type[R]) -> Iterator[tuple[R, Origin]]:
        """Held records of ``kind`` with their origins, in the order they were added."""
        for held in self.located.get(kind.KIND, {}).values():
            yield held.record, held.origin  # type: ignore[misc]

    def records_of(self, kind: type[R]) -> Iterator[R]:
        """Held records of ``kind``, in the order they were added."""
        for held in self.located.get(kind.KIND, {}).values():
            yield held.record  # type: ignore[misc]

    def records(self) -> list[AnyRecord]:
        """Every held record, in dependency (``KINDS``) order."""
        return [held.record for kind in KINDS for held in self.located.get(kind, {}).values()]

    def all_located(self) -> Iterator[Located]:
        """Every held record with its origin, in dependency order."""
        for kind in KINDS:
            yield from self.located.get(kind, {}).values()


def row_text(origin: Origin) -> tuple[str, str]:
    """How to name a row in a message: (Chinese, English).

    >>> row_text(Origin("a.xlsx", "名册", 7, {}))
    ('a.xlsx[名册]第7行', 'a.xlsx [名册] row 7')
    """
    sheet_zh = "" if origin.sheet is None else f"[{origin.sheet}]"
    sheet_en = "" if origin.sheet is None else f" [{origin.sheet}]"
    return (
        f"{origin.file}{sheet_zh}第{origin.row}行",
        f"{origin.file}{sheet_en} row {origin.row}",
    )
