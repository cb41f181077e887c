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
    return _Compiled(table, parsers, required).parse(number, cells)


def parse_table(
    table: Table, parsers: Mapping[str, Parser], required: Sequence[str]
) -> list[ParsedRow]:
    """Every data row of ``table``, parsed (the column plan is compiled once per table)."""
    compiled = _Compiled(table, parsers, required)
    return [compiled.parse(n, cells) for n, cells in table.rows]


_BLANK: Any = object()  # a memo entry for a blank cell
#: Most text cells remembered per column (a column of distinct names stops growing there).
MEMO_SIZE = 4096


class _Compiled:
    """A table's row reader, made once per table: each column's index and parser, a memo of
    each column's text cells (a parser is a function of the cell alone, so a value seen
    before — a role, a date, a village code — is not parsed again; errors are remembered
    too; lists are not shared), one field → header map shared by every row's origin, and the
    required fields."""

    def __init__(
        self, table: Table, parsers: Mapping[str, Parser], required: Sequence[str]
    ) -> None:
        self.file, self.sheet = table.file, table.sheet
        self.present = table.present
        self.headers = {f: h for f, (_, h) in table.columns.items()}
        self.plan: list[tuple[str, int, Parser, dict[Any, Any]]] = [
            (name, index, parsers[name], {}) for name, (index, _) in table.columns.items()
        ]
        kind = SHEET_KINDS[table.kind]
        self.required = [
            (name, self.headers[name], kind.header_of(name))
            for name in required
            if name in self.headers
        ]

    def parse(self, number: int, cells: Sequence[Any]) -> ParsedRow:
        """Read one row (see ``parse_row``)."""
        origin = Origin(self.file, self.sheet, number, self.headers)
        values: dict[str, Any] = {}
        issues: list[ImportIssue] = []
        width = len(cells)
        for name, index, parser, memo in self.plan:
            raw = cells[index] if index < width else None
            text = type(raw) is str
            found = memo.get(raw, None) if text else None
            if found is None:
                found = _read(raw, parser)
                if text and len(memo) < MEMO_SIZE and not isinstance(found, list):
                    memo[raw] = found
            if found is _BLANK:
                values[name] = None
            elif isinstance(found, CellError):
                values[name] = None
                issues.append(issue(origin.at(name), found.code, found.zh, found.en))
            else:
                values[name] = found
        for name, column, header in self.required:
            if values[name] is None and not any(i.column == column for i in issues):
                issues.append(
                    issue(
                        origin.at(name),
                        "MISSING_VALUE",
                        f"必填项“{header}”为空",
                        f"{name} ({header}) is required",
                    )
                )
        return ParsedRow(origin, values, self.present, issues)


def _read(raw: Any, parser: Parser) -> Any:
    """A cell's value, ``_BLANK``, or the ``CellError`` it raises."""
    if is_blank(raw):
        return _BLANK
    try:
        return parser(raw)
    except CellError as exc:
        return exc.with_traceback(None)  # remembered: keep no frames alive
