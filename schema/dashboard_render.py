"""Pure rendering of the planners' dashboard: plain data in, HTML with inline SVG out.

Nothing here reads a store: ``schema.dashboard`` gathers the figures into the dataclasses below
and these functions turn them into text (every value goes through ``html.escape``). The page
links only to the app itself: its stylesheet and script under ``/dashboard/static/``, the
drill-down pages and the dashboard with other parameters; no map tiles, fonts or libraries.

The map is an equirectangular projection of longitude/latitude (x scaled by the cosine of the
middle latitude, y flipped so north is up), coordinates rounded to 0.1 SVG unit:

>>> square = Shape("G1", "一号网格", (((108.0, 24.0), (108.1, 24.0), (108.1, 24.1), (108.0, 24.1),
...                                   (108.0, 24.0)),), status="vacant")
>>> svg = map_svg((square,), (), None, width=100)
>>> 'data-grid="G1" data-status="vacant"' in svg, 'd="M10 110L101.3 110L101.3 10L10 10Z"' in svg
(True, True)
>>> fill_rate_text(0.99405)
'99.4%'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from itertools import pairwise
from urllib.parse import quote, urlencode

__all__ = [
    "COLOURS",
    "LEVEL_NAMES",
    "STATUS_CLASSES",
    "STATUS_NAMES",
    "Dashboard",
    "Gap",
    "GridRow",
    "PlacePage",
    "Ring",
    "ScopeOption",
    "SeatRow",
    "Shape",
    "TownshipRate",
    "chart_axis",
    "chart_svg",
    "fill_rate_text",
    "map_svg",
    "render_dashboard",
    "render_error",
    "render_place",
]

#: Chinese names of the coverage statuses (``registry.queries.coverage.STATUSES``) and of a grid
#: no requirement applies to.
STATUS_NAMES: dict[str, str] = {
    "filled": "在岗",
    "expiring": "即将到期",
    "over_staffed": "超配",
    "vacant": "空缺",
    "expired": "已到期",
    "missing": "缺岗",
    "none": "无配岗要求",
}
#: Colour class of each status on the map: red missing, orange vacant or expired, yellow
#: expiring, green filled (or over-staffed), grey without any requirement.
STATUS_CLASSES: dict[str, str] = {
    "filled": "green",
    "over_staffed": "green",
    "expiring": "yellow",
    "vacant": "orange",
    "expired": "orange",
    "missing": "red",
    "none": "grey",
}
COLOURS: dict[str, str] = {
    "red": "#d32f2f",
    "orange": "#f57c00",
    "yellow": "#fbc02d",
    "green": "#388e3c",
    "grey": "#bdbdbd",
}
LEGEND: tuple[tuple[str, str], ...] = (
    ("red", "缺岗（无网格员岗位）"),
    ("orange", "空缺 / 已到期"),
    ("yellow", "即将到期"),
    ("green", "在岗"),
    ("grey", "无配岗要求"),
)
LEVEL_NAMES: dict[str, str] = {
    "province": "省",
    "prefecture": "市",
    "county": "县",
    "township": "乡镇",
    "village": "村（社区）",
    "hamlet": "自然村（组）",
}
#: The map's longer side, in SVG units (one unit is a CSS pixel at full size).
MAP_SIZE = 760.0
CSS_URL = "/dashboard/static/dashboard.css"
JS_URL = "/dashboard/static/dashboard.js"

Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Shape:
    """A grid or place outline: polygon rings (longitude, latitude; holes included)."""

    code: str
    name: str
    rings: tuple[Ring, ...]
    status: str = ""  # grids: the worst coverage status of the grid, or "none"
    link: str | None = None  # the place to drill down to


@dataclass(frozen=True, slots=True)
class TownshipRate:
    """One bar of the chart: a township's rolled-up counts."""

    code: str
    name: str
    total: int
    met: int
    fill_rate: float
    gaps: int


@dataclass(frozen=True, slots=True)
class Gap:
    """One row of the gaps table: an entry whose requirement is not met."""

    township: str
    subject: str
    subject_name: str
    subject_kind: str  # place or grid
    role: str
    role_name: str
    status: str
    required: int
    seats: int
    holders: int
    last_term_ended: date | None
    link: str | None  # place code of the drill-down


@dataclass(frozen=True, slots=True)
class ScopeOption:
    """A scope the form offers."""

    code: str
    name: str
    level: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard page shows."""

    scope: str
    scope_name: str
    scope_level: str
    at: date
    template: str | None
    expiring_days: int
    counts: Mapping[str, int]  # entries per status
    total: int
    met: int
    fill_rate: float
    townships: tuple[TownshipRate, ...]
    grids: tuple[Shape, ...]  # lowest-tier grids with a boundary in force
    outlines: tuple[Shape, ...]  # the scope's sub-areas (townships of a county)
    frame: Shape | None  # the scope's own boundary
    gaps: tuple[Gap, ...]
    scopes: tuple[ScopeOption, ...] = ()
    lowest_tier: int | None = None
    lowest_grids: int = 0  # lowest-tier grids, with a boundary or not
    elapsed_ms: float | None = None
    uncovered: tuple[Shape, ...] = ()  # places no lowest-tier grid covers


@dataclass(frozen=True, slots=True)
class SeatRow:
    """A seat of the drill-down: a post (None when the required role has none) and holders."""

    role: str
    role_name: str
    post: str | None
    label: str
    holders: tuple[str, ...]
    status: str
    required: int | None  # from the staffing standard; None when no standard asks for it
    term_ends: date | None = None
    last_term_ended: date | None = None
    stand_in: tuple[str, ...] = ()  # who answers for a vacant seat (an ancestor's holder)
    stand_in_at: str = ""


@dataclass(frozen=True, slots=True)
class GridRow:
    """A grid of the drill-down with its staffing."""

    code: str
    name: str
    tier: int
    households: int | None
    status: str  # worst coverage status, or "" when no requirement applies
    staff: tuple[tuple[str, str], ...]  # (role name, holder name); holder "" when vacant


@dataclass(frozen=True, slots=True)
class PlacePage:
    """Everything the drill-down page of a place shows."""

    code: str
    name: str
    level: str
    kind: str
    households: int | None
    at: date
    chain: tuple[ScopeOption, ...]  # ancestors, top down
    back: str | None  # scope of the dashboard to go back to
    seats: tuple[SeatRow, ...]
    grids: tuple[GridRow, ...]
    children: tuple[ScopeOption, ...]
    covering: tuple[GridRow, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)  # coverage entries per status
    grids_total: int = 0  # grids of the place (``grids`` may hold only the first ones)


# --- helpers -----------------------------------------------------------------------------------


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def fill_rate_text(rate: float) -> str:
    """A fill rate as shown on the page: a percentage with one decimal."""
    return f"{rate * 100:.1f}%"


def _num(value: float) -> str:
    """An SVG coordinate, one decimal, no trailing zero."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
        return "0" if text == "-0" else text
    return text


def dashboard_url(scope: str, at: date, template: str | None = None) -> str:
    """The dashboard of ``scope`` at ``at``."""
    params = {"scope": scope, "at": at.isoformat()}
    if template:
        params["template"] = template
    return "/dashboard?" + urlencode(params)


def place_url(code: str, at: date, template: str | None = None) -> str:
    """The drill-down of a place at ``at``."""
    params = {"at": at.isoformat()}
    if template:
        params["template"] = template
    return f"/dashboard/place/{_quote(code)}?" + urlencode(params)


def _quote(code: str) -> str:
    return quote(code, safe="")


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{CSS_URL}">\n'
        f'<script src="{JS_URL}" defer></script>\n'
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# --- projection and the map --------------------------------------------------------------------


class Projection:
    """Equirectangular longitude/latitude to SVG units: x = (λ - λmin)·cos φ₀·k,
    y = (φmax - φ)·k, fitting the longer side into ``size`` units plus a margin."""

    def __init__(self, rings: Iterable[Ring], size: float = 800.0, margin: float = 10.0) -> None:
        west = south = math.inf
        east = north = -math.inf
        for ring in rings:
            for lon, lat in ring:
                west, east = min(west, lon), max(east, lon)
                south, north = min(south, lat), max(north, lat)
        if not math.isfinite(west):
            west, east, south, north = 0.0, 1.0, 0.0, 1.0
        self.west, self.north = west, north
        self.kx = math.cos(math.radians((south + north) / 2))
        spread = max((east - west) * self.kx, north - south, 1e-9)
        self.k = size / spread
        self.margin = margin
        self.width = (east - west) * self.kx * self.k + 2 * margin
        self.height = (north - south) * self.k + 2 * margin

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """SVG coordinates of a point."""
        return (
            (lon - self.west) * self.kx * self.k + self.margin,
            (self.north - lat) * self.k + self.margin,
        )

    def path(self, rings: Sequence[Ring]) -> str:
        """The ``d`` of a path drawing the rings (``fill-rule: evenodd`` for holes)."""
        kx, k, m, w, n = self.kx * self.k, self.k, self.margin, self.west, self.north
        parts = []
        for ring in rings:
            points = [f"{_num((lon - w) * kx + m)} {_num((n - lat) * k + m)}" for lon, lat in ring]
            if len(points) > 1 and points[-1] == points[0]:
                points.pop()
            parts.append("M" + "L".join(points) + "Z")
        return "".join(parts)

    def label_point(self, rings: Sequence[Ring]) -> tuple[float, float]:
        """Where to write a name: the middle of the largest ring's bounding box."""
        best: Ring = max(rings, key=_ring_area) if rings else ()
        if not best:
            return (self.margin, self.margin)
        lons = [p[0] for p in best]
        lats = [p[1] for p in best]
        return self.xy((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)


def _ring_area(ring: Ring) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) / 2)


def map_svg(
    grids: Sequence[Shape],
    outlines: Sequence[Shape],
    frame: Shape | None,
    width: float = 800.0,
    at: date | None = None,
    uncovered: Sequence[Shape] = (),
) -> str:
    """The grid map: grids filled by status, places no grid covers hatched, outlines (with
    names) on top, the frame around."""
    everything = [*grids, *uncovered, *outlines, *([frame] if frame else [])]
    proj = Projection((r for s in everything for r in s.rings), width)
    out = [
        f'<svg class="map" viewBox="0 0 {_num(proj.width)} {_num(proj.height)}" '
        f'width="{_num(proj.width)}" height="{_num(proj.height)}" role="img" '
        'aria-label="网格分布图">',
        '<g class="grids">',
    ]
    query = _e("?" + urlencode({"at": at.isoformat()})) if at else ""
    for g in grids:
        colour = COLOURS[STATUS_CLASSES.get(g.status, "grey")]
        name = STATUS_NAMES.get(g.status, g.status)
        link = f' data-href="/dashboard/place/{_e(_quote(g.link))}{query}"' if g.link and at else ""
        out.append(
            f'<path d="{proj.path(g.rings)}" fill="{colour}" data-grid="{_e(g.code)}" '
            f'data-status="{_e(g.status)}"{link}><title>{_e(g.name)}（{_e(g.code)}）：'
            f"{_e(name)}</title></path>"
        )
    out.append("</g>")
    if uncovered:
        out.append(
            '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{COLOURS["red"]}" stroke-width="3"/>'
            '</pattern></defs><g class="uncovered">'
        )
        for s in uncovered:
            link = f' data-href="{_e(place_url(s.link, at))}"' if s.link and at else ""
            out.append(
                f'<path d="{proj.path(s.rings)}" fill="url(#hatch)" data-uncovered="{_e(s.code)}"'
                f"{link}><title>{_e(s.name)}（{_e(s.code)}）：未被网格覆盖</title></path>"
            )
        out.append("</g>")
    if outlines:
        out.append('<g class="outlines">')
        out.extend(
            f'<path d="{proj.path(s.rings)}" data-outline="{_e(s.code)}"><title>{_e(s.name)}</title>'
            "</path>"
            for s in outlines
        )
        out.append("</g>")
    if frame is not None:
        out.append(f'<path class="frame" d="{proj.path(frame.rings)}"/>')
    if outlines:
        out.append('<g class="labels">')
        for s in outlines:
            x, y = proj.label_point(s.rings)
            out.append(f'<text x="{_num(x)}" y="{_num(y)}">{_e(s.name)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _legend(grids: Sequence[Shape], uncovered: int) -> str:
    per_class: dict[str, int] = {}
    for g in grids:
        cls = STATUS_CLASSES.get(g.status, "grey")
        per_class[cls] = per_class.get(cls, 0) + 1
    items = [
        f'<li data-legend="{cls}"><span class="swatch" style="background:{COLOURS[cls]}"></span>'
        f'{_e(label)} <span class="count">{per_class.get(cls, 0)}</span></li>'
        for cls, label in LEGEND
    ]
    items.append(
        '<li data-legend="uncovered"><span class="swatch hatch"></span>未被网格覆盖 '
        f'<span class="count">{uncovered}</span></li>'
    )
    return f'<ul class="legend">{"".join(items)}</ul>'


# --- the chart ---------------------------------------------------------------------------------

#: Where the chart's axis starts (percent) and its tick step: the highest start at least one
#: point below the lowest rate, so high rates stay distinguishable (the axis says where it starts).
_AXES: tuple[tuple[int, int], ...] = ((95, 1), (90, 2), (80, 5), (50, 10), (0, 25))


def chart_axis(rates: Sequence[float]) -> tuple[int, int]:
    """The axis start and tick step (percent) for the rates.

    >>> chart_axis([0.986, 1.0]), chart_axis([0.93]), chart_axis([0.2, 1.0]), chart_axis([])
    ((95, 1), (90, 2), (0, 25), (95, 1))
    """
    lowest = min(rates, default=1.0) * 100
    return next(((lo, step) for lo, step in _AXES if lo <= lowest - 1), _AXES[-1])


def chart_svg(townships: Sequence[TownshipRate], width: float = 500.0) -> str:
    """Horizontal bars of each township's fill rate, labelled in Chinese; the axis starts at
    ``chart_axis`` (noted under the chart when it is not 0 %)."""
    label_w, value_w, row_h, top = 96.0, 120.0, 30.0, 26.0
    lo, step = chart_axis([t.fill_rate for t in townships])
    bar_w = width - label_w - value_w
    bottom = top + row_h * len(townships) + 4
    height = bottom + (26 if lo else 4)
    out = [
        f'<svg class="chart" viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" role="img" aria-label="各乡镇配齐率" data-axis-from="{lo}">'
    ]
    for tick in range(lo, 101, step):
        x = label_w + bar_w * (tick - lo) / (100 - lo)
        out.append(
            f'<line class="tick" x1="{_num(x)}" y1="{_num(top - 6)}" x2="{_num(x)}" '
            f'y2="{_num(bottom)}"/><text class="axis" x="{_num(x)}" y="{_num(top - 10)}">'
            f"{tick}%</text>"
        )
    for i, t in enumerate(townships):
        y = top + i * row_h
        share = (t.fill_rate * 100 - lo) / (100 - lo)
        bar = bar_w * max(0.0, min(1.0, share))
        cls = "green" if t.gaps == 0 else "orange"
        gaps = f"（缺口 {t.gaps}）" if t.gaps else ""
        out.append(
            f'<g class="bar" data-township="{_e(t.code)}" data-name="{_e(t.name)}" '
            f'data-fill-rate="{t.fill_rate!r}" data-total="{t.total}" data-met="{t.met}" '
            f'data-gaps="{t.gaps}"><title>{_e(t.name)}：{t.met}/{t.total}</title>'
            f'<text class="name" x="{_num(label_w - 8)}" y="{_num(y + 19)}">{_e(t.name)}</text>'
            f'<rect class="track" x="{_num(label_w)}" y="{_num(y + 5)}" width="{_num(bar_w)}" '
            f'height="20"/><rect x="{_num(label_w)}" y="{_num(y + 5)}" width="{_num(bar)}" '
            f'height="20" fill="{COLOURS[cls]}"/>'
            f'<text class="value" x="{_num(label_w + bar_w + 6)}" y="{_num(y + 19)}">'
            f'<tspan class="rate">{fill_rate_text(t.fill_rate)}</tspan>{_e(gaps)}</text></g>'
        )
    if lo:
        out.append(
            f'<text class="note" x="{_num(label_w)}" y="{_num(height - 6)}">'
            f"注：横轴从 {lo}% 起，便于比较接近满额的配齐率。</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _rollup_table(townships: Sequence[TownshipRate]) -> str:
    rows = "".join(
        f'<tr data-rollup="{_e(t.code)}"><td>{_e(t.name)}</td><td class="num">{t.total}</td>'
        f'<td class="num">{t.met}</td><td class="num">{t.gaps}</td>'
        f'<td class="num">{fill_rate_text(t.fill_rate)}</td></tr>'
        for t in townships
    )
    return (
        '<table class="rollups"><thead><tr><th>乡镇</th><th>应配</th><th>满足</th><th>缺口</th>'
        f"<th>配齐率</th></tr></thead><tbody>{rows}</tbody></table>"
    )


# --- the dashboard page ------------------------------------------------------------------------

FIGURES: tuple[tuple[str, str], ...] = (
    ("total", "应配岗位"),
    ("met", "满足要求"),
    ("filled", "在岗"),
    ("expiring", "即将到期"),
    ("over_staffed", "超配"),
    ("vacant", "空缺"),
    ("expired", "已到期"),
    ("missing", "缺岗"),
    ("gaps", "缺口合计"),
)


def _figures(d: Dashboard) -> str:
    values: dict[str, int] = {s: int(d.counts.get(s, 0)) for s, _ in FIGURES if s in STATUS_NAMES}
    values.update(total=d.total, met=d.met, gaps=d.total - d.met)
    cards = [
        f'<div class="figure{" bad" if key in ("vacant", "expired", "missing", "gaps") and values[key] else ""}" '
        f'data-figure="{key}" data-value="{values[key]}"><span class="label">{_e(label)}</span>'
        f'<span class="value">{values[key]}</span></div>'
        for key, label in FIGURES
    ]
    cards.append(
        f'<div class="figure rate" data-figure="fill_rate" data-value="{d.fill_rate!r}">'
        f'<span class="label">配齐率</span><span class="value">{fill_rate_text(d.fill_rate)}'
        "</span></div>"
    )
    return f'<section class="figures">{"".join(cards)}</section>'


def _form(d: Dashboard) -> str:
    options = "".join(
        f'<option value="{_e(o.code)}"{" selected" if o.code == d.scope else ""}>'
        f"{_e(o.name)}（{_e(LEVEL_NAMES.get(o.level, o.level))}）</option>"
        for o in d.scopes or (ScopeOption(d.scope, d.scope_name, d.scope_level),)
    )
    template = (
        f'<input type="hidden" name="template" value="{_e(d.template)}">' if d.template else ""
    )
    return (
        '<form class="controls" method="get" action="/dashboard">'
        f'<label>范围 <select name="scope">{options}</select></label>'
        f'<label>时点 <input type="date" name="at" value="{d.at.isoformat()}" required></label>'
        f'{template}<button type="submit">查看</button></form>'
    )


def _gaps_table(d: Dashboard) -> str:
    if not d.gaps:
        return '<p class="empty">没有缺口：所有配岗要求均已满足。</p>'
    rows = []
    for g in d.gaps:
        kind = "网格" if g.subject_kind == "grid" else "村（社区）"
        anchor = f"#grid-{_quote(g.subject)}" if g.subject_kind == "grid" else ""
        url = place_url(g.link, d.at, d.template) + anchor if g.link else ""
        link = f'<a href="{_e(url)}">查看</a>' if url else "—"
        ended = g.last_term_ended.isoformat() if g.last_term_ended else "—"
        rows.append(
            f'<tr data-gap="{_e(g.subject)}|{_e(g.role)}" data-status="{_e(g.status)}">'
            f"<td>{_e(g.township)}</td><td>{_e(kind)}</td>"
            f'<td>{_e(g.subject_name)}<span class="code">{_e(g.subject)}</span></td>'
            f"<td>{_e(g.role_name)}</td>"
            f'<td><span class="status {STATUS_CLASSES.get(g.status, "grey")}">'
            f"{_e(STATUS_NAMES.get(g.status, g.status))}</span></td>"
            f'<td class="num">{g.required}</td><td class="num">{g.seats}</td>'
            f'<td class="num">{g.holders}</td><td>{ended}</td><td>{link}</td></tr>'
        )
    return (
        '<table class="gaps"><thead><tr><th>乡镇</th><th>类型</th><th>村（社区）/ 网格</th>'
        "<th>岗位</th><th>状态</th><th>应配</th><th>岗位数</th><th>在岗</th>"
        "<th>上次任期结束</th><th>下钻</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_dashboard(d: Dashboard) -> str:
    """The dashboard page."""
    title = f"{d.scope_name} · 网格化管理覆盖看板"
    level = LEVEL_NAMES.get(d.scope_level, d.scope_level)
    tier = f"{d.lowest_tier}级网格" if d.lowest_tier is not None else "网格"
    drawn = len(d.grids)
    unmapped = (
        f"（另有 {d.lowest_grids - drawn} 个网格无边界数据）" if d.lowest_grids > drawn else ""
    )
    if d.grids or d.outlines or d.frame:
        the_map = map_svg(d.grids, d.outlines, d.frame, MAP_SIZE, d.at, d.uncovered)
    else:
        the_map = '<p class="empty">该时点没有网格边界数据。</p>'
    chart = chart_svg(d.townships) if d.townships else '<p class="empty">该范围没有乡镇汇总。</p>'
    elapsed = f"，生成用时 {d.elapsed_ms:.0f} 毫秒" if d.elapsed_ms is not None else ""
    body = f"""<header>
<div class="title"><h1>{_e(d.scope_name)}<small>{_e(level)} · 网格化管理覆盖看板</small></h1>
<p class="sub" data-scope="{_e(d.scope)}" data-at="{d.at.isoformat()}">统计时点 <b>{d.at.isoformat()}</b>
 · 任期 {d.expiring_days} 天内到期计为“即将到期”{" · 标准 " + _e(d.template) if d.template else ""}</p></div>
{_form(d)}
</header>
<main>
{_figures(d)}
<div class="row">
<section class="card map-card"><h2>网格分布图 <small>{_e(tier)} {drawn} 个，按网格员配备状态着色{_e(unmapped)}</small></h2>
{the_map}
{_legend(d.grids, len(d.uncovered))}
</section>
<section class="card chart-card"><h2>各乡镇配齐率 <small>满足要求的岗位 / 应配岗位</small></h2>
{chart}
{_rollup_table(d.townships) if d.townships else ""}
</section>
</div>
<section class="card"><h2>缺口清单 <small>共 {len(d.gaps)} 项，点击“查看”下钻到村（社区）及其岗位</small></h2>
{_gaps_table(d)}
</section>
</main>
<footer>数据来自本服务的网格登记库{_e(elapsed)}。</footer>"""
    return _page(title, body)


# --- the drill-down page -----------------------------------------------------------------------


def _people(names: Sequence[str]) -> str:
    return "、".join(_e(n) for n in names) if names else "—"


def _seats_table(p: PlacePage) -> str:
    if not p.seats:
        return '<p class="empty">该地没有岗位。</p>'
    rows = []
    for s in p.seats:
        notes = []
        if s.term_ends:
            notes.append(f"任期至 {s.term_ends.isoformat()}")
        if s.last_term_ended:
            notes.append(f"上次任期结束于 {s.last_term_ended.isoformat()}")
        if s.stand_in:
            where = f"（{_e(s.stand_in_at)}）" if s.stand_in_at else ""
            notes.append(f"由 {_people(s.stand_in)}{where} 代岗")
        post = _e(s.post) if s.post else "未设岗位"
        rows.append(
            f'<tr data-seat="{_e(s.post or "")}" data-role="{_e(s.role)}" '
            f'data-status="{_e(s.status)}"><td>{_e(s.role_name)}</td>'
            f'<td><span class="code">{post}</span></td><td>{_people(s.holders)}</td>'
            f'<td><span class="status {STATUS_CLASSES.get(s.status, "grey")}">'
            f"{_e(STATUS_NAMES.get(s.status, s.status))}</span></td>"
            f'<td class="num">{"—" if s.required is None else s.required}</td>'
            f"<td>{'；'.join(notes) or '—'}</td></tr>"
        )
    return (
        '<table class="seats"><thead><tr><th>岗位（角色）</th><th>岗位编号</th><th>在岗人员</th>'
        "<th>状态</th><th>应配</th><th>说明</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _grids_table(rows_in: Sequence[GridRow], empty: str) -> str:
    if not rows_in:
        return f'<p class="empty">{_e(empty)}</p>'
    rows = []
    for g in rows_in:
        staff = "、".join(
            f"{_e(role)} {_e(name) if name else '（空缺）'}" for role, name in g.staff
        )
        status = (
            f'<span class="status {STATUS_CLASSES.get(g.status, "grey")}">'
            f"{_e(STATUS_NAMES.get(g.status, g.status))}</span>"
            if g.status
            else "—"
        )
        rows.append(
            f'<tr id="grid-{_e(g.code)}" data-grid="{_e(g.code)}" data-status="{_e(g.status)}">'
            f'<td>{_e(g.name)}<span class="code">{_e(g.code)}</span></td>'
            f'<td class="num">{g.tier}</td>'
            f'<td class="num">{"—" if g.households is None else g.households}</td>'
            f"<td>{status}</td><td>{staff or '—'}</td></tr>"
        )
    return (
        '<table class="grids"><thead><tr><th>网格</th><th>层级</th><th>户数</th><th>状态</th>'
        f"<th>网格员 / 网格长</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _place_figures(p: PlacePage) -> str:
    """The coverage of the place and everything below it, in one line."""
    total = sum(p.counts.values())
    if not total:
        return ""
    met = sum(p.counts.get(s, 0) for s in ("filled", "expiring", "over_staffed"))
    parts = [f"应配岗位 {total}", f"满足要求 {met}", f"配齐率 {fill_rate_text(met / total)}"]
    parts.extend(
        f"{STATUS_NAMES[s]} {p.counts[s]}"
        for s in ("vacant", "expired", "missing")
        if p.counts.get(s)
    )
    return f'<p class="summary" data-figure="place">{_e("；".join(parts))}</p>'


def render_place(p: PlacePage, template: str | None = None) -> str:
    """The drill-down page of a place: its seats, its grids and the places below it."""
    level = LEVEL_NAMES.get(p.level, p.level)
    crumbs = "".join(
        f'<a href="{_e(dashboard_url(c.code, p.at, template) if c.level in ("province", "prefecture", "county", "township") else place_url(c.code, p.at, template))}">'
        f"{_e(c.name)}</a> › "
        for c in p.chain
    )
    back = (
        f'<a class="back" href="{_e(dashboard_url(p.back, p.at, template))}">← 返回看板</a>'
        if p.back
        else '<a class="back" href="/dashboard">← 返回看板</a>'
    )
    children = (
        '<ul class="children">'
        + "".join(
            f'<li><a href="{_e(place_url(c.code, p.at, template))}">{_e(c.name)}</a></li>'
            for c in p.children
        )
        + "</ul>"
        if p.children
        else '<p class="empty">没有下级地点。</p>'
    )
    facts = [f"{_e(level)}"]
    if p.kind:
        facts.append(_e(p.kind))
    if p.households is not None:
        facts.append(f"{p.households} 户")
    covering = (
        f'<section class="card"><h2>覆盖该地的网格</h2>'
        f"{_grids_table(p.covering, '没有网格覆盖该地。')}</section>"
        if p.covering
        else ""
    )
    total = max(p.grids_total, len(p.grids))
    shown = f"{total} 个" + (f"，仅列出前 {len(p.grids)} 个" if total > len(p.grids) else "")
    body = f"""<header>
<div class="title"><p class="crumbs">{crumbs}</p>
<h1>{_e(p.name)}<small>{" · ".join(facts)}</small></h1>
<p class="sub" data-place="{_e(p.code)}" data-at="{p.at.isoformat()}">编码 {_e(p.code)} · 统计时点 <b>{p.at.isoformat()}</b></p></div>
<form class="controls" method="get" action="/dashboard/place/{_e(_quote(p.code))}">
<label>时点 <input type="date" name="at" value="{p.at.isoformat()}" required></label>
{f'<input type="hidden" name="template" value="{_e(template)}">' if template else ""}<button type="submit">查看</button></form>
{back}
</header>
<main>
<section class="card"><h2>岗位与在岗人员 <small>{len(p.seats)} 个</small></h2>
{_seats_table(p)}
</section>
{_place_figures(p)}
<section class="card"><h2>辖区网格 <small>{_e(shown)}</small></h2>
{_grids_table(p.grids, "该地没有网格。")}
</section>
{covering}
<section class="card"><h2>下级地点 <small>{len(p.children)} 个</small></h2>
{children}
</section>
</main>
<footer>{back}</footer>"""
    return _page(f"{p.name} · 岗位与网格", body)


def render_error(status: int, message: str) -> str:
    """An error page (not found, bad input, store unavailable)."""
    title = {400: "请求有误", 404: "未找到", 503: "服务暂不可用"}.get(status, "出错了")
    body = (
        f'<main class="error"><h1>{_e(title)}</h1><p data-error="{status}">{_e(message)}</p>'
        '<p><a href="/dashboard">返回看板</a></p></main>'
    )
    return _page(title, body)
