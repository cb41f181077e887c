"""The planners' dashboard at ``/dashboard``: server-rendered HTML and SVG, no map tiles.

* ``GET /dashboard?scope=&at=&template=``: the coverage report of a scope (default: the first
  county in the store) at a day (default today) — figures, the lowest-tier grids drawn from their
  stored boundaries and coloured by their grid worker's status, township outlines, a bar chart of
  every township's fill rate and the gaps, each linking to its drill-down;
* ``GET /dashboard/place/{code}?at=``: a place (a village, typically) with its seats, holders and
  statuses, its grids and the places below it;
* ``GET /dashboard/static/{name}``: the page's stylesheet and script (``static/dashboard/``).

The figures are the ones ``registry.queries.coverage.coverage_report`` gives the GraphQL
``coverage`` field, so the page and the API agree. The data is gathered here (plain dataclasses
of ``schema.dashboard_render``) and rendered there. On a remote store the work runs in a worker
thread, so the event loop never waits on the database.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from registry.auth import mask_phone
from registry.codes import Level
from registry.errors import BackendUnavailable, GridregError, InvalidInput, NotFound
from registry.model import (
    Boundary,
    Grid,
    Holding,
    Organization,
    Person,
    Place,
    Post,
    Role,
    in_force,
)
from registry.queries.coverage import MET, STATUSES, CoverageEntry, coverage_report, lowest_grids
from registry.queries.hierarchy import ancestors, children, covering_grids
from registry.queries.region import planning_store, region_of
from registry.queries.seats import SeatAnswer, seats_at
from registry.store.base import GraphStore
from schema.dashboard_render import (
    Dashboard,
    Gap,
    GridRow,
    PlacePage,
    Ring,
    ScopeOption,
    SeatRow,
    Shape,
    TownshipRate,
    render_dashboard,
    render_error,
    render_place,
)

__all__ = ["STATIC_DIR", "dashboard_router", "gather_dashboard", "gather_place"]

STATIC_DIR: Path = Path(__file__).resolve().parent / "static" / "dashboard"
"""The dashboard's stylesheet and script, served at ``/dashboard/static/``."""
_MEDIA = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_STATIC_NAME = re.compile(r"^[a-z0-9_-]+\.(css|js)$")
#: Grid rows of a drill-down page at most (a county's page would list thousands).
MAX_GRID_ROWS = 500
_WORST = {s: i for i, s in enumerate(STATUSES)}

T = TypeVar("T")


# --- gathering ---------------------------------------------------------------------------------


def first_county(store: GraphStore, at: date) -> str:
    """The code of the first county (by code) in force at ``at`` that has grids then (counties
    recorded only as neighbours or alliance partners have none), else the first county."""
    codes = sorted(p.code for p in store.scan(Place) if p.level is Level.COUNTY and in_force(p, at))
    if not codes:
        raise NotFound("the store holds no county: load one first (gridreg demo)")
    grids = store.referrers_many(Grid, "county", codes)
    return next(
        (c for c, found in zip(codes, grids, strict=True) if any(in_force(g, at) for g in found)),
        codes[0],
    )


def rings_of(geometry: str) -> tuple[Ring, ...]:
    """The rings of a stored GeoJSON Polygon or MultiPolygon (validated when written, see
    ``registry.geo.parse_geometry``); none when the text is not one.

    >>> rings_of('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}')
    (((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)),)
    >>> rings_of('{"type":"Point","coordinates":[0,0]}'), rings_of("nonsense")
    ((), ())
    """
    try:
        obj: Any = orjson.loads(geometry)
        kind = obj.get("type")
        coords = obj["coordinates"]
        polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
        return tuple(
            tuple((float(p[0]), float(p[1])) for p in ring)
            for polygon in polygons
            for ring in polygon
        )
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError, IndexError):
        return ()


def _boundary(found: Sequence[Boundary], at: date) -> Boundary | None:
    """The boundary in force at ``at`` (the latest to take effect when several are)."""
    live = [b for b in found if in_force(b, at)]
    return max(live, key=lambda b: (b.valid_from or date.min, b.id)) if live else None


def _worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda s: _WORST.get(s, -1), default="none")


def _grid_statuses(entries: Iterable[CoverageEntry]) -> dict[str, str]:
    """Grid code -> the worst status of the coverage entries about the grid."""
    per_grid: dict[str, list[str]] = {}
    for e in entries:
        if e.subject_kind == "grid":
            per_grid.setdefault(e.subject, []).append(e.status)
    return {code: _worst(found) for code, found in per_grid.items()}


def _village_of(code: str | None, places: dict[str, Place], store: GraphStore) -> str | None:
    """The village (or the place itself when at village level or above) a place lies in."""
    node = places.get(code) if code else None
    if node is None and code:
        node = store.get(Place, code)
    while node is not None and node.level is Level.HAMLET and node.parent:
        node = places.get(node.parent) or store.get(Place, node.parent)
    return node.code if node is not None else code


def _shapes(
    owners: Sequence[tuple[str, str]],
    found: Sequence[Sequence[Boundary]],
    at: date,
    status: dict[str, str] | None = None,
    links: dict[str, str | None] | None = None,
) -> list[Shape]:
    """Shapes of the owners (code, name) whose boundary in force at ``at`` has rings."""
    out = []
    for (code, name), boundaries in zip(owners, found, strict=True):
        b = _boundary(boundaries, at)
        rings = rings_of(b.geometry) if b is not None else ()
        if rings:
            state = status.get(code, "none") if status is not None else ""
            link = links.get(code) if links is not None else None
            out.append(Shape(code, name, rings, status=state, link=link))
    return out


def _role_names(store: GraphStore, roles: Iterable[str]) -> dict[str, str]:
    codes = sorted(set(roles))
    return {
        code: (r.name if r is not None else code)
        for code, r in zip(codes, store.get_many(Role, codes), strict=True)
    }


def gather_dashboard(
    store: GraphStore, scope: str | None, at: date, template: str | None = None
) -> Dashboard:
    """Everything the dashboard of ``scope`` (default: the first county) shows at ``at``."""
    started = time.perf_counter()
    scope = scope or first_county(store, at)
    view = planning_store(store, scope)
    report = coverage_report(view, scope, template, at)
    region = region_of(view, scope, at)
    places = {p.code: p for p in region.places}
    totals = report.totals
    total = sum(totals[s] for s in STATUSES)
    met = sum(totals[s] for s in MET)

    grid_status = _grid_statuses(report.entries)

    lowest = lowest_grids(view, region)
    by_code = {g.code: g for g in region.grids}
    codes = sorted(c for found, _ in lowest.values() for c in found)
    links = {c: _village_of(region.anchor_of.get(c), places, view) for c in codes}
    grids = _shapes(
        [(c, by_code[c].name) for c in codes],
        view.referrers_many(Boundary, "grid", codes),
        at,
        status={c: grid_status.get(c, "none") for c in codes},
        links=links,
    )
    parts = [p for p in region.places if p.parent == scope]
    outlines = _shapes(
        [(p.code, p.name) for p in parts],
        view.referrers_many(Boundary, "place", [p.code for p in parts]),
        at,
    )
    holes = list(report.uncovered_places)
    uncovered = _shapes(
        [(p.code, p.name) for p in holes],
        view.referrers_many(Boundary, "place", [p.code for p in holes]),
        at,
        links={p.code: _village_of(p.code, places, view) for p in holes},
    )
    framed = _shapes([(scope, report.scope.name)], [view.referrers(Boundary, "place", scope)], at)

    role_names = _role_names(view, (e.role for e in report.entries if e.status not in MET))
    gaps = []
    for e in report.entries:
        if e.status in MET:
            continue
        town = places.get(e.township or "")
        link = e.subject if e.subject_kind == "place" else links.get(e.subject)
        if link is None and e.subject_kind == "grid":
            link = _village_of(region.anchor_of.get(e.subject), places, view)
        gaps.append(
            Gap(
                township=town.name if town else "—",
                subject=e.subject,
                subject_name=e.subject_name,
                subject_kind=e.subject_kind,
                role=e.role,
                role_name=role_names.get(e.role, e.role),
                status=e.status,
                required=e.required,
                seats=e.seats,
                holders=e.holders,
                last_term_ended=e.last_term_ended,
                link=link,
            )
        )
    townships = tuple(
        TownshipRate(r.code, r.name, r.total, r.met, r.fill_rate, r.total - r.met)
        for r in report.rollups
        if r.level is Level.TOWNSHIP
    )
    tiers = [by_code[c].tier for c in codes]
    return Dashboard(
        scope=scope,
        scope_name=report.scope.name,
        scope_level=str(report.scope.level),
        at=at,
        template=template,
        expiring_days=report.expiring_days,
        counts=dict(totals),
        total=total,
        met=met,
        fill_rate=met / total if total else 1.0,
        townships=townships,
        grids=tuple(grids),
        outlines=tuple(outlines),
        frame=framed[0] if framed else None,
        gaps=tuple(gaps),
        scopes=tuple(_scopes(store, report.scope, region.counties, at)),
        lowest_tier=max(tiers) if tiers else None,
        lowest_grids=len(codes),
        elapsed_ms=(time.perf_counter() - started) * 1000,
        uncovered=tuple(uncovered),
    )


def _scopes(
    store: GraphStore, scope: Place, counties: Sequence[Place], at: date
) -> list[ScopeOption]:
    """The form's scopes: every county, then the townships of the scope's county."""
    found = sorted(
        (p for p in store.scan(Place) if p.level is Level.COUNTY and in_force(p, at)),
        key=lambda p: p.code,
    )
    out = [ScopeOption(p.code, p.name, str(p.level)) for p in found]
    if scope.code not in {p.code for p in found}:
        out.insert(0, ScopeOption(scope.code, scope.name, str(scope.level)))
    if len(counties) == 1:
        towns = children(store, Place, counties[0].code, at)
        out.extend(
            ScopeOption(t.code, f"　{t.name}", str(t.level))
            for t in towns
            if t.level is Level.TOWNSHIP
        )
    return out


def gather_place(
    store: GraphStore,
    code: str,
    at: date,
    template: str | None = None,
    personal: bool = False,
) -> PlacePage:
    """Everything the drill-down page of place ``code`` shows at ``at``.

    Holders are shown with their phone numbers, masked (``138****1234``) unless ``personal``
    (the caller's role may see personal data, as in GraphQL: ``Principal.sees_personal_data``).

    Statuses come from the coverage report of the place's county (the report the county's
    dashboard shows; a place above the county level reports on itself), restricted to the
    place, the places below it and its grids."""
    place = store.get(Place, code)
    if place is None:
        raise NotFound(f"no place {code!r}", [code])
    chain = list(reversed(ancestors(store, Place, code)))
    upper = (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY)
    county = next((p for p in reversed(chain) if p.level is Level.COUNTY), None)
    scope = code if place.level in upper or county is None else county.code
    view = planning_store(store, scope)
    report = coverage_report(view, scope, template, at)
    region = region_of(view, code, at)
    subjects = {p.code for p in region.places} | {g.code for g in region.grids}
    entries = [e for e in report.entries if e.subject in subjects]
    here = [e for e in entries if e.subject == code and e.subject_kind == "place"]
    seats = _seat_rows(view, code, at, here, report.expiring_days, personal)

    status = _grid_statuses(report.entries)  # grids covering the place may lie outside
    grids = sorted(region.grids, key=lambda g: g.code)
    shown = grids[:MAX_GRID_ROWS]
    covering = covering_grids(view, code, at)
    staffed = _grid_rows(view, [*shown, *covering], at, status)
    back = next((p.code for p in [place, *reversed(chain)] if p.level in upper), None)
    kids = children(view, Place, code, at)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.status] = counts.get(e.status, 0) + 1
    return PlacePage(
        code=place.code,
        name=place.name,
        level=str(place.level),
        kind=place.kind,
        households=place.households,
        at=at,
        chain=tuple(ScopeOption(p.code, p.name, str(p.level)) for p in chain),
        back=back,
        seats=tuple(seats),
        grids=tuple(staffed[: len(shown)]),
        children=tuple(ScopeOption(p.code, p.name, str(p.level)) for p in kids),
        covering=tuple(staffed[len(shown) :]),
        counts=counts,
        grids_total=len(grids),
    )


def _holder(person: Person, personal: bool) -> str:
    """A holder as the page shows it: the name and, if recorded, the phone number (masked for
    callers who may not see personal data)."""
    phone = person.phone if personal else mask_phone(person.phone)
    return f"{person.name}（{phone}）" if phone else person.name


def _seat_rows(
    store: GraphStore,
    code: str,
    at: date,
    entries: Sequence[CoverageEntry],
    expiring_days: int,
    personal: bool = False,
) -> list[SeatRow]:
    """The seats of a place: required roles first (with their status per seat), then others."""
    posts = [p for p in store.referrers(Post, "place", code) if in_force(p, at)]
    roles = list(dict.fromkeys([*(e.role for e in entries), *sorted(p.role for p in posts)]))
    answers = seats_at(store, "place", code, at, roles=tuple(roles))
    required = {e.role: e.required for e in entries}
    ids = [s.post.id for s in answers if s.post is not None]
    terms = dict(zip(ids, store.referrers_many(Holding, "post", ids), strict=True))
    names = _role_names(store, roles)
    owners = _owner_names(store, [s.inherited_from for s in answers if s.inherited_from])
    soon = at + timedelta(days=expiring_days)
    rows = []
    for s in answers:
        held = terms.get(s.post.id, []) if s.post is not None else []
        now = [h for h in held if in_force(h, at)]
        ends = [h.valid_to for h in now if h.valid_to is not None and h.valid_to <= soon]
        ended = [h.valid_to for h in held if h.valid_to is not None and h.valid_to < at]
        rows.append(
            SeatRow(
                role=s.role_code,
                role_name=names.get(s.role_code, s.role_code),
                post=s.post.id if s.post else None,
                label=s.post.label if s.post else "",
                holders=tuple(_holder(p, personal) for p in s.holders),
                status=_seat_status(s, bool(ends), bool(ended)),
                required=required.get(s.role_code),
                term_ends=min(ends) if ends else None,
                last_term_ended=max(ended) if ended and not s.holders else None,
                stand_in=tuple(p.name for p in s.inherited_holders),
                stand_in_at=owners.get(s.inherited_from.id, "") if s.inherited_from else "",
            )
        )
    return rows


def _seat_status(seat: SeatAnswer, ending: bool, ended: bool) -> str:
    """A seat's status in the coverage vocabulary: missing, vacant or expired, expiring, filled."""
    if seat.post is None:
        return "missing"
    if not seat.holders:
        return "expired" if ended else "vacant"
    return "expiring" if ending else "filled"


def _owner_names(store: GraphStore, posts: Sequence[Post]) -> dict[str, str]:
    """Post id -> the name of the place, grid or organization the post belongs to."""
    out: dict[str, str] = {}
    for post in posts:
        owner: Place | Grid | Organization | None = None
        if post.place:
            owner = store.get(Place, post.place)
        elif post.grid:
            owner = store.get(Grid, post.grid)
        elif post.organization:
            owner = store.get(Organization, post.organization)
        out[post.id] = owner.name if owner is not None else ""
    return out


def _grid_rows(
    store: GraphStore, grids: Sequence[Grid], at: date, status: dict[str, str]
) -> list[GridRow]:
    """Grids with who holds their seats at ``at`` (three batched reads)."""
    codes = [g.code for g in grids]
    posts = [
        sorted((p for p in found if in_force(p, at)), key=lambda p: (p.role, p.id))
        for found in store.referrers_many(Post, "grid", codes)
    ]
    flat = [p for found in posts for p in found]
    held = store.referrers_many(Holding, "post", [p.id for p in flat])
    current = {
        p.id: [h.person for h in hs if in_force(h, at)] for p, hs in zip(flat, held, strict=True)
    }
    ids = sorted({i for found in current.values() for i in found})
    people = {
        i: (p.name if p else i) for i, p in zip(ids, store.get_many(Person, ids), strict=True)
    }
    names = _role_names(store, (p.role for p in flat))
    rows = []
    for g, found in zip(grids, posts, strict=True):
        staff: list[tuple[str, str]] = []
        for p in found:
            role = names.get(p.role, p.role)
            staff.extend((role, people[i]) for i in current[p.id])
            if not current[p.id]:
                staff.append((role, ""))  # a vacant seat
        rows.append(
            GridRow(g.code, g.name, g.tier, g.households, status.get(g.code, ""), tuple(staff))
        )
    return rows


# --- routes ------------------------------------------------------------------------------------


def _day(text: str | None) -> date:
    """``at`` from the query string: YYYY-MM-DD, or today when absent or empty."""
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"时点 {text!r} 不是 YYYY-MM-DD 格式的日期", field="at") from None


async def _run(store: GraphStore, work: Callable[[], T]) -> T:
    """``work()`` inline on an in-process store, in a worker thread on a remote one."""
    if store.remote:
        return await anyio.to_thread.run_sync(work)
    return work()


def _error(exc: GridregError) -> HTMLResponse:
    status = (
        404 if isinstance(exc, NotFound) else 503 if isinstance(exc, BackendUnavailable) else 400
    )
    return HTMLResponse(render_error(status, exc.message), status_code=status)


def _html(text: str, gathered_ms: float, started: float) -> HTMLResponse:
    total = (time.perf_counter() - started) * 1000
    timing = f"gather;dur={gathered_ms:.1f}, render;dur={total - gathered_ms:.1f}"
    return HTMLResponse(text, headers={"Server-Timing": timing, "Cache-Control": "no-store"})


def dashboard_router() -> APIRouter:
    """Routes under ``/dashboard``: the page, the drill-down and the static files."""
    router = APIRouter()

    @router.get("", response_class=HTMLResponse, include_in_schema=False)
    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard(
        request: Request,
        scope: str | None = None,
        at: str | None = None,
        template: str | None = None,
    ) -> Response:
        store: GraphStore = request.app.state.store
        started = time.perf_counter()
        try:
            day = _day(at)

            def work() -> tuple[str, float]:
                data = gather_dashboard(store, scope or None, day, template or None)
                gathered = (time.perf_counter() - started) * 1000
                return render_dashboard(data), gathered

            text, gathered = await _run(store, work)
        except GridregError as exc:
            return _error(exc)
        return _html(text, gathered, started)

    @router.get("/place/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def place(
        request: Request, code: str, at: str | None = None, template: str | None = None
    ) -> Response:
        store: GraphStore = request.app.state.store
        started = time.perf_counter()
        try:
            day = _day(at)

            def work() -> tuple[str, float]:
                principal = getattr(request.state, "principal", None)  # none: masked
                personal = principal is not None and principal.sees_personal_data
                data = gather_place(store, code, day, template or None, personal)
                gathered = (time.perf_counter() - started) * 1000
                return render_place(data, template or None), gathered

            text, gathered = await _run(store, work)
        except GridregError as exc:
            return _error(exc)
        return _html(text, gathered, started)

    @router.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        path = STATIC_DIR / name
        if not _STATIC_NAME.match(name) or not path.is_file():
            return HTMLResponse(render_error(404, f"没有文件 {name}"), status_code=404)
        return FileResponse(
            path, media_type=_MEDIA[path.suffix], headers={"Cache-Control": "no-cache"}
        )

    return router
