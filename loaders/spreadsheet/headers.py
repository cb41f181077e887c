"""Sheet kinds and their default header names, and how a header row is recognised.

A sheet kind lists its fields; each field has Chinese and English header names (aliases).
Headers are compared after ``normalize_header``: NFKC, lower case, no white space, no
parenthesised notes (``户数（户）``), no ``* # : _ - | / . 、`` (so ``valid_from``, ``Valid From``
and ``valid-from`` are one name, and the required mark of ``*姓名`` is ignored).

>>> normalize_header(" 村（社区）名称* "), normalize_header("Valid From")
('村名称', 'validfrom')
>>> SHEET_KINDS["staff"].field_for("手机号码")
'phone'

A sheet's kind is the kind whose required fields are all among its headers and which
recognises the most columns (a tie is ambiguous):

>>> detect_kind(["网格编码", "网格名称", "上级网格", "层级"])
'grids'
>>> detect_kind(["姓名", "联系电话", "岗位", "网格编码", "任职日期"])
'staff'
>>> detect_kind(["code", "name"]) is None
True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "KIND_NAMES",
    "SHEET_KINDS",
    "FieldDef",
    "SheetKind",
    "candidates",
    "detect_kind",
    "join_headers",
    "match_columns",
    "normalize_header",
    "score",
]

_DROP = re.compile(r"\([^)]*\)|[\s*#:_\-|/.、·※]")


def normalize_header(text: str) -> str:
    """The comparable form of a header name (see the module docstring)."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).lower())


@dataclass(frozen=True, slots=True)
class FieldDef:
    """A field of a sheet kind: its name, its main Chinese header and every alias."""

    name: str
    header: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class SheetKind:
    """A kind of sheet: its fields, the required ones, and groups of which one is needed."""

    name: str
    title: str
    fields: tuple[FieldDef, ...]
    required: tuple[str, ...]
    one_of: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        table: dict[str, str] = {}
        for f in self.fields:
            for alias in (f.header, f.name, *f.aliases):
                table.setdefault(normalize_header(alias), f.name)
        object.__setattr__(self, "_table", table)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The fields, in table order."""
        return tuple(f.name for f in self.fields)

    def header_of(self, name: str) -> str:
        """The main Chinese header of field ``name``."""
        return next(f.header for f in self.fields if f.name == name)

    def field_for(self, header: str) -> str | None:
        """The field a header names (after normalisation), or None."""
        table: dict[str, str] = object.__getattribute__(self, "_table")
        return table.get(normalize_header(header))

    def satisfied(self, found: set[str]) -> bool:
        """True when ``found`` fields include the required ones (and one of ``one_of``)."""
        return all(r in found for r in self.required) and (
            not self.one_of or any(f in found for f in self.one_of)
        )


def _f(name: str, header: str, *aliases: str) -> FieldDef:
    return FieldDef(name, header, aliases)


_VALID = (
    _f("valid_from", "生效日期", "启用日期", "设立日期", "开始日期", "start_date"),
    _f("valid_to", "失效日期", "停用日期", "撤销日期", "结束日期", "end_date"),
)

#: Every sheet kind by name (GeoJSON boundaries are read separately, see ``boundaries``).
SHEET_KINDS: dict[str, SheetKind] = {
    k.name: k
    for k in (
        SheetKind(
            "places",
            "区划",
            (
                _f(
                    "code",
                    "区划代码",
                    "行政区划代码",
                    "统计用区划代码",
                    "区划编码",
                    "代码",
                    "村代码",
                    "村编码",
                    "社区代码",
                    "division_code",
                    "place_code",
                ),
                _f(
                    "name",
                    "名称",
                    "区划名称",
                    "村名",
                    "村名称",
                    "村(社区)名称",
                    "社区名称",
                    "地名",
                    "屯名",
                    "place_name",
                ),
                _f("level", "级别", "区划级别", "行政级别"),
                _f("parent", "上级区划", "上级区划代码", "上级代码", "parent_code"),
                _f("kind", "类别", "类型", "区划类别", "村类别", "type"),
                _f("households", "户数", "总户数"),
                *_VALID,
            ),
            ("code", "name"),
        ),
        SheetKind(
            "grids",
            "网格",
            (
                _f("code", "网格编码", "网格代码", "网格编号", "网格id", "grid_code", "grid"),
                _f("name", "网格名称", "网格名", "名称", "grid_name"),
                _f("tier", "层级", "网格层级", "网格级别", "级别"),
                _f("parent", "上级网格", "上级网格编码", "上级网格代码", "parent_grid"),
                _f("county", "所属县", "所属县区", "所属县代码", "县区划代码", "县代码"),
                _f(
                    "covers",
                    "覆盖区划",
                    "覆盖区划代码",
                    "覆盖范围",
                    "覆盖村组",
                    "places",
                    "coverage",
                ),
                _f("households", "户数", "网格户数"),
                *_VALID,
            ),
            ("code", "name"),
        ),
        SheetKind(
            "staff",
            "人员",
            (
                _f(
                    "name",
                    "姓名",
                    "人员姓名",
                    "网格员姓名",
                    "网格员",
                    "名字",
                    "person_name",
                    "full_name",
                ),
                _f(
                    "phone",
                    "联系电话",
                    "电话",
                    "手机",
                    "手机号",
                    "手机号码",
                    "联系方式",
                    "电话号码",
                    "mobile",
                    "tel",
                ),
                _f("role", "岗位", "职务", "岗位名称", "角色"),
                _f("grid", "网格编码", "网格代码", "网格编号", "所在网格", "grid_code"),
                _f(
                    "place",
                    "区划代码",
                    "村代码",
                    "村(社区)代码",
                    "所在区划",
                    "所在村代码",
                    "place_code",
                ),
                _f("organization", "机构代码", "单位代码", "所在机构", "org", "org_code"),
                _f(
                    "valid_from",
                    "任职日期",
                    "任职时间",
                    "上岗日期",
                    "到岗日期",
                    "开始日期",
                    "起始日期",
                    "start",
                    "start_date",
                    "from",
                ),
                _f(
                    "valid_to",
                    "离任日期",
                    "离任时间",
                    "卸任日期",
                    "离岗日期",
                    "结束日期",
                    "终止日期",
                    "end",
                    "end_date",
                    "to",
                ),
                _f("person", "人员编号", "人员代码", "人员id", "person_id"),
                _f("post", "岗位编号", "岗位代码", "岗位id", "post_id"),
            ),
            ("name", "role"),
            ("grid", "place", "organization"),
        ),
        SheetKind(
            "organizations",
            "机构",
            (
                _f("code", "机构代码", "机构编码", "单位代码", "org_code"),
                _f("name", "机构名称", "单位名称", "名称", "org_name"),
                _f("kind", "机构类型", "单位类型", "类型", "type"),
                _f("place", "所在区划", "所在区划代码", "区划代码", "place_code"),
                _f("level", "级别", "机构级别"),
                _f("parent", "上级机构", "上级单位", "上级机构代码", "parent_org"),
                _f("function", "职能", "部门职能"),
                _f("phone", "联系电话", "电话"),
                *_VALID,
            ),
            ("code", "name", "kind", "place"),
        ),
    )
}

#: Sheet kind names accepted in a mapping file (``boundaries`` for GeoJSON, ``ignore`` to
#: skip a sheet).
KIND_NAMES: tuple[str, ...] = (*SHEET_KINDS, "boundaries", "ignore")


def join_headers(top: str, bottom: str) -> str:
    """The display name of a column under a two-row header (parent merged cell | child).

    >>> join_headers("网格员", "姓名"), join_headers("网格编码", "网格编码"), join_headers("", "户数")
    ('网格员|姓名', '网格编码', '户数')
    """
    if not top or top == bottom:
        return bottom
    if not bottom:
        return top
    return f"{top}|{bottom}"


def candidates(display: str) -> list[str]:
    """Names to try for a header, most specific first: ``网格员|姓名`` is tried as
    ``网格员姓名``, then ``姓名``."""
    if "|" not in display:
        return [display]
    top, bottom = display.split("|", 1)
    return [top + bottom, bottom]


def _match(kind: SheetKind, display: str, columns: Mapping[str, str]) -> str | None:
    """The field of ``kind`` a header names: the mapping's columns first, then the aliases.
    ``""`` means the mapping says to ignore the column."""
    for name in candidates(display):
        key = normalize_header(name)
        if key in columns:
            mapped = columns[key]
            return mapped if mapped in kind.field_names else ""
        found = kind.field_for(name)
        if found is not None:
            return found
    return None


def match_columns(
    kind: SheetKind, headers: Sequence[str], columns: Mapping[str, str] | None = None
) -> list[str | None]:
    """The field of each header (None: not recognised, ``""``: ignored by the mapping)."""
    table = columns or {}
    return [_match(kind, h, table) if h else None for h in headers]


def score(kind: SheetKind, headers: Sequence[str], columns: Mapping[str, str] | None = None) -> int:
    """How many distinct fields of ``kind`` the headers name (0 unless the kind's required
    fields are all there)."""
    found = {f for f in match_columns(kind, headers, columns) if f}
    return len(found) if kind.satisfied(found) else 0


def detect_kind(headers: Sequence[str], columns: Mapping[str, str] | None = None) -> str | None:
    """The kind the headers name best (None when none fits or two fit equally well)."""
    ranked = sorted(
        ((score(k, headers, columns), name) for name, k in SHEET_KINDS.items()), reverse=True
    )
    (best, name), (second, _) = ranked[0], ranked[1]
    if best == 0 or best == second:
        return None
    return name
