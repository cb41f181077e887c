"""From raw rows to a table: find the header row(s), tell the sheet's kind, map columns to
fields, and keep the data rows.

The header is the first of the first 20 non-blank rows that names at least two fields of a
kind (or the row the mapping file gives). When that row and the next one together name more
fields than the row alone, the header has two rows (a parent cell merged over its children,
e.g. 网格员 over 姓名 and 联系电话): each column is then named ``parent|child`` and matched as
``parent+child`` (网格员姓名), then as ``child`` (姓名).

The kind is the one whose required fields are all named and that names the most fields (ties
are ``UNKNOWN_SHEET_KIND``); when no kind has all its required fields, the one naming the most
fields is taken and the missing ones are reported (``MISSING_COLUMN``).

Rows after the header whose first non-blank cell starts with 合计, 总计, 小计, 填表, 制表, 审核,
说明, 备注 or 注 — in the key column or before it — are footers and are skipped.

>>> from loaders.spreadsheet.sources import RawSheet
>>> raw = RawSheet("roster.xlsx", "Sheet1", [
...     (1, ["罗城县网格员名册"]),
...     (2, ["网格编码", "网格员", "网格员", "岗位"]),
...     (3, ["网格编码", "姓名", "联系电话", "岗位"]),
...     (4, ["G1", "韦小红", 13807781234, "网格员"]),
...     (6, ["合计：1人"])])
>>> table, problems = make_table(raw, SheetRule())
>>> table.kind, table.header_rows, [(f, h) for f, (_, h) in table.columns.items()]
('staff', (2, 3), [('grid', '网格编码'), ('name', '网格员|姓名'), ('phone', '网格员|联系电话'), ('role', '岗位')])
>>> [n for n, _ in table.rows], problems
([4], [])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from loaders.spreadsheet.cells import clean_text, is_blank
from loaders.spreadsheet.headers import (
    SHEET_KINDS,
    SheetKind,
    join_headers,
    match_columns,
)
from loaders.spreadsheet.issues import ImportIssue, Origin, Where, issue
from loaders.spreadsheet.mapping import SheetRule
from loaders.spreadsheet.sources import RawSheet

__all__ = ["Table", "make_table"]

_SCAN_ROWS = 20
_FOOTER = re.compile(r"^(合计|总计|小计|填表|制表|审核|说明|备注|注)")


@dataclass
class Table:
    """A recognised sheet: its kind, header row numbers, field → (index, header) and rows."""

    file: str
    sheet: str | None
    kind: str
    header_rows: tuple[int, ...]
    columns: dict[str, tuple[int, str]]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)

    def value(self, cells: Sequence[Any], name: str) -> Any:
        """The raw cell of field ``name`` in a row (None when the column is absent or short)."""
        found = self.columns.get(name)
        if found is None or found[0] >= len(cells):
            return None
        return cells[found[0]]

    def origin(self, row: int) -> Origin:
        """The origin of a data row: every field's column header."""
        return Origin(self.file, self.sheet, row, {f: h for f, (_, h) in self.columns.items()})

    @property
    def present(self) -> frozenset[str]:
        """The fields that have a column."""
        return frozenset(self.columns)


def _texts(cells: Sequence[Any]) -> list[str]:
    return [clean_text(c) for c in cells]


def _joined(top: Sequence[Any], bottom: Sequence[Any]) -> list[str]:
    a, b = _texts(top), _texts(bottom)
    width = max(len(a), len(b))
    a += [""] * (width - len(a))
    b += [""] * (width - len(b))
    return [join_headers(x, y) for x, y in zip(a, b, strict=True)]


def _rank(kind: SheetKind, headers: Sequence[str], rule: SheetRule) -> tuple[int, int]:
    found = {f for f in match_columns(kind, headers, rule.columns) if f}
    return (int(kind.satisfied(found)), len(found))


def _best(headers: Sequence[str], rule: SheetRule) -> tuple[tuple[int, int], list[str]]:
    """The best (satisfied, fields named) of the kinds allowed, and the kinds that reach it."""
    kinds = [rule.kind] if rule.kind in SHEET_KINDS else list(SHEET_KINDS)
    ranked = [(_rank(SHEET_KINDS[k], headers, rule), k) for k in kinds]
    top = max(r for r, _ in ranked)
    return top, [k for r, k in ranked if r == top]


def _locate(raw: RawSheet, rule: SheetRule) -> tuple[int, int, list[str], list[str]] | None:
    """(index of the first header row in raw.rows, header row count, headers, kinds)."""
    rows = raw.rows
    if rule.header_row is not None:
        indexes = [i for i, (n, _) in enumerate(rows) if n == rule.header_row]
    else:
        indexes = list(range(min(len(rows), _SCAN_ROWS)))
    enough = 1 if rule.header_row is not None else 2
    for i in indexes:
        single = _texts(rows[i][1])
        one, kinds1 = _best(single, rule)
        can_pair = i + 1 < len(rows) and rows[i + 1][0] == rows[i][0] + 1
        if not can_pair or rule.header_rows == 1:
            if one[1] >= enough:
                return i, 1, single, kinds1
            continue
        pair = _joined(rows[i][1], rows[i + 1][1])
        two, kinds2 = _best(pair, rule)
        if rule.header_rows == 2:
            return i, 2, pair, kinds2
        below, _ = _best(_texts(rows[i + 1][1]), rule)
        # Two header rows when together they name more than the top row alone, and the top
        # row is a header itself or adds to the row below (a title row above adds nothing).
        if two[1] >= enough and two > one and (two > below or (one[1] >= enough and two >= below)):
            return i, 2, pair, kinds2
        if one[1] >= enough:
            return i, 1, single, kinds1
    return None


def make_table(raw: RawSheet, rule: SheetRule) -> tuple[Table | None, list[ImportIssue]]:
    """The table of a raw sheet, or None and the issues that prevent reading it."""
    where = Where(raw.file, raw.sheet)
    found = _locate(raw, rule)
    if found is None or len(found[3]) != 1:
        if found is None:
            zh = "找不到表头：前20行中没有一行包含至少两个可识别的列名"
            en = "no header found: none of the first 20 rows names two known columns"
        else:
            names = "、".join(SHEET_KINDS[k].title for k in found[3])
            zh = f"无法判断表格类型（可能是：{names}），请在映射文件中写明 kind"
            en = (
                f"the table could be any of {', '.join(found[3])}; name its kind in the "
                "mapping file"
            )
        hint = "" if rule.kind is None else f" (kind {rule.kind})"
        return None, [issue(where, "UNKNOWN_SHEET_KIND", zh, en + hint)]
    start, count, headers, (kind_name,) = found
    kind = SHEET_KINDS[kind_name]
    header_rows = tuple(raw.rows[start + k][0] for k in range(count))
    at_header = Where(raw.file, raw.sheet, header_rows[-1])
    problems: list[ImportIssue] = []
    columns: dict[str, tuple[int, str]] = {}
    for index, (header, name) in enumerate(
        zip(headers, match_columns(kind, headers, rule.columns), strict=True)
    ):
        col = Where(raw.file, raw.sheet, header_rows[-1], header)
        if name:
            if name in columns:
                first = columns[name][1]
                problems.append(
                    issue(
                        col,
                        "DUPLICATE_COLUMN",
                        f"列“{header}”与列“{first}”都对应字段 {name}",
                        f"column {header!r} and column {first!r} both map to field {name}",
                    )
                )
            else:
                columns[name] = (index, header)
        elif name is None and header and rule.strict:
            problems.append(
                issue(
                    col,
                    "UNKNOWN_COLUMN",
                    f"无法识别的列“{header}”（严格模式）",
                    f"column {header!r} is not a field of a {kind.name} sheet (strict mode)",
                )
            )
    for name in kind.required:
        if name not in columns:
            problems.append(_missing(at_header, kind, (name,)))
    if kind.one_of and not any(n in columns for n in kind.one_of):
        problems.append(_missing(at_header, kind, kind.one_of))
    table = Table(raw.file, raw.sheet, kind.name, header_rows, columns)
    if any(p.code == "MISSING_COLUMN" for p in problems):
        return None, problems
    key = kind.required[0]
    for row in raw.rows[start + count :]:
        if not _is_footer(row[1], table.value(row[1], key)):
            table.rows.append(row)  # (number, cells), as read
    return table, problems


def _is_footer(cells: Sequence[Any], key: Any) -> bool:
    """A 合计/填表人/说明 row: its first text is a footer word, in the key column or before it."""
    first = ""
    for c in cells:
        if not is_blank(c):
            first = clean_text(c)
            break
    return bool(_FOOTER.match(first)) and (is_blank(key) or clean_text(key) == first)


def _missing(where: Where, kind: SheetKind, names: Sequence[str]) -> ImportIssue:
    headers = "/".join(kind.header_of(n) for n in names)
    what = " or ".join(names)
    return issue(
        Where(where.file, where.sheet, where.row, headers),
        "MISSING_COLUMN",
        f"{kind.title}表缺少必需的列“{headers}”",
        f"a {kind.name} sheet needs a column {what} ({headers})",
    )
