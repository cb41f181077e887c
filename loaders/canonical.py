"""The canonical folder format: one UTF-8 CSV file per record kind, plus ``manifest.json``.

A canonical folder holds ``<kind>.csv`` for every record kind (``place.csv``, ``grid.csv``, ...;
see ``registry.model.KINDS``). The header of each file is the kind's field names in declaration
order; dates are ``YYYY-MM-DD``, an empty cell is null, list cells are ``|``-separated, booleans
are ``true``/``false``; rows are sorted by record key and lines end in ``\\n``. ``manifest.json``
names the format and counts the records. Exports are byte-identical across runs, so a folder can
be kept in version control and diffed. The format is described in ``docs/data-format.md``.

``read_folder`` parses and validates a folder and raises one ``LoadError`` listing every problem
found (located by file, row and column); ``load_folder`` then writes all records in one atomic
``store.apply``; ``export_folder`` writes a store out.

>>> import tempfile
>>> from pathlib import Path
>>> from registry.model import Level, Place
>>> from registry.store import open_store
>>> store = open_store("memory://")
>>> _ = store.apply([Place(code="450000000000", name="广西壮族自治区", level=Level.PROVINCE)])
>>> tmp = tempfile.TemporaryDirectory()
>>> folder = Path(tmp.name)
>>> export_folder(store, folder)["place"]
1
>>> print((folder / "place.csv").read_text(encoding="utf-8"), end="")
code,name,level,parent,kind,households,synthetic,valid_from,valid_to
450000000000,广西壮族自治区,province,,,,false,,
>>> copy = open_store("memory://")
>>> load_folder(copy, folder, reason="doctest").written
1
>>> copy.get(Place, "450000000000").name
'广西壮族自治区'
>>> _ = (folder / "grid.csv").write_text("code,name,tier,county\\nG1,一级,1,451225000000\\n",
...                                        encoding="utf-8")
>>> try:
...     read_folder(folder)
... except LoadError as err:
...     [(i.file, i.row, i.column, i.code) for i in err.issues]
[('grid.csv', 2, 'county', 'UNKNOWN_REFERENCE')]
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from registry.codec import field_names, from_row, to_row
from registry.errors import (
    CycleError,
    GridregError,
    InvalidInput,
    InvariantViolation,
    LevelMismatchError,
    LoadError,
    LoadIssue,
)
from registry.invariants import DictView, Overlay, ReadView, check_record
from registry.model import KINDS, AnyRecord
from registry.store.base import GraphStore, WriteResult

__all__ = [
    "FORMAT",
    "MANIFEST",
    "VERSION",
    "export_folder",
    "file_name",
    "issue_code",
    "load_folder",
    "read_folder",
]

#: The ``format`` value of ``manifest.json``.
FORMAT = "gridreg-canonical"
#: The format version written and understood by this module.
VERSION = 1
#: The name of the manifest file.
MANIFEST = "manifest.json"

_FILE_KINDS: dict[str, str] = {f"{kind}.csv": kind for kind in KINDS}
_FILE_RANK: dict[str, int] = {name: i for i, name in enumerate(_FILE_KINDS)}
#: Kinds that other records refer to; their key is their first field (``code`` or ``id``).
_TARGET_KINDS: frozenset[str] = frozenset(t for cls in KINDS.values() for t in cls.REFS.values())


def file_name(kind: str) -> str:
    """The file name of a record kind in a canonical folder.

    >>> file_name("grid_tier")
    'grid_tier.csv'
    """
    return f"{kind}.csv"


def issue_code(exc: GridregError) -> str:
    """The LoadIssue code for an error: its class name in UPPER_SNAKE without ``Error``.

    >>> from registry.errors import CodeMismatchError, SecondParentError
    >>> issue_code(CycleError("grid", ["G1", "G2", "G1"])), issue_code(SecondParentError("x"))
    ('CYCLE', 'SECOND_PARENT')
    >>> issue_code(CodeMismatchError("x")), issue_code(InvalidInput("x"))
    ('CODE_MISMATCH', 'INVALID_VALUE')
    """
    if isinstance(exc, InvalidInput):
        return "INVALID_VALUE"
    name = type(exc).__name__.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Located:
    """A parsed record and where it came from."""

    record: AnyRecord
    file: str
    row: int


@dataclass(slots=True)
class _Reading:
    """Everything gathered while reading a folder."""

    located: list[_Located] = field(default_factory=list)
    issues: list[LoadIssue] = field(default_factory=list)
    #: Kinds whose file could not be read at all (their keys are unknown).
    broken: set[str] = field(default_factory=set)
    #: Keys of rows that were present but invalid, per kind (references to them are not
    #: reported again as unknown).
    failed_keys: dict[str, set[str]] = field(default_factory=dict)


def _required(cls: type[AnyRecord]) -> tuple[str, ...]:
    """Fields without a default: a file of this kind must have these columns."""
    return tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )


def _placeholder(tp: Any) -> str:
    """A cell value that is valid for a field type (used to go on parsing a bad row)."""
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        return _placeholder(next(a for a in args if a is not type(None)))
    if typing.get_origin(tp) is tuple:
        return ""
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return str(next(iter(tp)).value)
    simple: dict[Any, str] = {str: "x", int: "0", bool: "false", date: "2000-01-01"}
    return simple.get(tp, "")


_PLACEHOLDERS: dict[str, dict[str, str]] = {}


def _placeholders(cls: type[AnyRecord]) -> dict[str, str]:
    """A valid cell value for every field of ``cls`` (computed once per kind)."""
    found = _PLACEHOLDERS.get(cls.KIND)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = {f.name: _placeholder(hints[f.name]) for f in dataclasses.fields(cls)}
        _PLACEHOLDERS[cls.KIND] = found
    return found


def _parse_row(
    cls: type[AnyRecord], row: dict[str, str]
) -> tuple[AnyRecord | None, list[InvalidInput]]:
    """Parse one row; on a bad cell, note it and go on with a placeholder to find the rest."""
    errors: list[InvalidInput] = []
    work = dict(row)
    placeholders = _placeholders(cls)
    for _ in range(len(placeholders) + 1):
        try:
            rec = from_row(cls, work)
        except InvalidInput as exc:
            errors.append(exc)
            name = exc.field
            if name is None or name not in placeholders or work.get(name) == placeholders[name]:
                break
            work[name] = placeholders[name]
            continue
        return (None if errors else rec), errors
    return None, errors


def _decode(data: bytes, name: str, reading: _Reading) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        reading.issues.append(
            LoadIssue(
                name,
                None,
                None,
                "ENCODING",
                f"not UTF-8 (byte 0x{bad} on line {line}); save the file as UTF-8",
            )
        )
        return None


def _read_file(path: Path, kind: str, reading: _Reading) -> None:
    name = path.name
    cls = KINDS[kind]
    text = _decode(path.read_bytes(), name, reading)
    if text is None:
        reading.broken.add(kind)
        return
    issues = reading.issues
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header_cells = next(reader, None)
    except csv.Error as exc:
        issues.append(LoadIssue(name, 1, None, "BAD_ROW", f"unreadable header: {exc}"))
        reading.broken.add(kind)
        return
    if header_cells is None:
        return  # an empty file holds no records
    header = [h.strip() for h in header_cells]
    known = set(field_names(cls))
    seen_columns: set[str] = set()
    for i, col in enumerate(header, start=1):
        if col not in known:
            what = f"unknown column {col!r}" if col else f"column {i} has no name"
            issues.append(
                LoadIssue(
                    name,
                    1,
                    col or None,
                    "UNKNOWN_COLUMN",
                    f"{what}; the columns of {name} are {', '.join(field_names(cls))}",
                )
            )
        elif col in seen_columns:
            issues.append(
                LoadIssue(name, 1, col, "DUPLICATE_COLUMN", f"column {col!r} appears twice")
            )
        seen_columns.add(col)
    missing = [f for f in _required(cls) if f not in seen_columns]
    for col in missing:
        issues.append(
            LoadIssue(name, 1, col, "MISSING_COLUMN", f"required column {col!r} is missing")
        )
    if missing:
        reading.broken.add(kind)
        return

    use = [(i, col) for i, col in enumerate(header) if col in known]
    width = len(header)
    first_row: dict[str, int] = {}
    key_field = field_names(cls)[0] if kind in _TARGET_KINDS else None
    key_index = header.index(key_field) if key_field in header else None
    failed = reading.failed_keys.setdefault(kind, set())
    row_no = 1
    try:
        for cells in reader:
            row_no += 1
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) != width:
                issues.append(
                    LoadIssue(
                        name,
                        row_no,
                        None,
                        "BAD_ROW",
                        f"row has {len(cells)} cells, the header has {width}",
                    )
                )
                if key_index is not None and key_index < len(cells):
                    failed.add(cells[key_index].strip())
                continue
            row = {col: cells[i] for i, col in use}
            rec, errors = _parse_row(cls, row)
            for bad in errors:
                issues.append(LoadIssue(name, row_no, bad.field, "INVALID_VALUE", bad.message))
            if rec is None:
                if key_field is not None:
                    failed.add(row.get(key_field, "").strip())
                continue
            first = first_row.get(rec.key)
            if first is not None:
                issues.append(
                    LoadIssue(
                        name,
                        row_no,
                        field_names(cls)[0],
                        "DUPLICATE_KEY",
                        f"{kind} {rec.key} appears twice; first at row {first}",
                    )
                )
                continue
            first_row[rec.key] = row_no
            reading.located.append(_Located(rec, name, row_no))
    except csv.Error as exc:
        issues.append(LoadIssue(name, row_no + 1, None, "BAD_ROW", f"unreadable row: {exc}"))
        reading.broken.add(kind)


def _read_manifest(path: Path, reading: _Reading) -> None:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        reading.issues.append(LoadIssue(MANIFEST, None, None, "MANIFEST", f"not JSON: {exc}"))
        return
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        reading.issues.append(
            LoadIssue(MANIFEST, None, "format", "MANIFEST", f"format is not {FORMAT!r}")
        )
    elif data.get("version") != VERSION:
        reading.issues.append(
            LoadIssue(
                MANIFEST,
                None,
                "version",
                "MANIFEST",
                f"version {data.get('version')!r} is not supported (expected {VERSION})",
            )
        )


def _column_for(exc: GridregError, rec: AnyRecord) -> str | None:
    """The field of ``rec`` an invariant error is about, where it can be determined."""
    names = field_names(type(rec))
    if isinstance(exc, InvalidInput):
        if exc.field in names:
            return exc.field
        if rec.valid_from and rec.valid_to and rec.valid_to < rec.valid_from:
            return "valid_to"
    others = [i for i in exc.ids if i != rec.key]
    refs = sorted(rec.REFS, key=lambda f: f != "parent")  # parent first
    for ref_field in refs:
        value = getattr(rec, ref_field)
        if value is not None and value in others:
            return ref_field
    if isinstance(exc, LevelMismatchError | CycleError):
        for candidate in ("tier", "parent"):
            if candidate in names:
                return candidate
    for name in names:
        if str(getattr(rec, name)) in exc.ids:
            return name
    return None


def _check(reading: _Reading, view: ReadView | None) -> None:
    """Run the registry's invariant checks on every record, against ``view`` plus the files."""
    base: ReadView = view if view is not None else DictView({})
    try:
        overlay = Overlay(base, [loc.record for loc in reading.located])
    except GridregError as exc:  # pragma: no cover - keys are unique per kind by now
        reading.issues.append(LoadIssue("", None, None, issue_code(exc), exc.message))
        return
    for loc in reading.located:
        rec = loc.record
        try:
            check_record(rec, overlay)
        except GridregError as exc:
            column = _column_for(exc, rec)
            code = issue_code(exc)
            if code == "UNKNOWN_REFERENCE" and column in rec.REFS:
                target = rec.REFS[column]
                if target in reading.broken or getattr(rec, column) in reading.failed_keys.get(
                    target, ()
                ):
                    continue  # the referenced row is itself reported as invalid
            reading.issues.append(LoadIssue(loc.file, loc.row, column, code, exc.message))


def _issue_order(issue: LoadIssue) -> tuple[int, str, int]:
    return (_FILE_RANK.get(issue.file, len(_FILE_RANK)), issue.file, issue.row or 0)


def _read(path: str | Path, view: ReadView | None) -> _Reading:
    folder = Path(path)
    reading = _Reading()
    if not folder.is_dir():
        reading.issues.append(
            LoadIssue(folder.name, None, None, "NOT_A_FOLDER", f"{folder} is not a folder")
        )
        return reading
    present = {p.name: p for p in folder.iterdir() if p.is_file()}
    for name in sorted(present):
        if name.lower().endswith(".csv") and name not in _FILE_KINDS:
            reading.issues.append(
                LoadIssue(
                    name,
                    None,
                    None,
                    "UNKNOWN_FILE",
                    f"{name} is not a record kind; expected one of {', '.join(_FILE_KINDS)}",
                )
            )
    if MANIFEST in present:
        _read_manifest(present[MANIFEST], reading)
    for name, kind in _FILE_KINDS.items():
        if name in present:
            _read_file(present[name], kind, reading)
    _check(reading, view)
    reading.issues.sort(key=_issue_order)
    return reading


def read_folder(path: str | Path, view: ReadView | None = None) -> list[AnyRecord]:
    """Parse and validate a canonical folder; return its records in kind (dependency) order.

    References may point to records in the folder or in ``view`` (anything with ``get`` and
    ``referrers``, e.g. the store the records are going to be loaded into). Raises
    ``LoadError`` listing every problem found, sorted by file (in kind order) and row.
    """
    reading = _read(path, view)
    if reading.issues:
        raise LoadError(reading.issues)
    return [loc.record for loc in reading.located]


def load_folder(
    store: GraphStore, path: str | Path, *, actor: str = "loader", reason: str = ""
) -> WriteResult:
    """Read a canonical folder and write all its records to ``store`` in one atomic write.

    Nothing is written when any problem is found (``LoadError``). Records whose key is already
    stored replace the stored record.
    """
    reading = _read(path, store)
    if reading.issues:
        raise LoadError(reading.issues)
    records = [loc.record for loc in reading.located]
    try:
        return store.apply(records, actor=actor, operation="load", reason=reason)
    except (InvariantViolation, InvalidInput) as exc:
        # The store changed between the checks and the write; apply wrote nothing.
        raise LoadError([_locate(exc, reading.located)]) from exc


def _locate(exc: GridregError, located: Iterable[_Located]) -> LoadIssue:
    for loc in located:
        if exc.ids and loc.record.key == exc.ids[0]:
            column = _column_for(exc, loc.record)
            return LoadIssue(loc.file, loc.row, column, issue_code(exc), exc.message)
    return LoadIssue("", None, None, issue_code(exc), exc.message)


# --- writing ------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "|".join(_cell(v) for v in value)
    return str(value)


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    """Write a file whole: readers never see a half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def export_folder(store: GraphStore, path: str | Path) -> dict[str, int]:
    """Write every record of ``store`` as a canonical folder; return the count per kind.

    Every kind gets a file (header only when it has no records), so a re-export over an old
    folder leaves no stale data behind. The output depends only on the stored records.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for kind, cls in KINDS.items():
        names = field_names(cls)
        records = sorted(store.scan(cls), key=lambda r: r.key)
        rows = ([_cell(v) for v in to_row(rec).values()] for rec in records)
        _write(folder / file_name(kind), _csv_bytes(names, rows))
        counts[kind] = len(records)
    manifest = {"format": FORMAT, "version": VERSION, "counts": dict(sorted(counts.items()))}
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    _write(folder / MANIFEST, text.encode("utf-8"))
    return counts
