"""Reading input files into raw sheets: CSV in UTF-8 (with or without BOM), UTF-16 (Excel's
"Unicode text") or GBK/GB18030, and XLSX workbooks with merged cells filled in.

A ``RawSheet`` keeps every non-blank row with its spreadsheet row number (1-based; a CSV
record counts as one row even when a quoted cell spans lines), cells as read (text for CSV;
``int``/``float``/``datetime``/``str`` for XLSX).

Encodings: a declared encoding (mapping file) wins; otherwise a byte-order mark decides
(UTF-8 or UTF-16); otherwise UTF-8 if the bytes are valid UTF-8, else GB18030 (a superset of
GBK and GB2312); otherwise the file is refused with ``ENCODING``.

>>> decode_bytes("区划代码,村名\\n".encode("gbk"), None)
('区划代码,村名\\n', 'gb18030')
>>> decode_bytes(b"\\xef\\xbb\\xbfcode\\n", None)
('code\\n', 'utf-8-sig')
>>> decode_bytes(b"code\\n\\x80\\x80\\n", None)
Traceback (most recent call last):
...
UnicodeError: byte 0x80 on line 2 is neither UTF-8 nor GB18030
>>> sheet = read_csv_text("title,,\\n\\n网格编码,网格名称\\nG1,一级\\n", "g.csv")
>>> sheet.rows
[(1, ['title', '', '']), (3, ['网格编码', '网格名称']), (4, ['G1', '一级'])]
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loaders.spreadsheet.cells import is_blank
from loaders.spreadsheet.issues import ImportIssue, Where, issue

__all__ = ["RawSheet", "decode_bytes", "read_csv", "read_csv_text", "read_xlsx"]

_DELIMITERS = (",", "\t", ";", "|")


@dataclass
class RawSheet:
    """The non-blank rows of one CSV file or one worksheet."""

    file: str
    sheet: str | None
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str]:
    """Text and the encoding used (see the module docstring); ``UnicodeError`` when none fits."""
    if declared:
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise UnicodeError(
                f"byte 0x{data[exc.start]:02x} on line {line} is not {declared}"
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    first: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            first = first or exc
    assert first is not None
    line = data.count(b"\n", 0, first.start) + 1
    shown = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030", "utf-16": "UTF-16"}
    what = " nor ".join(shown[c] for c in candidates)
    what = f"neither {what}" if len(candidates) > 1 else f"not {what}"
    raise UnicodeError(f"byte 0x{data[first.start]:02x} on line {line} is {what}")


def _head(text: str, count: int) -> list[str]:
    """The first ``count`` lines of ``text`` (``text.splitlines()[:count]``, without
    splitting the whole file): lines of a prefix are the text's once a further line starts
    after them."""
    size = 4096
    while True:
        lines = text[:size].splitlines()
        if len(lines) > count or size >= len(text):
            return lines[:count]
        size *= 4


def _delimiter(text: str) -> str:
    """The most frequent of , tab ; | in the first lines (comma on a tie)."""
    head = "\n".join(_head(text, 10))
    counts = [(head.count(d), -i, d) for i, d in enumerate(_DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] else ","


def read_csv_text(text: str, name: str, delimiter: str | None = None) -> RawSheet:
    """The rows of CSV text (blank rows dropped, numbering kept)."""
    sheet = RawSheet(name, None)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _delimiter(text))
    rows = sheet.rows
    for number, cells in enumerate(reader, start=1):
        first = cells[0] if cells else ""  # csv's cells are text
        if (first and not first.isspace()) or any(not is_blank(c) for c in cells):
            rows.append((number, cells))
    return sheet


def read_csv(path: Path, encoding: str | None, delimiter: str | None) -> RawSheet | ImportIssue:
    """Read a CSV file, or the issue that prevents it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _unreadable(path, exc)
    try:
        text, _used = decode_bytes(data, encoding)
    except UnicodeError as exc:
        return issue(
            Where(path.name),
            "ENCODING",
            f"文件编码无法识别：{exc}；请另存为 UTF-8 或 GBK，或在映射文件中写明 encoding",
            f"cannot decode the file: {exc}; save it as UTF-8 or GBK, or declare its "
            "encoding in the mapping file",
        )
    try:
        return read_csv_text(text, path.name, delimiter)
    except csv.Error as exc:
        return issue(
            Where(path.name),
            "UNREADABLE_FILE",
            f"CSV 无法解析：{exc}",
            f"the CSV cannot be parsed: {exc}",
        )


def _unreadable(path: Path, exc: Exception) -> ImportIssue:
    return issue(
        Where(path.name),
        "UNREADABLE_FILE",
        f"文件无法读取：{exc}",
        f"the file cannot be read: {exc}",
    )


def read_xlsx(path: Path) -> list[RawSheet] | ImportIssue:
    """Every worksheet of a workbook; a merged range takes its top-left value in every cell
    (so a village name merged down five rows belongs to all five, and a header merged over
    two columns names both)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        return _unreadable(path, exc)
    sheets: list[RawSheet] = []
    try:
        for ws in book.worksheets:
            grid: list[list[Any]] = [
                list(r) for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)
            ]
            for merged in ws.merged_cells.ranges:
                value = ws.cell(merged.min_row, merged.min_col).value
                for r in range(merged.min_row, merged.max_row + 1):
                    if r > len(grid):
                        break
                    row = grid[r - 1]
                    for c in range(merged.min_col, merged.max_col + 1):
                        if c <= len(row):
                            row[c - 1] = value
            sheet = RawSheet(path.name, ws.title)
            for number, cells in enumerate(grid, start=1):
                if any(not is_blank(c) for c in cells):
                    while cells and is_blank(cells[-1]):
                        cells.pop()
                    sheet.rows.append((number, cells))
            sheets.append(sheet)
    finally:
        book.close()
    return sheets
