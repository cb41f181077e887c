"""Parsed rows: every cell of a data row read by its field's parser, with its origin.

A blank cell is None (a present column with a blank cell clears an optional field); a cell
that cannot be read is an issue at that cell, and the row is then ``ok = False`` (it builds no
record, so one bad cell is reported once and does not cascade into other errors).

>>> from loaders.spreadsheet.cells import parse_code, parse_text
>>> from loaders.spreadsheet.tables import Table
>>> t = Table("p.csv", None, "places", (1,), {"code": (0, "区划代码"), "name": (1, "村名")})
>>> row = parse_row(t, 2, ["451225100201", ""], {"code": parse_code, "name": parse_text},
...                 ("code", "name"))
>>> row.ok, row.values, [(i.code, i.column) for i in row.issues]
(False, {'code': '451225100201', 'name': None}, [('MISSING_VALUE', '村名')])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from loaders.spreadsheet.cells import CellError, is_blank
from loaders.spreadsheet.headers import SHEET_KINDS
from loaders.spreadsheet.issues import ImportIssue, Origin, issue
from loaders.spreadsheet.tables import Table

__all__ = ["ParsedRow", "parse_row", "parse_table"]

Parser = Callable[[Any], Any]


@dataclass
class ParsedRow:
    """A data row: field values (None for blank cells), the fields that have a column, and
    the issues of its cells."""

    origin: Origin
    values: dict[str, Any]
    present: frozenset[str]
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every cell was read."""
        return not self.issues

    def get(self, name: str) -> Any:
        """The value of field ``name`` (None when blank or absent)."""
        return self.values.get(name)


def parse_row(
    table: Table,
    number: int,
    cells: Sequence[Any],
    parsers: Mapping[str, Parser],
    required: Sequence[str],
) -> ParsedRow:
    """Read one row with ``parsers`` (field → parser); required fields must not be blank."""
    origin = table.origin(number)
    row = ParsedRow(origin, {}, table.present)
    for name in table.columns:
        raw = table.value(cells, name)
        if is_blank(raw):
            row.values[name] = None
            continue
        try:
            row.values[name] = parsers[name](raw)
        except CellError as exc:
            row.values[name] = None
            row.issues.append(issue(origin.at(name), exc.code, exc.zh, exc.en))
    bad = {i.column for i in row.issues}
    for name in required:
        column = origin.columns.get(name)
        if column is not None and column not in bad and row.values.get(name) is None:
            header = SHEET_KINDS[table.kind].header_of(name)
            row.issues.append(
                issue(
                    origin.at(name),
                    "MISSING_VALUE",
                    f"必填项“{header}”为空",
                    f"{name} ({header}) is required",
                )
            )
    return row


def parse_table(
    table: Table, parsers: Mapping[str, Parser], required: Sequence[str]
) -> list[ParsedRow]:
    """Every data row of ``table``, parsed."""
    return [parse_row(table, n, cells, parsers, required) for n, cells in table.rows]
