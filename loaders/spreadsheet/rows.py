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
from registry.model import positional_maker

__all__ = ["ParsedRow", "parse_row", "parse_table"]

Parser = Callable[[Any], Any]


@dataclass(slots=True)
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


_BLANK: Any = object()  # what _read gives for a blank cell
_MISS: Any = object()  # not in a column's memo
_make_origin = positional_maker(Origin)  # Origin(...) with every field, faster: one per row
#: Most text cells remembered per column (a column of distinct names stops growing there).
MEMO_SIZE = 4096


class _Compiled:
    """A table's row reader, made once per table: each column's index and parser, a memo of
    each column's text cells (a parser is a function of the cell alone, so a value seen
    before — a role, a date, a village code — is not parsed again; a blank cell is None
    there; errors are remembered too, apart, so a memo hit is the value; lists are not
    shared), one field → header map shared by every row's origin, and the required fields."""

    def __init__(
        self, table: Table, parsers: Mapping[str, Parser], required: Sequence[str]
    ) -> None:
        self.file, self.sheet = table.file, table.sheet
        self.present = table.present
        self.headers = {f: h for f, (_, h) in table.columns.items()}
        self.plan: list[tuple[str, int, Parser, dict[str, Any], dict[str, CellError]]] = [
            (name, index, parsers[name], {}, {}) for name, (index, _) in table.columns.items()
        ]
        kind = SHEET_KINDS[table.kind]
        self.required = [
            (name, self.headers[name], kind.header_of(name))
            for name in required
            if name in self.headers
        ]

    def parse(self, number: int, cells: Sequence[Any]) -> ParsedRow:
        """Read one row (see ``parse_row``)."""
        origin = _make_origin(self.file, self.sheet, number, self.headers)
        values: dict[str, Any] = {}
        issues: list[ImportIssue] = []
        width = len(cells)
        for name, index, parser, memo, errors in self.plan:
            raw = cells[index] if index < width else None
            if type(raw) is str:
                found = memo.get(raw, _MISS)
                if found is not _MISS:  # the common case: a value (or None) read before
                    values[name] = found
                    continue
                found = errors.get(raw) if errors else None
                if found is None:
                    if not raw or raw.isspace():  # is_blank, for text
                        found = _BLANK
                    else:
                        try:
                            found = parser(raw)
                        except CellError as exc:
                            found = exc.with_traceback(None)  # remembered: keep no frames
                    if isinstance(found, CellError):
                        if len(errors) < MEMO_SIZE:
                            errors[raw] = found
                    elif len(memo) < MEMO_SIZE and not isinstance(found, list):
                        memo[raw] = None if found is _BLANK else found
            else:
                found = _read(raw, parser)
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
