"""Organizations sheets (机构): centres, departments, police stations, courts, ...

Columns: 机构代码 (code), 机构名称 (name), 机构类型 (kind: an organization kind code or its
Chinese name, e.g. 综治中心, 派出所, 司法所, 人民法庭; else ``UNKNOWN_CATEGORY``), 所在区划
(place) — all four required — 级别 (level: derived from the place's code when absent), 上级机构
(parent), 职能 (function), 联系电话 (phone: a mobile, a landline or a 3-6 digit service number
such as 12345), 生效日期, 失效日期.

>>> parse_org_kind("人民法庭"), parse_org_phone("12345")
(<OrgKind.COURT: 'court'>, '12345')
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from loaders.spreadsheet.batch import row_text
from loaders.spreadsheet.cells import (
    CellError,
    clean_text,
    parse_code,
    parse_date,
    parse_key,
    parse_level,
    parse_phone,
    parse_text,
)
from loaders.spreadsheet.context import Context
from loaders.spreadsheet.headers import normalize_header
from loaders.spreadsheet.rows import ParsedRow, Parser, parse_table
from loaders.spreadsheet.tables import Table
from registry.codes import level_of_code
from registry.model import Organization, OrgKind, Place

__all__ = [
    "ORG_KIND_NAMES",
    "build_organizations",
    "check_organizations",
    "parse_org_kind",
    "parse_org_phone",
    "read_organizations",
]

#: Chinese names of organization kinds (besides the kind codes themselves).
ORG_KIND_NAMES: dict[str, OrgKind] = {
    **dict.fromkeys(("综治中心", "社会治理中心", "综治中心(站)"), OrgKind.CENTRE),
    **dict.fromkeys(("部门", "职能部门", "政府部门"), OrgKind.DEPARTMENT),
    **dict.fromkeys(("派出所", "公安派出所"), OrgKind.POLICE_STATION),
    **dict.fromkeys(("司法所",), OrgKind.JUSTICE_OFFICE),
    **dict.fromkeys(("法院", "人民法院", "人民法庭", "法庭"), OrgKind.COURT),
    **dict.fromkeys(("检察院", "人民检察院"), OrgKind.PROCURATORATE),
    **dict.fromkeys(("调解委员会", "人民调解委员会", "调委会"), OrgKind.MEDIATION_COMMITTEE),
    **dict.fromkeys(("12345热线", "热线", "热线中心", "12345"), OrgKind.HOTLINE),
    **dict.fromkeys(
        ("群团组织", "群团", "工会", "妇联", "团委", "共青团"), OrgKind.MASS_ORGANIZATION
    ),
}
_KINDS = {normalize_header(k): v for k, v in ORG_KIND_NAMES.items()} | {
    normalize_header(k.value): k for k in OrgKind
}
_SERVICE = re.compile(r"^\d{3,6}$")


def parse_org_kind(value: Any) -> OrgKind:
    """An organization kind from its code or Chinese name."""
    text = clean_text(value)
    found = _KINDS.get(normalize_header(text))
    if found is None:
        raise CellError(
            "UNKNOWN_CATEGORY",
            f"机构类型“{text}”无法识别（如 综治中心、部门、派出所、司法所、人民法庭）",
            f"organization kind {text!r} is not one of {', '.join(k.value for k in OrgKind)}",
        )
    return found


def parse_org_phone(value: Any) -> str:
    """A phone number, or a 3-6 digit service number (12345, 110)."""
    text = clean_text(value)
    return text if _SERVICE.match(text) else parse_phone(value)


_PARSERS: dict[str, Parser] = {
    "code": parse_key,
    "name": parse_text,
    "kind": parse_org_kind,
    "place": parse_code,
    "level": parse_level,
    "parent": parse_key,
    "function": parse_text,
    "phone": parse_org_phone,
    "valid_from": parse_date,
    "valid_to": parse_date,
}


def read_organizations(table: Table) -> list[ParsedRow]:
    """Parse every row of an organizations sheet."""
    return parse_table(table, _PARSERS, ("code", "name", "kind", "place"))


def build_organizations(rows: list[ParsedRow], ctx: Context) -> None:
    """Build an Organization per good row; report duplicates."""
    batch = ctx.batch
    for row in rows:
        code = row.get("code")
        if not row.ok:
            batch.issues.extend(row.issues)
            batch.fail(Organization, code)
            continue
        stored = ctx.stored(Organization, code)
        place = row.get("place")
        values: dict[str, Any] = {
            "code": code,
            "name": row.get("name"),
            "kind": row.get("kind"),
            "place": place,
            "level": row.get("level") or level_of_code(place),
        }
        for name in ("parent", "phone", "valid_from", "valid_to"):
            if name in row.present:
                values[name] = row.get(name)
        if "function" in row.present:
            values["function"] = row.get("function") or ""
        record = replace(stored, **values) if stored is not None else Organization(**values)
        held = batch.add(record, row.origin)
        if held is not None:
            first_zh, first_en = row_text(held.origin)
            ctx.report(
                row.origin.at("code"),
                "DUPLICATE_ID",
                f"机构代码 {code} 重复，首次出现在{first_zh}",
                f"organization {code} appears twice; first at {first_en}",
            )


def check_organizations(ctx: Context) -> set[str]:
    """Places and parents of the built organizations; returns the codes with an issue."""
    bad: set[str] = set()
    for org, origin in list(ctx.batch.of_kind(Organization)):
        if ctx.find(Place, org.place) is None:
            if ctx.dangling(Place, org.place):
                ctx.report(
                    origin.at("place"),
                    "UNKNOWN_REFERENCE",
                    f"机构 {org.code} 所在区划 {org.place} 不存在",
                    f"organization {org.code}: place {org.place} does not exist",
                )
            bad.add(org.code)
        if org.parent is not None and ctx.find(Organization, org.parent) is None:
            if ctx.dangling(Organization, org.parent):
                ctx.report(
                    origin.at("parent"),
                    "UNKNOWN_PARENT",
                    f"机构 {org.code} 的上级机构 {org.parent} 不存在",
                    f"organization {org.code}: parent {org.parent} does not exist",
                )
            bad.add(org.code)
    return bad
