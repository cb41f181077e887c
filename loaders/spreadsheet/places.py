"""Places sheets (区划): administrative units by their division code.

Columns: 区划代码 (code, required), 名称/村名 (name, required), 级别 (level: derived from the code
when absent; when given it must agree with the code, else ``LEVEL_MISMATCH``), 上级区划
(parent: derived from the code when absent or blank), 类别 (kind: one of ``PLACE_KINDS`` or the
mapping file's ``place_kinds``, else ``UNKNOWN_CATEGORY``), 户数 (households), 生效日期 and
失效日期. A place already stored keeps the fields the sheet has no column for.

>>> from loaders.spreadsheet.cells import CellError
>>> parse_kind(frozenset())("行政村")
'行政村'
>>> try:
...     parse_kind(frozenset())("农场")
... except CellError as exc:
...     exc.code
'UNKNOWN_CATEGORY'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from loaders.spreadsheet.batch import row_text
from loaders.spreadsheet.cells import (
    CellError,
    clean_text,
    parse_code,
    parse_count,
    parse_date,
    parse_level,
    parse_text,
)
from loaders.spreadsheet.context import Context
from loaders.spreadsheet.rows import ParsedRow, Parser, parse_table
from loaders.spreadsheet.tables import Table
from registry.codes import LEVEL_ORDER, Level, level_of_code, parent_code
from registry.model import Place

__all__ = [
    "PLACE_KINDS",
    "build_places",
    "check_places",
    "parse_kind",
    "read_places",
    "wanted_places",
]

#: Place kinds (类别) accepted without a mapping file.
PLACE_KINDS: frozenset[str] = frozenset(
    [
        "省",
        "自治区",
        "直辖市",
        "特别行政区",
        "市",
        "地级市",
        "地区",
        "自治州",
        "州",
        "盟",
        "县",
        "自治县",
        "县级市",
        "区",
        "市辖区",
        "旗",
        "自治旗",
        "林区",
        "特区",
        "镇",
        "乡",
        "民族乡",
        "街道",
        "苏木",
        "民族苏木",
        "行政村",
        "村",
        "社区",
        "居委会",
        "嘎查",
        "屯",
        "自然村",
        "村民小组",
        "组",
        "居民小组",
        "小区",
    ]
)
_LEVEL_ZH = {
    "province": "省级",
    "prefecture": "地级",
    "county": "县级",
    "township": "乡级",
    "village": "村级",
    "hamlet": "屯（组）级",
}


def parse_kind(extra: frozenset[str]) -> Parser:
    """A parser of place kinds accepting ``PLACE_KINDS`` and ``extra``."""

    def parse(value: Any) -> str:
        text = clean_text(value)
        if text in PLACE_KINDS or text in extra:
            return text
        raise CellError(
            "UNKNOWN_CATEGORY",
            f"区划类别“{text}”无法识别（可在映射文件 place_kinds 中补充）",
            f"place kind {text!r} is not known (add it to place_kinds in the mapping file)",
        )

    return parse


def read_places(table: Table, extra_kinds: frozenset[str]) -> list[ParsedRow]:
    """Parse every row of a places sheet."""
    parsers: dict[str, Callable[[Any], Any]] = {
        "code": parse_code,
        "name": parse_text,
        "level": parse_level,
        "parent": parse_code,
        "kind": parse_kind(extra_kinds),
        "households": parse_count,
        "valid_from": parse_date,
        "valid_to": parse_date,
    }
    return parse_table(table, parsers, ("code", "name"))


def _parent(row: ParsedRow) -> str | None:
    given = row.get("parent")
    return str(given) if given is not None else parent_code(str(row.get("code")))


def wanted_places(rows: list[ParsedRow]) -> set[str]:
    """Place codes the rows refer to (their own and their parents')."""
    found: set[str] = set()
    for row in rows:
        if row.get("code") is not None:
            found.add(row.get("code"))
            parent = _parent(row)
            if parent is not None:
                found.add(parent)
    return found


def build_places(rows: list[ParsedRow], ctx: Context) -> None:
    """Build a Place per good row; report level and duplicate problems."""
    batch = ctx.batch
    for row in rows:
        code = row.get("code")
        if not row.ok:
            batch.issues.extend(row.issues)
            batch.fail(Place, code)
            continue
        origin = row.origin
        level = level_of_code(code)
        declared = row.get("level")
        if declared is not None and declared is not level:
            ctx.report(
                origin.at("level"),
                "LEVEL_MISMATCH",
                f"级别“{_LEVEL_ZH[declared]}”与代码 {code}（{_LEVEL_ZH[level]}）不符",
                f"level {declared} contradicts code {code}, which denotes a {level}",
            )
            batch.fail(Place, code)
            continue
        parent = _parent(row)
        values: dict[str, Any] = {
            "code": code,
            "name": row.get("name"),
            "level": level,
            "parent": parent,
        }
        for name in ("households", "valid_from", "valid_to"):
            if name in row.present:
                values[name] = row.get(name)
        if "kind" in row.present:
            values["kind"] = row.get("kind") or ""
        stored = ctx.stored(Place, code)
        record = replace(stored, **values) if stored is not None else Place(**values)
        held = batch.add(record, origin)
        if held is not None:
            first_zh, first_en = row_text(held.origin)
            old = held.record
            assert isinstance(old, Place)
            if old.parent != parent:
                ctx.report(
                    origin.at("parent", "code"),
                    "TWO_PARENTS",
                    f"区划 {code} 的上级为 {parent}，但{first_zh}给出的上级为 {old.parent}",
                    f"place {code} has parent {parent} here but {old.parent} at {first_en}",
                )
            else:
                ctx.report(
                    origin.at("code"),
                    "DUPLICATE_ID",
                    f"区划代码 {code} 重复，首次出现在{first_zh}",
                    f"place {code} appears twice; first at {first_en}",
                )


def check_places(ctx: Context) -> set[str]:
    """Parents, levels and codes of the built places; returns the codes with an issue."""
    bad: set[str] = set()
    for place, origin in list(ctx.batch.of_kind(Place)):
        at = origin.at("parent", "code")
        if place.level is Level.PROVINCE or place.parent is None:
            if place.parent is not None:
                ctx.report(
                    at,
                    "LEVEL_MISMATCH",
                    f"省级区划 {place.code} 没有上级，但给出了 {place.parent}",
                    f"place {place.code} is a province and has no parent (got {place.parent})",
                )
                bad.add(place.code)
            continue
        parent = ctx.find(Place, place.parent)
        if parent is None:
            if ctx.dangling(Place, place.parent):
                ctx.report(
                    at,
                    "UNKNOWN_PARENT",
                    f"区划 {place.code} 的上级 {place.parent} 不存在（文件和库中都没有）",
                    f"place {place.code}: parent {place.parent} is neither in the files nor "
                    "in the store",
                )
            bad.add(place.code)
            continue
        expected = LEVEL_ORDER[LEVEL_ORDER.index(place.level) - 1]
        if parent.level is not expected:
            skipped = LEVEL_ORDER.index(parent.level) < LEVEL_ORDER.index(expected)
            ctx.report(
                at,
                "SKIPPED_TIER" if skipped else "LEVEL_MISMATCH",
                f"区划 {place.code}（{_LEVEL_ZH[place.level]}）的上级 {parent.code} 是"
                f"{_LEVEL_ZH[parent.level]}，应为{_LEVEL_ZH[expected]}",
                f"place {place.code} ({place.level}): parent {parent.code} is a "
                f"{parent.level}, expected a {expected}",
            )
            bad.add(place.code)
        elif parent_code(place.code) != parent.code:
            ctx.report(
                at,
                "CODE_MISMATCH",
                f"区划代码 {place.code} 与上级代码 {parent.code} 不一致"
                f"（按代码应属 {parent_code(place.code)}）",
                f"place code {place.code} does not agree with its parent {parent.code} "
                f"(the code says {parent_code(place.code)})",
            )
            bad.add(place.code)
    return bad
