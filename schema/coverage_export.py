"""Exports of a coverage report for planners: the gaps as CSV, a workbook (XLSX) and JSON.

One entry point, ``export_coverage(report, store, fmt)``, gives the bytes of a file; the store
is read only to name things the report holds by code (roles, townships, the parents of
uncovered places). ``CONTENT_TYPES`` and ``export_filename`` (``coverage-<scope>-<at>.<fmt>``)
go with it. Served at ``/exports/coverage.{csv,xlsx,json}`` and by ``gridreg coverage``.

**The gaps** are the entries whose status does not meet the requirement (``vacant``,
``expired``, ``missing``), in the report's order (places before grids, then by code, template
and role). Their columns, in this fixed order (``GAP_COLUMNS``):

==================  ==========================================================================
区划代码/网格编码    the place's division code (or hamlet id) or the grid's code
名称                 the place's or grid's name
类型                 地点 (a place) or 网格 (a grid)
乡镇代码, 乡镇       the township it lies in: code and name (empty above township level)
县代码, 县           the county: code and name
标准                 the role template (staffing standard) code
岗位, 岗位名称       the role's code and its name from the store's roles (警务助理, 网格员, ...)
要求人数             how many holders the standard requires (its minimum)
现有席位             seats (posts) of the role that exist there
在岗人数             persons holding one of them on the report's day
状态                 the status in Chinese (``STATUS_LABELS``): 空缺, 已到期 or 缺岗
上一任期结束         when the last term ended (已到期 only)
任期结束             when the first current term ends (即将到期 only, so empty for gaps)
==================  ==========================================================================

**CSV**: UTF-8 *with* a byte order mark (``utf-8-sig``) so that Excel, which otherwise guesses a
legacy code page, shows the Chinese correctly; comma separated, ``\\r\\n`` line ends, one header
row, dates as ``YYYY-MM-DD``, empty cells for no value. Only the gaps. A text cell beginning with
``= + - @`` (or a tab or carriage return) is prefixed with ``'`` so a spreadsheet never runs it
as a formula; codes and the names of real places never begin so.

**XLSX** sheets:

* ``缺口``: the gaps, the columns above; the header row bold and frozen, an auto-filter, column
  widths fitted to the (wide) Chinese text, dates as real Excel dates (``yyyy-mm-dd``).
* ``汇总``: one row per township and county rolled up (``ROLLUP_COLUMNS``: 代码, 名称, 级别, a
  count per status, 合计, 达标, 达标率 as a percentage), and a last row 合计 for the whole
  scope.
* ``未覆盖``: places at the level of their county's lowest grid tier that no such grid covers
  (``UNCOVERED_COLUMNS``: 代码, 名称, 级别, 类别, 上级代码, 上级名称, 乡镇, 县).
* ``网格问题``: only when a territory report is given: double cover, overlapping boundaries,
  broken chains and grids without a worker (问题, 代码, 名称, 说明).

The workbook is deterministic: its created and modified times (and the zip entries' times) are
midnight of the report's day, so two exports of one report are byte-identical.

**JSON** (orjson, UTF-8, Chinese not escaped, two-space indent): ``scope``, ``at``,
``expiring_days``, ``templates``, ``totals`` (a count per status, ``total``, ``met``,
``fill_rate``), ``rollups``, ``places_per_level``, ``grids_per_tier``, ``gaps`` (every field,
``status`` the English code of ``registry.queries.coverage.STATUSES`` and ``status_label`` the
Chinese), ``uncovered_places``, ``status_labels``; and ``territory`` when one is given.

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> from registry.queries.coverage import coverage_report
>>> store = sample_store()
>>> report = coverage_report(store, "451225000000", at=SAMPLE_TODAY)
>>> text = export_coverage(report, store, "csv").decode("utf-8-sig")
>>> print(text.replace("\\r\\n", "\\n"), end="")  # doctest: +NORMALIZE_WHITESPACE
区划代码/网格编码,名称,类型,乡镇代码,乡镇,县代码,县,标准,岗位,岗位名称,要求人数,现有席位,在岗人数,状态,上一任期结束,任期结束
451225100201,东门村,地点,451225100000,东门镇,451225000000,罗城仫佬族自治县,sample-village,governance_officer,综治专员,1,0,0,缺岗,,
451225100201,东门村,地点,451225100000,东门镇,451225000000,罗城仫佬族自治县,sample-village,law_literate,法律明白人,1,1,0,空缺,,
>>> export_filename(report, "xlsx")
'coverage-451225000000-2026-11-01.xlsx'
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final, Literal, get_args
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import orjson
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from registry.codes import Level
from registry.errors import InvalidInput
from registry.model import Place, Role
from registry.queries.coverage import MET, STATUSES, CoverageEntry, CoverageReport
from registry.queries.hierarchy import ancestors
from registry.queries.territory import Territory
from registry.store.base import GraphStore

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "GAP_COLUMNS",
    "KIND_LABELS",
    "LEVEL_LABELS",
    "ROLLUP_COLUMNS",
    "SHEETS",
    "STATUS_LABELS",
    "UNCOVERED_COLUMNS",
    "ExportFormat",
    "GapRow",
    "export_coverage",
    "export_filename",
    "gap_rows",
    "parse_format",
]

ExportFormat = Literal["csv", "xlsx", "json"]
#: The formats, in the order offered.
FORMATS: Final[tuple[ExportFormat, ...]] = get_args(ExportFormat)

#: HTTP content type of each format.
CONTENT_TYPES: Final[dict[str, str]] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}

#: Chinese label of each status (``registry.queries.coverage.STATUSES``).
STATUS_LABELS: Final[dict[str, str]] = {
    "filled": "在岗",
    "expiring": "即将到期",
    "over_staffed": "超配",
    "vacant": "空缺",
    "expired": "已到期",
    "missing": "缺岗",
}
#: Chinese label of an entry's subject kind.
KIND_LABELS: Final[dict[str, str]] = {"place": "地点", "grid": "网格"}
#: Chinese label of each administrative level.
LEVEL_LABELS: Final[dict[Level, str]] = {
    Level.PROVINCE: "省级",
    Level.PREFECTURE: "地级",
    Level.COUNTY: "县级",
    Level.TOWNSHIP: "乡级",
    Level.VILLAGE: "村级",
    Level.HAMLET: "村民小组",
}
#: Sheet names of the workbook, in order (the last only with a territory report).
SHEETS: Final[tuple[str, ...]] = ("缺口", "汇总", "未覆盖", "网格问题")

_PROBLEMS: Final[dict[str, str]] = {
    "double_covered": "重复覆盖",
    "overlapping": "边界重叠",
    "broken_chain": "层级断链",
    "without_worker": "无网格员",
}
_REASONS: Final[dict[str, str]] = {
    "missing_parent": "上级网格不存在",
    "parent_not_in_force": "上级网格已失效",
    "skips_tier": "跨层级挂靠",
    "no_parent": "无上级网格",
}


@dataclass(frozen=True, slots=True)
class GapRow:
    """One gap with the names the report holds only by code."""

    entry: CoverageEntry
    township_name: str | None
    county_name: str | None
    role_name: str | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.entry.status]


Cell = str | int | float | date | None

#: Columns of the gaps (CSV and the sheet 缺口): header and value, in order.
GAP_COLUMNS: Final[tuple[tuple[str, Callable[[GapRow], Cell]], ...]] = (
    ("区划代码/网格编码", lambda r: r.entry.subject),
    ("名称", lambda r: r.entry.subject_name),
    ("类型", lambda r: KIND_LABELS.get(r.entry.subject_kind, r.entry.subject_kind)),
    ("乡镇代码", lambda r: r.entry.township),
    ("乡镇", lambda r: r.township_name),
    ("县代码", lambda r: r.entry.county),
    ("县", lambda r: r.county_name),
    ("标准", lambda r: r.entry.template),
    ("岗位", lambda r: r.entry.role),
    ("岗位名称", lambda r: r.role_name),
    ("要求人数", lambda r: r.entry.required),
    ("现有席位", lambda r: r.entry.seats),
    ("在岗人数", lambda r: r.entry.holders),
    ("状态", lambda r: r.status_label),
    ("上一任期结束", lambda r: r.entry.last_term_ended),
    ("任期结束", lambda r: r.entry.term_ends),
)
#: Columns of the sheet 汇总.
ROLLUP_COLUMNS: Final[tuple[str, ...]] = (
    "代码",
    "名称",
    "级别",
    *(STATUS_LABELS[s] for s in STATUSES),
    "合计",
    "达标",
    "达标率",
)
#: Columns of the sheet 未覆盖.
UNCOVERED_COLUMNS: Final[tuple[str, ...]] = (
    "代码",
    "名称",
    "级别",
    "类别",
    "上级代码",
    "上级名称",
    "乡镇",
    "县",
)
_TERRITORY_COLUMNS: Final[tuple[str, ...]] = ("问题", "代码", "名称", "说明")


def parse_format(fmt: str) -> ExportFormat:
    """``fmt`` as an export format (case-insensitive); ``InvalidInput`` otherwise.

    >>> parse_format("XLSX")
    'xlsx'
    """
    for known in FORMATS:
        if fmt.lower() == known:
            return known
    raise InvalidInput(
        f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}", field="format"
    )


def export_filename(report: CoverageReport, fmt: str) -> str:
    """``coverage-<scope code>-<day>.<fmt>`` (characters unsafe in a file name replaced)."""
    scope = re.sub(r"[^\w.-]", "_", report.scope.code)
    return f"coverage-{scope}-{report.at.isoformat()}.{parse_format(fmt)}"


def export_coverage(
    report: CoverageReport,
    store: GraphStore,
    fmt: str,
    territory: Territory | None = None,
) -> bytes:
    """The file of ``report`` in format ``fmt`` (csv, xlsx or json; see the module docstring).

    ``store`` names roles, townships and places; ``territory``, when given, adds the sheet
    网格问题 and the JSON's ``territory`` (the CSV holds the gaps only).
    """
    kind = parse_format(fmt)
    rows = gap_rows(report, store)
    if kind == "csv":
        return _csv(rows)
    if kind == "xlsx":
        return _xlsx(report, store, rows, territory)
    return _json(report, store, rows, territory)


def gap_rows(report: CoverageReport, store: GraphStore) -> list[GapRow]:
    """The gaps of ``report`` (entries not met), in its order, with names looked up."""
    gaps = [e for e in report.entries if e.status not in MET]
    roles = sorted({e.role for e in gaps})
    role_names = {
        code: role.name
        for code, role in zip(roles, store.get_many(Role, roles), strict=True)
        if role is not None
    }
    names = _place_names(report, store, (c for e in gaps for c in (e.township, e.county) if c))
    return [
        GapRow(
            entry=e,
            township_name=names.get(e.township) if e.township else None,
            county_name=names.get(e.county) if e.county else None,
            role_name=role_names.get(e.role),
        )
        for e in gaps
    ]


def _place_names(report: CoverageReport, store: GraphStore, codes: Iterable[str]) -> dict[str, str]:
    """Names of places by code: the rollups name every township and county of the entries."""
    names = {x.code: x.name for x in report.rollups}
    names[report.scope.code] = report.scope.name
    unknown = sorted(set(codes) - names.keys())
    for code, place in zip(unknown, store.get_many(Place, unknown), strict=True):
        if place is not None:
            names[code] = place.name
    return names


# --- CSV --------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def _csv(rows: Sequence[GapRow]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header for header, _ in GAP_COLUMNS])
    for row in rows:
        writer.writerow([_text(value(row)) for _, value in GAP_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


# --- XLSX -------------------------------------------------------------------------------------

_BOLD = Font(bold=True)
_DATE_FORMAT = "yyyy-mm-dd"
_PERCENT_FORMAT = "0.0%"
_MAX_WIDTH = 60


def _display_width(value: Cell) -> int:
    """Width of a cell's text in character cells: Chinese characters count two."""
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 7
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet(
    wb: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Worksheet:
    """A sheet: bold frozen header row, an auto-filter, fitted widths, real dates."""
    ws: Worksheet = wb.create_sheet(title)
    ws.append(list(headers))
    widths = [_display_width(h) for h in headers]
    for values in rows:
        ws.append([None if v is None else v for v in values])
        for i, v in enumerate(values):
            widths[i] = max(widths[i], _display_width(v))
    for cell in ws[1]:
        cell.font = _BOLD
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, date):
                cell.number_format = _DATE_FORMAT
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a name, never a formula
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, _MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(ws.max_row, 1)}"
    return ws


def _rollup_cells(code: str, name: str, level: str, counts: dict[str, int]) -> list[Cell]:
    total = sum(counts.get(s, 0) for s in STATUSES)
    met = sum(counts.get(s, 0) for s in MET)
    return [
        code,
        name,
        level,
        *(counts.get(s, 0) for s in STATUSES),
        total,
        met,
        met / total if total else 1.0,
    ]


def _uncovered_cells(store: GraphStore, places: Sequence[Place]) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    for p in places:
        chain = ancestors(store, Place, p.code)
        parent = chain[0] if chain else None
        town = next((a for a in chain if a.level is Level.TOWNSHIP), None)
        county = next((a for a in chain if a.level is Level.COUNTY), None)
        out.append(
            [
                p.code,
                p.name,
                LEVEL_LABELS.get(p.level, str(p.level)),
                p.kind or None,
                p.parent,
                parent.name if parent else None,
                town.name if town else None,
                county.name if county else None,
            ]
        )
    return out


def _territory_cells(territory: Territory) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    for d in territory.double_covered:
        grids = "、".join(g.code for g in d.grids)
        out.append([_PROBLEMS["double_covered"], d.place.code, d.place.name, f"网格：{grids}"])
    for o in territory.overlapping:
        out.append(
            [
                _PROBLEMS["overlapping"],
                o.first.code,
                o.first.name,
                f"与 {o.second.code}（{o.second.name}）重叠约 {o.square_metres:.0f} 平方米",
            ]
        )
    for b in territory.broken_chains:
        reason = _REASONS.get(b.reason, b.reason)
        out.append([_PROBLEMS["broken_chain"], b.grid.code, b.grid.name, reason])
    for g in territory.without_worker:
        out.append([_PROBLEMS["without_worker"], g.code, g.name, "无人在岗的网格员席位"])
    return out


class _FixedTimeZip(ZipFile):
    """A zip whose entries all carry one fixed time (openpyxl would stamp the wall clock)."""

    def __init__(self, file: io.BytesIO, stamp: datetime) -> None:
        super().__init__(file, "w", ZIP_DEFLATED)
        self._stamp = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | ZipInfo,
        data: bytes | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = ZipInfo(zinfo_or_arcname, date_time=self._stamp)
            info.compress_type = ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(  # type: ignore[override]
        self,
        filename: str,
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        """A file (openpyxl's worksheet temp file) stamped like the rest, not by its mtime."""
        with open(filename, "rb") as f:
            data = f.read()
        self.writestr(arcname or os.path.basename(filename), data, compress_type, compresslevel)


def _xlsx(
    report: CoverageReport,
    store: GraphStore,
    rows: Sequence[GapRow],
    territory: Territory | None,
) -> bytes:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    _sheet(
        wb, SHEETS[0], [h for h, _ in GAP_COLUMNS], ([v(r) for _, v in GAP_COLUMNS] for r in rows)
    )

    rollups = [
        _rollup_cells(x.code, x.name, LEVEL_LABELS.get(x.level, str(x.level)), dict(x.counts))
        for x in report.rollups
    ]
    rollups.append(_rollup_cells(report.scope.code, report.scope.name, "合计", dict(report.totals)))
    summary = _sheet(wb, SHEETS[1], ROLLUP_COLUMNS, rollups)
    rate = get_column_letter(len(ROLLUP_COLUMNS))
    for (cell,) in summary.iter_rows(
        min_row=2, min_col=len(ROLLUP_COLUMNS), max_col=len(ROLLUP_COLUMNS)
    ):
        cell.number_format = _PERCENT_FORMAT
    summary.column_dimensions[rate].width = max(summary.column_dimensions[rate].width or 0, 9)
    for cell in summary[summary.max_row]:
        cell.font = _BOLD

    _sheet(wb, SHEETS[2], UNCOVERED_COLUMNS, _uncovered_cells(store, report.uncovered_places))
    if territory is not None:
        _sheet(wb, SHEETS[3], _TERRITORY_COLUMNS, _territory_cells(territory))

    stamp = datetime.combine(report.at, time())
    props = wb.properties
    props.creator = props.lastModifiedBy = "gridreg"
    props.title = f"{report.scope.name}网格岗位覆盖缺口（{report.at.isoformat()}）"
    props.subject = f"coverage {report.scope.code} {report.at.isoformat()}"
    props.created = props.modified = stamp
    buf = io.BytesIO()
    ExcelWriter(wb, _FixedTimeZip(buf, stamp)).save()
    return buf.getvalue()


# --- JSON -------------------------------------------------------------------------------------


def _counts(counts: dict[str, int]) -> dict[str, Any]:
    total = sum(counts.get(s, 0) for s in STATUSES)
    met = sum(counts.get(s, 0) for s in MET)
    return {
        **{s: counts.get(s, 0) for s in STATUSES},
        "total": total,
        "met": met,
        "fill_rate": met / total if total else 1.0,
    }


def _gap_json(r: GapRow) -> dict[str, Any]:
    e = r.entry
    return {
        "subject": e.subject,
        "subject_kind": e.subject_kind,
        "subject_name": e.subject_name,
        "township": e.township,
        "township_name": r.township_name,
        "county": e.county,
        "county_name": r.county_name,
        "template": e.template,
        "role": e.role,
        "role_name": r.role_name,
        "required": e.required,
        "maximum": e.maximum,
        "seats": e.seats,
        "holders": e.holders,
        "status": e.status,
        "status_label": r.status_label,
        "last_term_ended": e.last_term_ended,
        "term_ends": e.term_ends,
    }


def _place_json(p: Place) -> dict[str, Any]:
    return {"code": p.code, "name": p.name, "level": p.level.value, "parent": p.parent}


def _territory_json(t: Territory) -> dict[str, Any]:
    return {
        "uncovered": [p.code for p in t.uncovered],
        "double_covered": [
            {"place": d.place.code, "grids": [g.code for g in d.grids]} for d in t.double_covered
        ],
        "overlapping": [
            {"first": o.first.code, "second": o.second.code, "square_metres": o.square_metres}
            for o in t.overlapping
        ],
        "broken_chains": [{"grid": b.grid.code, "reason": b.reason} for b in t.broken_chains],
        "without_worker": [g.code for g in t.without_worker],
    }


def _json(
    report: CoverageReport,
    store: GraphStore,
    rows: Sequence[GapRow],
    territory: Territory | None,
) -> bytes:
    body: dict[str, Any] = {
        "scope": _place_json(report.scope),
        "at": report.at,
        "expiring_days": report.expiring_days,
        "templates": [t.code for t in report.templates],
        "totals": _counts(dict(report.totals)),
        "rollups": [
            {"code": x.code, "name": x.name, "level": x.level.value, **_counts(dict(x.counts))}
            for x in report.rollups
        ],
        "places_per_level": {lvl.value: n for lvl, n in report.places_per_level.items()},
        "grids_per_tier": {str(tier): n for tier, n in report.grids_per_tier.items()},
        "gaps": [_gap_json(r) for r in rows],
        "uncovered_places": [_place_json(p) for p in report.uncovered_places],
        "status_labels": STATUS_LABELS,
    }
    if territory is not None:
        body["territory"] = _territory_json(territory)
    return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"
