"""Who is responsible for a place, grid or map point and a matter, and who is next.

``responsible_for`` answers with:

* ordered **tiers**: the grid workers of the most local grid (listed: the grid lists the place;
  given: the grid was asked for; geometric: the point lies inside it), the grid chain upward,
  the village's seats for the roles the category involves, the village, township and county
  centres (with the category's time limit at that level), and the organizations handling the
  category (see ``registry.queries.handling``) with their time limits. For an **emergency**
  category the handling organizations come first, most local first (nearest force first,
  paperwork later). Vacant seats are returned as vacant and a role with no seat as missing,
  never dropped; each names the ancestor's holder who answers instead (``inherited_from``, see
  ``registry.queries.seats``);
* **escalation**: the steps up the centre tree with cumulative time limits
  (``registry.queries.escalation``);
* **alliance partners**: allied counties whose joint functions cover the category
  (``registry.queries.alliances``);
* the ``at`` used, and for a point the ``location`` it resolved to.

``responsible_many`` answers a list of requests with one result or one error per item, sharing
the work of the whole call (category rules, escalation chains, alliance partners, seats of
shared centres; on a remote store one prefetch for all items).

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> ans = responsible_for(sample_store(), place="451225100201-001", category="C3.1",
...                       at=SAMPLE_TODAY)
>>> [(t.kind.value, t.subject_name) for t in ans.tiers]  # doctest: +NORMALIZE_WHITESPACE
[('grid', '大塘屯第1微网格'), ('grid', '大塘屯二级网格'), ('grid', '东门村一级网格'),
 ('village', '东门村'), ('centre', '东门镇综治中心'), ('centre', '罗城仫佬族自治县综治中心'),
 ('department', '河池市生态环境局罗城分局')]
>>> [(s.role_code, s.status) for s in ans.tiers[3].seats]
[('police_assistant', 'filled'), ('law_literate', 'vacant')]
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import partial
from typing import Any, NamedTuple, TypeVar

from registry.codes import Level
from registry.errors import GridregError, InvalidInput, NotFound, TimeBudgetExceeded
from registry.model import Category, Grid, Organization, OrgKind, Place, in_force
from registry.queries.alliances import (
    AlliancePartner,
    border_ends,
    bordering_counties,
    partners_of,
)
from registry.queries.escalation import EscalationStep, escalation_from, first_centre
from registry.queries.handling import (
    CategoryRule,
    category_rule,
    handlers_for,
    locality,
    org_level,
)
from registry.queries.hierarchy import ancestors, covered_places, lowest_covering_grids, today
from registry.queries.locate import Location, locate
from registry.queries.seats import SeatAnswer, seats_at
from registry.store.base import GraphStore

__all__ = [
    "MAX_BATCH",
    "Point",
    "Responsibility",
    "RoutingRequest",
    "SeatAnswer",
    "TierAnswer",
    "TierKind",
    "category_rule",
    "responsible_for",
    "responsible_many",
    "seats_at",
]

#: Most requests ``responsible_many`` takes in one call.
MAX_BATCH = 1000
T = TypeVar("T")


class TierKind(StrEnum):
    """What a tier of responsibility is."""

    GRID = "grid"
    VILLAGE = "village"
    CENTRE = "centre"
    DEPARTMENT = "department"


class Point(NamedTuple):
    """A map point: longitude, latitude and the coordinate system (WGS84 or GCJ02)."""

    lon: float
    lat: float
    crs: str = "WGS84"


@dataclass(frozen=True, slots=True)
class TierAnswer:
    """One tier: a grid, the village, a centre or a handling organization, with its seats."""

    rank: int
    kind: TierKind
    found: str  # listed, given, geometric, chain, ancestor, handling, unit, kind
    grid: Grid | None
    place: Place | None
    organization: Organization | None
    seats: tuple[SeatAnswer, ...]
    time_limit_minutes: int | None = None
    lead: bool | None = None

    @property
    def subject_name(self) -> str:
        """Name of the grid, place or organization this tier is about."""
        subject = self.grid or self.organization or self.place
        return subject.name if subject is not None else ""


@dataclass(frozen=True, slots=True)
class Responsibility:
    """The answer of ``responsible_for``."""

    place: Place | None
    grid: Grid | None
    category: Category | None
    at: date
    tiers: tuple[TierAnswer, ...]
    time_limit_minutes: int | None
    emergency: bool = False
    escalation: tuple[EscalationStep, ...] = ()
    alliance_partners: tuple[AlliancePartner, ...] = ()
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class RoutingRequest:
    """One request of ``responsible_many``: exactly one of place, grid and point."""

    place: str | None = None
    grid: str | None = None
    point: Point | None = None
    category: str | None = None
    at: date | None = None
    near_metres: float = 50.0


#: Most shared results kept per store between writes (the memo is emptied when it is full).
SHARED_MEMO_SIZE = 50_000


class _Memo:
    """Results shared by the requests of one call, or by every call on an in-process store
    until its next write (``_memo_for``)."""

    def __init__(self) -> None:
        self._values: dict[tuple[Any, ...], Any] = {}

    @property
    def values(self) -> dict[Any, Any]:
        """The results themselves (for ``handlers_for``'s facts about organizations)."""
        return self._values

    def get(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        try:
            return self._values[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        value = make()
        if len(self._values) >= SHARED_MEMO_SIZE:
            self._values.clear()
        self._values[key] = value
        return value


def _memo_for(store: GraphStore) -> _Memo:
    """The memo of a call. On a store that keeps values derived from its data (``derived``:
    the in-process store), the results that depend only on what the key names (a category's
    rule, an organization's, a grid's or a village's seats, escalation steps (kept per centre
    limits too, so categories with the same limits share them), alliance partners, the
    organizations acting on a category for a place, the counties bordering a place and what
    lies across each place's borders)
    are shared by every call until the next write (most requests share their centres,
    departments and upper grids); the memo is the one value kept there that its users fill.
    Other stores get a memo per call: Neo4j's reads come from one prefetch per call."""
    derived = getattr(store, "derived", None)
    if derived is None:
        return _Memo()
    memo: _Memo = derived(("responsible", "memo"), _Memo)
    return memo


#: Per remote store, the memo shared by the calls whose prefetch read one data version.
_VERSION_MEMOS: weakref.WeakKeyDictionary[GraphStore, tuple[int, _Memo]]
_VERSION_MEMOS = weakref.WeakKeyDictionary()


def _memo_of_view(store: GraphStore, view: GraphStore, memo: _Memo) -> _Memo:
    """The memo for a call answered from ``view``, a prefetch of remote ``store``: when the
    view was read at one data version (``version``), the memo shared by every call that read
    that version (its results depend only on what their keys name, and that version's data);
    else ``memo``. The newest version's memo replaces an older one."""
    version = getattr(view, "version", None)
    if not isinstance(version, int):
        return memo
    kept = _VERSION_MEMOS.get(store)
    if kept is None or kept[0] < version:
        kept = _VERSION_MEMOS[store] = (version, _Memo())
    return kept[1] if kept[0] == version else memo


#: Answers kept per remote store (``responsible_for`` of a place or grid), with the data version
#: they were read at; each call asks the server whether that is still its version.
KEPT_ANSWERS = 2048
_ANSWERS: weakref.WeakKeyDictionary[GraphStore, dict[tuple[Any, ...], tuple[int, Responsibility]]]
_ANSWERS = weakref.WeakKeyDictionary()


def _remote_answer(
    store: GraphStore, request: RoutingRequest, memo: _Memo
) -> Responsibility | None:
    """The answer of a place or grid request on a store that can prefetch conditionally
    (``prefetch_responsible_unless``), in one round trip: the answer kept for the request when
    the server's data version is still the one it was read at (so it holds across processes
    and hosts: any write anywhere changes the version), else a fresh one (kept when no write
    committed while it was read). None when the store cannot."""
    prefetch = getattr(store, "prefetch_responsible_unless", None)
    if prefetch is None:
        return None
    answers = _ANSWERS.get(store)
    if answers is None:
        answers = _ANSWERS[store] = {}
    at = request.at or today()  # the key's date is the answer's, even across midnight
    request = RoutingRequest(request.place, request.grid, None, request.category, at)
    key = (request.place, request.grid, request.category, at)
    kept = answers.get(key)
    view = prefetch(kept[0] if kept else -2, *_prefetch_key(request, None))
    if view is None:  # still the version the kept answer was read at
        assert kept is not None
        return kept[1]
    answer = _answer(view, request, _memo_of_view(store, view, memo), None)
    if view.version is not None:
        if len(answers) >= KEPT_ANSWERS:  # about 16 KB each at county scale: some 35 MB
            answers.clear()
        answers[key] = (view.version, answer)
    return answer


def responsible_for(
    store: GraphStore,
    place: str | None = None,
    grid: str | None = None,
    category: str | None = None,
    at: date | None = None,
    point: Point | None = None,
    near_metres: float = 50.0,
) -> Responsibility:
    """Who is responsible for ``place``, ``grid`` or ``point`` (exactly one) and ``category``."""
    request = RoutingRequest(place, grid, point, category, at, near_metres)
    _check(request)
    location = _locate(store, request)
    memo = _memo_for(store)
    if location is None:
        kept = _remote_answer(store, request, memo)
        if kept is not None:
            return kept
    prefetch = getattr(store, "prefetch_responsible", None)
    if prefetch is not None:  # a remote store fetches everything read below at once
        view = prefetch(*_prefetch_key(request, location))
        return _answer(view, request, _memo_of_view(store, view, memo), location)
    return _answer(store, request, memo, location)


def responsible_many(
    store: GraphStore,
    requests: Sequence[RoutingRequest],
    spent: Callable[[], bool] | None = None,
) -> list[Responsibility | GridregError]:
    """One answer or one error per request, in order; the call's work is shared.

    With ``spent`` (a time budget), once it returns true the remaining requests are answered
    with ``TimeBudgetExceeded`` instead of being computed.

    >>> from registry.testing import sample_store, SAMPLE_TODAY
    >>> out = responsible_many(sample_store(), [
    ...     RoutingRequest(place="451225100201-001", category="C3.1", at=SAMPLE_TODAY),
    ...     RoutingRequest(place="nowhere", at=SAMPLE_TODAY)])
    >>> [type(x).__name__ for x in out]
    ['Responsibility', 'NotFound']
    """
    if len(requests) > MAX_BATCH:
        raise InvalidInput(
            f"at most {MAX_BATCH} requests per call, got {len(requests)}", field="requests"
        )
    out: list[Responsibility | GridregError | None] = [None] * len(requests)
    located: dict[int, Location | None] = {}
    for i, req in enumerate(requests):
        try:
            _check(req)
            located[i] = _locate(store, req)
        except GridregError as exc:
            out[i] = exc
    valid = list(located)
    memo = _memo_for(store)
    prefetch = getattr(store, "prefetch_responsible_many", None)
    if prefetch is not None:
        view = prefetch([_prefetch_key(requests[i], located[i]) for i in valid])
        memo = _memo_of_view(store, view, memo)
        store = view
    for i in valid:
        if spent is not None and spent():
            out[i] = TimeBudgetExceeded(f"request {i}: the time budget ran out", [str(i)])
            continue
        try:
            out[i] = _answer(store, requests[i], memo, located[i])
        except GridregError as exc:
            out[i] = exc
    return [x for x in out if x is not None]


def _locate(store: GraphStore, req: RoutingRequest) -> Location | None:
    """Where a point request lies (None for a place or grid request)."""
    if req.point is None:
        return None
    p = req.point
    return locate(store, p.lon, p.lat, p.crs, req.at or today(), req.near_metres)


def _prefetch_key(
    req: RoutingRequest, location: Location | None
) -> tuple[str | None, str | None, str | None]:
    """What a remote store prefetches for a request: (place, grid, category)."""
    if location is None:
        return req.place, req.grid, req.category
    place = location.place_chain[0].place.code if location.place_chain else None
    grid = location.grid.code if location.grid is not None else None
    return place, grid, req.category


def _check(req: RoutingRequest) -> None:
    given = [x for x in (req.place, req.grid, req.point) if x is not None]
    if len(given) != 1:
        raise InvalidInput("give exactly one of place, grid or point", field="place")


def _answer(
    store: GraphStore, req: RoutingRequest, memo: _Memo, location: Location | None
) -> Responsibility:
    at = req.at or today()
    if location is not None:
        the_place = location.place_chain[0].place if location.place_chain else None
        grids = [location.grid] if location.grid is not None else []
        grid_found = "geometric"
    else:
        the_place, grids = _subject(store, req.place, req.grid, at)
        grid_found = "listed" if req.place else "given"
    code = req.category
    rule = memo.get(("rule", code, at), lambda: category_rule(store, code, at)) if code else None
    tiers = _tiers(store, the_place, grids, grid_found, rule, at, memo)
    chain = [the_place, *ancestors(store, Place, the_place.code)] if the_place else []
    steps: tuple[EscalationStep, ...] = ()
    partners: tuple[AlliancePartner, ...] = ()
    if chain:
        start = first_centre(store, chain, at)
        county = next((p.code for p in chain if p.level is Level.COUNTY), None)
        steps = memo.get(
            ("esc", start.code if start else None, county, req.category, at),
            lambda: _escalation(store, memo, start, county, chain, rule, at),
        )
        partners = _partners(store, chain, rule, at, memo)
    return Responsibility(
        place=the_place,
        grid=store.get(Grid, req.grid) if req.grid else (location.grid if location else None),
        category=rule.category if rule else None,
        at=at,
        tiers=tiers,
        time_limit_minutes=rule.time_limit_minutes if rule else None,
        emergency=rule.emergency if rule else False,
        escalation=steps,
        alliance_partners=partners,
        location=location,
    )


def _partners(
    store: GraphStore, chain: list[Place], rule: CategoryRule | None, at: date, memo: _Memo
) -> tuple[AlliancePartner, ...]:
    county = next((p for p in chain if p.level is Level.COUNTY), None)
    if county is None:
        return ()
    province = next((p for p in chain if p.level is Level.PROVINCE), None)
    neighbours = memo.get(
        ("borders", chain[0].code, at),
        lambda: bordering_counties(  # each place's borders once: the upper ones are shared
            store,
            [p.code for p in chain],
            at,
            lambda code: memo.get(("border", code, at), partial(border_ends, store, code, at)),
        ),
    )
    functions = rule.functions if rule else None
    return memo.get(
        ("partners", county.code, functions, neighbours, at),
        lambda: partners_of(store, county, province, functions, neighbours, at),
    )


def _tiers(
    store: GraphStore,
    the_place: Place | None,
    grids: list[Grid],
    grid_found: str,
    rule: CategoryRule | None,
    at: date,
    memo: _Memo,
) -> tuple[TierAnswer, ...]:
    local: list[tuple[TierKind, str, dict[str, Any]]] = []  # (kind, found, fields)

    org_seats = partial(_org_seats, store, memo, at=at)

    seen: set[str] = set()
    for g in grids:
        seen.add(g.code)
        seats = memo.get(("grid", g.code, at), partial(_grid_seats, store, g, at))
        local.append((TierKind.GRID, grid_found, {"grid": g, "seats": seats}))
    for g in grids:
        for up in ancestors(store, Grid, g.code):
            if up.code not in seen and in_force(up, at):
                seen.add(up.code)
                seats = memo.get(("grid", up.code, at), partial(_grid_seats, store, up, at))
                local.append((TierKind.GRID, "chain", {"grid": up, "seats": seats}))
    chain = [the_place, *ancestors(store, Place, the_place.code)] if the_place else []
    village = next((p for p in chain if p.level is Level.VILLAGE), None)
    if village is not None:
        roles = rule.roles if rule and rule.roles else None
        seats = memo.get(
            ("village", village.code, roles, at),
            lambda: seats_at(store, "place", village.code, at, roles),
        )
        found = "listed" if village is the_place else "ancestor"
        local.append((TierKind.VILLAGE, found, {"place": village, "seats": seats}))
    limits = rule.centre_limits if rule else {}
    for p in chain:
        if p.level not in (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY):
            continue
        for centre in store.referrers(Organization, "place", p.code):
            if centre.kind is OrgKind.CENTRE and in_force(centre, at):
                level = org_level(store, centre)
                local.append(
                    (
                        TierKind.CENTRE,
                        "ancestor",
                        {
                            "organization": centre,
                            "seats": org_seats(centre.code),
                            "time_limit_minutes": limits.get(level) if level else None,
                        },
                    )
                )
    handling: list[tuple[TierKind, str, dict[str, Any]]] = []
    if rule is not None and the_place is not None:
        acting = list(  # a copy: sorted below
            memo.get(
                ("handlers", rule.category.code, the_place.code, at),
                lambda: handlers_for(store, rule, the_place.code, at, memo.values),
            )
        )
        if rule.emergency:  # nearest force first
            acting.sort(key=lambda x: -locality(org_level(store, x[1])))
        for h, org, found in acting:
            limit = h.time_limit_minutes
            fields = {
                "organization": org,
                "seats": org_seats(org.code),
                "time_limit_minutes": limit if limit is not None else rule.time_limit_minutes,
                "lead": h.lead,
            }
            handling.append((TierKind.DEPARTMENT, found, fields))
    ordered = handling + local if rule is not None and rule.emergency else local + handling
    return tuple(
        TierAnswer(
            rank=i,
            kind=kind,
            found=found,
            grid=fields.get("grid"),
            place=fields.get("place"),
            organization=fields.get("organization"),
            seats=fields["seats"],
            time_limit_minutes=fields.get("time_limit_minutes"),
            lead=fields.get("lead"),
        )
        for i, (kind, found, fields) in enumerate(ordered, start=1)
    )


def _escalation(
    store: GraphStore,
    memo: _Memo,
    start: Organization | None,
    county: str | None,
    chain: list[Place],
    rule: CategoryRule | None,
    at: date,
) -> tuple[EscalationStep, ...]:
    """The escalation steps, shared by the categories with the same centre limits (all they
    depend on besides the start and the county), with the organizations' seats of ``memo``."""
    limits = tuple(sorted(rule.centre_limits.items())) if rule else ()
    return memo.get(
        ("steps", start.code if start else None, county, limits, at),
        lambda: escalation_from(
            store, start, chain, rule, at, partial(_org_seats, store, memo, at=at)
        ),
    )


def _org_seats(store: GraphStore, memo: _Memo, code: str, at: date) -> tuple[SeatAnswer, ...]:
    """An organization's seats at ``at``, shared through ``memo`` (tiers, escalation)."""
    return memo.get(("seats", code, at), lambda: seats_at(store, "organization", code, at))


def _grid_seats(store: GraphStore, grid: Grid, at: date) -> tuple[SeatAnswer, ...]:
    return seats_at(store, "grid", grid.code, at)


def _subject(
    store: GraphStore, place: str | None, grid: str | None, at: date
) -> tuple[Place | None, list[Grid]]:
    if place is not None:
        the_place = store.get(Place, place)
        if the_place is None:
            raise NotFound(f"no place {place!r}", [place])
        return the_place, lowest_covering_grids(store, place, at)
    assert grid is not None
    the_grid = store.get(Grid, grid)
    if the_grid is None:
        raise NotFound(f"no grid {grid!r}", [grid])
    places = covered_places(store, grid, at)
    return (places[0] if places else None), [the_grid]
