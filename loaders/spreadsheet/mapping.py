"""The mapping file: how to read layouts the default headers do not cover.

A mapping file is TOML (``.toml``, read with ``tomllib``) or JSON (``.json``) with the same
structure. Top-level ``encoding``, ``crs``, ``delimiter`` and ``strict`` apply to every file;
``[roles]`` maps extra role names to role codes; ``place_kinds`` adds accepted place kinds;
each ``[[sheets]]`` entry applies to the files whose name matches its ``file`` glob (and, for
XLSX, the sheets matching its ``sheet`` glob). The first matching entry wins.

>>> m = parse_mapping('''
... encoding = "gb18030"
... [roles]
... "专职网格员" = "grid_worker"
... [[sheets]]
... file = "花名册*.xlsx"
... sheet = "网格员"
... kind = "staff"
... header_row = 3
... header_rows = 2
... strict = true
... [sheets.columns]
... "手 机" = "phone"
... "备注" = ""
... ''', "map.toml")
>>> rule = m.rule_for("花名册2026.xlsx", "网格员")
>>> rule.kind, rule.header_row, rule.header_rows, rule.strict, rule.encoding, rule.columns
('staff', 3, 2, True, 'gb18030', {'手机': 'phone', '备注': ''})
>>> m.rule_for("places.csv", None).kind is None
True
>>> m.roles
{'专职网格员': 'grid_worker'}
>>> parse_mapping('[[sheets]]\\nfile = "*.csv"\\nkind = "people"\\n', "bad.toml").issues[0].code
'BAD_MAPPING'
"""

from __future__ import annotations

import codecs
import fnmatch
import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loaders.spreadsheet.headers import KIND_NAMES, SHEET_KINDS, normalize_header
from loaders.spreadsheet.issues import ImportIssue, Where, issue

__all__ = ["CRS_NAMES", "Mapping", "SheetRule", "load_mapping", "parse_crs", "parse_mapping"]

#: Coordinate system names accepted (upper case, without ``-`` or ``_``) → registry name.
CRS_NAMES: dict[str, str] = {
    "WGS84": "WGS84",
    "EPSG4326": "WGS84",
    "CRS84": "WGS84",
    "URNOGCDEFCRSOGC13CRS84": "WGS84",
    "URNOGCDEFCRSEPSG4326": "WGS84",
    "GCJ02": "GCJ02",
}

_RULE_KEYS = frozenset(
    {
        "file",
        "sheet",
        "kind",
        "header_row",
        "header_rows",
        "columns",
        "encoding",
        "delimiter",
        "crs",
        "strict",
    }
)
_TOP_KEYS = frozenset({"sheets", "roles", "place_kinds", "encoding", "delimiter", "crs", "strict"})
_ALL_FIELDS = frozenset(f for k in SHEET_KINDS.values() for f in k.field_names)


def parse_crs(text: str) -> str | None:
    """The registry name (``WGS84``/``GCJ02``) of a coordinate system name, or None.

    >>> parse_crs("gcj-02"), parse_crs("urn:ogc:def:crs:OGC:1.3:CRS84"), parse_crs("BD09")
    ('GCJ02', 'WGS84', None)
    """
    key = "".join(ch for ch in text.upper() if ch.isalnum())
    return CRS_NAMES.get(key)


@dataclass(frozen=True)
class SheetRule:
    """How to read the files (and sheets) one mapping entry matches."""

    file: str = "*"
    sheet: str | None = None
    kind: str | None = None
    header_row: int | None = None
    header_rows: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    crs: str | None = None
    strict: bool = False

    def matches(self, file: str, sheet: str | None) -> bool:
        """True when this entry applies to ``file`` (and ``sheet``)."""
        if not fnmatch.fnmatchcase(file, self.file):
            return False
        return self.sheet is None or sheet is None or fnmatch.fnmatchcase(sheet, self.sheet)


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (``issues`` lists what is wrong with it)."""

    rules: tuple[SheetRule, ...] = ()
    defaults: SheetRule = SheetRule()
    roles: dict[str, str] = field(default_factory=dict)
    place_kinds: frozenset[str] = frozenset()
    issues: tuple[ImportIssue, ...] = ()

    def entry_for(self, file: str, sheet: str | None) -> SheetRule | None:
        """The first ``[[sheets]]`` entry matching ``file``/``sheet`` as written, or None."""
        return next((r for r in self.rules if r.matches(file, sheet)), None)

    def rule_for(self, file: str, sheet: str | None) -> SheetRule:
        """The entry for ``file``/``sheet``, with the top-level defaults filled in."""
        d = self.defaults
        for rule in self.rules:
            if rule.matches(file, sheet):
                return replace(
                    rule,
                    encoding=rule.encoding or d.encoding,
                    delimiter=rule.delimiter or d.delimiter,
                    crs=rule.crs or d.crs,
                    strict=rule.strict or d.strict,
                )
        return d


class _Errors:
    def __init__(self, name: str) -> None:
        self.name = name
        self.found: list[ImportIssue] = []

    def add(self, zh: str, en: str) -> None:
        self.found.append(issue(Where(self.name), "BAD_MAPPING", zh, en))


def _rule(raw: Any, where: str, errors: _Errors, top: bool) -> SheetRule:
    if not isinstance(raw, dict):
        errors.add(f"{where} 应为表", f"{where} must be a table")
        return SheetRule()
    allowed = _TOP_KEYS if top else _RULE_KEYS
    for key in sorted(set(raw) - allowed):
        errors.add(f"{where}：未知的键“{key}”", f"{where}: unknown key {key!r}")
    kind = raw.get("kind")
    if kind is not None and kind not in KIND_NAMES:
        errors.add(
            f"{where}：未知的表格类型“{kind}”（可用：{'、'.join(KIND_NAMES)}）",
            f"{where}: unknown kind {kind!r} (use one of {', '.join(KIND_NAMES)})",
        )
        kind = None
    fields = set(SHEET_KINDS[kind].field_names) if kind in SHEET_KINDS else _ALL_FIELDS
    columns: dict[str, str] = {}
    raw_columns = raw.get("columns", {})
    if not isinstance(raw_columns, dict):
        errors.add(f"{where}.columns 应为表", f"{where}.columns must be a table")
        raw_columns = {}
    for header, target in raw_columns.items():
        name = target if isinstance(target, str) else ""
        if not isinstance(target, str) or (name not in fields and name not in ("", "ignore")):
            errors.add(
                f"{where}.columns：“{header}”对应的字段“{target}”不存在",
                f"{where}.columns: {header!r} maps to unknown field {target!r} "
                f"(fields: {', '.join(sorted(fields))})",
            )
            continue
        columns[normalize_header(str(header))] = "" if name == "ignore" else name
    header_row = raw.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        errors.add(f"{where}.header_row 应为正整数", f"{where}.header_row must be 1 or more")
        header_row = None
    header_rows = raw.get("header_rows")
    if header_rows is not None and header_rows not in (1, 2):
        errors.add(f"{where}.header_rows 应为 1 或 2", f"{where}.header_rows must be 1 or 2")
        header_rows = None
    encoding = raw.get("encoding")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            errors.add(f"{where}：未知编码“{encoding}”", f"{where}: unknown encoding {encoding!r}")
            encoding = None
    crs = raw.get("crs")
    if crs is not None:
        crs = parse_crs(str(crs))
        if crs is None:
            errors.add(
                f"{where}：坐标系“{raw.get('crs')}”无法识别（WGS84 或 GCJ02）",
                f"{where}: coordinate system {raw.get('crs')!r} is not WGS84 or GCJ02",
            )
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        errors.add(f"{where}.delimiter 应为单个字符", f"{where}.delimiter must be one character")
        delimiter = None
    return SheetRule(
        file=str(raw.get("file", "*")),
        sheet=None if raw.get("sheet") is None else str(raw.get("sheet")),
        kind=kind,
        header_row=header_row,
        header_rows=header_rows,
        columns=columns,
        encoding=None if encoding is None else str(encoding),
        delimiter=delimiter,
        crs=crs,
        strict=bool(raw.get("strict", False)),
    )


def parse_mapping(text: str, name: str) -> Mapping:
    """Parse mapping text (TOML, or JSON when ``name`` ends in ``.json``)."""
    errors = _Errors(name)
    try:
        data: Any = json.loads(text) if name.lower().endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        errors.add(f"映射文件无法解析：{exc}", f"the mapping file cannot be parsed: {exc}")
        return Mapping(issues=tuple(errors.found))
    if not isinstance(data, dict):
        errors.add("映射文件应为表（对象）", "the mapping file must hold a table (an object)")
        return Mapping(issues=tuple(errors.found))
    defaults = _rule(
        {k: v for k, v in data.items() if k not in ("sheets",)}, "顶层/top", errors, top=True
    )
    raw_rules = data.get("sheets", [])
    if not isinstance(raw_rules, list):
        errors.add("sheets 应为数组（[[sheets]]）", "sheets must be an array ([[sheets]])")
        raw_rules = []
    rules = tuple(_rule(r, f"sheets[{i + 1}]", errors, top=False) for i, r in enumerate(raw_rules))
    roles: dict[str, str] = {}
    raw_roles = data.get("roles", {})
    if not isinstance(raw_roles, dict) or not all(isinstance(v, str) for v in raw_roles.values()):
        errors.add("roles 应为“名称 = 岗位代码”的表", "roles must map names to role codes")
        raw_roles = {}
    for alias, code in raw_roles.items():
        roles[normalize_header(str(alias))] = code
    kinds = data.get("place_kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        errors.add("place_kinds 应为字符串数组", "place_kinds must be a list of strings")
        kinds = []
    return Mapping(rules, defaults, roles, frozenset(kinds), tuple(errors.found))


def load_mapping(path: str | Path) -> Mapping:
    """Read and parse a mapping file; an unreadable file gives a mapping with one issue."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        found = issue(
            Where(p.name),
            "BAD_MAPPING",
            f"映射文件无法读取（需为 UTF-8）：{exc}",
            f"the mapping file cannot be read (it must be UTF-8): {exc}",
        )
        return Mapping(issues=(found,))
    return parse_mapping(text, p.name)
