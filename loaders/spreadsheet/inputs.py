"""The files of one import, read into parsed rows per sheet kind.

Paths may be files or folders (a folder stands for its ``.csv``, ``.tsv``, ``.txt``,
``.xlsx``, ``.xlsm``, ``.geojson`` and ``.json`` files, in name order). CSV and text files are
one table each; every non-empty worksheet of a workbook is one table; GeoJSON files hold
boundaries. The mapping file can name a sheet's kind, or ``ignore`` it.

>>> import tempfile
>>> from pathlib import Path
>>> tmp = tempfile.TemporaryDirectory()
>>> p = Path(tmp.name) / "网格.csv"
>>> _ = p.write_bytes("网格编码,网格名称\\nG1,一级\\n".encode("gb18030"))
>>> found = read_inputs([p], Mapping())
>>> [(s.file, s.kind, s.rows) for s in found.sheets], len(found.rows["grids"]), found.issues
([('网格.csv', 'grids', 1)], 1, [])
>>> tmp.cleanup()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loaders.spreadsheet.boundaries import read_geojson
from loaders.spreadsheet.grids import read_grids
from loaders.spreadsheet.issues import ImportIssue, Where, issue
from loaders.spreadsheet.mapping import Mapping
from loaders.spreadsheet.organizations import read_organizations
from loaders.spreadsheet.places import read_places
from loaders.spreadsheet.rows import ParsedRow
from loaders.spreadsheet.sources import RawSheet, read_csv, read_xlsx
from loaders.spreadsheet.staff import read_staff
from loaders.spreadsheet.tables import Table, make_table

__all__ = ["SUFFIXES", "Inputs", "SheetInfo", "expand_paths", "read_inputs"]

#: Readable file types by suffix.
SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
}

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """A table read: file, sheet, kind, header row numbers and the number of data rows."""

    file: str
    sheet: str | None
    kind: str
    header_rows: tuple[int, ...]
    rows: int


@dataclass
class Inputs:
    """Parsed rows per kind, the tables read, the issues found, and every (file, sheet)
    in reading order (to sort issues)."""

    rows: dict[str, list[ParsedRow]] = field(
        default_factory=lambda: {
            k: [] for k in ("places", "grids", "organizations", "staff", "boundaries")
        }
    )
    sheets: list[SheetInfo] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    order: list[tuple[str, str | None]] = field(default_factory=list)


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files to read: folders are replaced by their readable files, in name order."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(sorted(c for c in p.iterdir() if c.suffix.lower() in SUFFIXES))
        else:
            found.append(p)
    return found


def _read_table(table: Table, mapping: Mapping, inputs: Inputs) -> None:
    readers = {
        "places": lambda t: read_places(t, mapping.place_kinds),
        "grids": read_grids,
        "organizations": read_organizations,
        "staff": read_staff,
    }
    rows = readers[table.kind](table)
    inputs.rows[table.kind].extend(rows)
    inputs.sheets.append(
        SheetInfo(table.file, table.sheet, table.kind, table.header_rows, len(rows))
    )


def _read_sheets(raws: list[RawSheet], mapping: Mapping, inputs: Inputs) -> bool:
    """Read the tables of raw sheets; True when any had data rows."""
    any_rows = False
    for raw in raws:
        inputs.order.append((raw.file, raw.sheet))
        rule = mapping.rule_for(raw.file, raw.sheet)
        if rule.kind == "ignore" or not raw.rows:
            continue
        if rule.kind == "boundaries":
            inputs.issues.append(
                issue(
                    Where(raw.file, raw.sheet),
                    "UNKNOWN_SHEET_KIND",
                    "边界须为 GeoJSON 文件",
                    "boundaries are read from GeoJSON files only",
                )
            )
            continue
        table, problems = make_table(raw, rule)
        inputs.issues.extend(problems)
        if table is not None:
            _read_table(table, mapping, inputs)
            any_rows = any_rows or bool(table.rows)
        elif not problems:
            any_rows = True
    return any_rows


def _empty(name: str) -> ImportIssue:
    return issue(Where(name), "EMPTY_FILE", "文件中没有数据行", "the file holds no data rows")


def read_inputs(
    paths: Sequence[str | Path],
    mapping: Mapping,
    crs: str | None = None,
    progress: Progress | None = None,
) -> Inputs:
    """Read every file into parsed rows (see the module docstring)."""
    inputs = Inputs()
    for path in expand_paths(paths):
        name = path.name
        if progress is not None:
            progress(name)
        kind = SUFFIXES.get(path.suffix.lower())
        before = len(inputs.issues)
        if not path.is_file() or kind is None:
            inputs.order.append((name, None))
            why_zh, why_en = "文件不存在", "no such file"
            if path.is_file():
                why_zh, why_en = "不支持的文件类型", f"unsupported file type {path.suffix!r}"
                if path.suffix.lower() == ".xls":
                    why_zh, why_en = (
                        "旧版 .xls 格式：请另存为 .xlsx",
                        "old .xls format: save as .xlsx",
                    )
            inputs.issues.append(issue(Where(name), "UNREADABLE_FILE", why_zh, why_en))
            continue
        if kind == "geojson":
            inputs.order.append((name, None))
            entry = mapping.entry_for(name, None)
            if entry is not None and entry.kind == "ignore":
                continue
            rule = mapping.rule_for(name, None)
            declared = entry.crs if entry is not None else None
            rows, problems = read_geojson(
                path, declared, crs or mapping.defaults.crs, rule.encoding
            )
            inputs.issues.extend(problems)
            inputs.rows["boundaries"].extend(rows)
            if rows:
                inputs.sheets.append(SheetInfo(name, None, "boundaries", (), len(rows)))
            continue
        if kind == "csv":
            rule = mapping.rule_for(name, None)
            inputs.order.append((name, None))
            if rule.kind == "ignore":
                continue
            raw = read_csv(path, rule.encoding, rule.delimiter)
            if isinstance(raw, ImportIssue):
                inputs.issues.append(raw)
                continue
            raws = [raw]
        else:
            found = read_xlsx(path)
            if isinstance(found, ImportIssue):
                inputs.order.append((name, None))
                inputs.issues.append(found)
                continue
            raws = found
        if not _read_sheets(raws, mapping, inputs) and len(inputs.issues) == before:
            inputs.issues.append(_empty(name))
    return inputs
