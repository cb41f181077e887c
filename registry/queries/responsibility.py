"""Who is responsible for a place (or grid) and a matter: the ordered tiers.

First version (routing by point, vacancy fallback and escalation come later): the grid workers of
the most local grid(s) covering the place, the grid chain upward, the village's seats for the
roles the category involves, the village, township and county centres, and the departments
that handle the category with their time limits. Vacant seats are returned as vacant, and a
required role with no seat at all as missing, never silently dropped.

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

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from registry.codes import Level
from registry.errors import InvalidInput, NotFound
from registry.model import (
    Category,
    Grid,
    Handling,
    Holding,
    Jurisdiction,
    Organization,
    OrgKind,
    Person,
    Place,
    Post,
    in_force,
)
from registry.queries.hierarchy import (
    ancestor_at_level,
    ancestors,
    covered_places,
    is_within,
    lowest_covering_grids,
    today,
)
from registry.store.base import GraphStore

__all__ = [
    "Responsibility",
    "SeatAnswer",
    "TierAnswer",
    "TierKind",
    "category_rule",
    "responsible_for",
    "seats_at",
]


class TierKind(StrEnum):
    """What a tier of responsibility is."""

    GRID = "grid"
    VILLAGE = "village"
    CENTRE = "centre"
    DEPARTMENT = "department"


@dataclass(frozen=True, slots=True)
class SeatAnswer:
    """A seat and who holds it at ``at``; ``post`` is None when the role has no seat (missing)."""

    role_code: str
    post: Post | None
    holders: tuple[Person, ...]

    @property
    def status(self) -> str:
        """``filled``, ``vacant`` (seat without holder) or ``missing`` (no seat)."""
        if self.post is None:
            return "missing"
        return "filled" if self.holders else "vacant"


@dataclass(frozen=True, slots=True)
class TierAnswer:
    """One tier: a grid, the village, a centre or a handling department, with its seats."""

    rank: int
    kind: TierKind
    found: str  # listed (grid lists the place), chain (grid above), ancestor, handling
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


def seats_at(
    store: GraphStore, field: str, key: str, at: date, roles: tuple[str, ...] | None = None
) -> tuple[SeatAnswer, ...]:
    """Seats at a place, grid or organization (``field``), with their holders at ``at``.

    With ``roles``, only those roles, in that order, and a missing entry for a role with no seat.
    """
    posts = [p for p in store.referrers(Post, field, key) if in_force(p, at)]
    holdings = store.referrers_many(Holding, "post", [p.id for p in posts])
    answers: dict[str, list[SeatAnswer]] = {}
    for post, held in zip(posts, holdings, strict=True):
        person_ids = [h.person for h in held if in_force(h, at)]
        people = tuple(p for p in store.get_many(Person, person_ids) if p is not None)
        answers.setdefault(post.role, []).append(SeatAnswer(post.role, post, people))
    if roles is None:
        return tuple(s for role in sorted(answers) for s in answers[role])
    out: list[SeatAnswer] = []
    for role in roles:
        out.extend(answers.get(role) or [SeatAnswer(role, None, ())])
    return tuple(out)


def category_rule(
    store: GraphStore, code: str, at: date
) -> tuple[Category, tuple[str, ...], list[Handling], int | None]:
    """A category with its involved roles, handlers and time limit, inherited from its class."""
    category = store.get(Category, code)
    if category is None:
        raise NotFound(f"no category {code!r}", [code])
    roles, limit = category.roles, category.time_limit_minutes
    handlers: list[Handling] = []
    node: Category | None = category
    while node is not None:
        roles = roles or node.roles
        limit = limit if limit is not None else node.time_limit_minutes
        if not handlers:
            handlers = [
                h for h in store.referrers(Handling, "category", node.code) if in_force(h, at)
            ]
        node = store.get(Category, node.parent) if node.parent else None
    return category, roles, handlers, limit


def _centres(store: GraphStore, place: Place, at: date) -> list[Organization]:
    chain = [place, *ancestors(store, Place, place.code)]
    out: list[Organization] = []
    for p in chain:
        if p.level in (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY):
            out.extend(
                o
                for o in store.referrers(Organization, "place", p.code)
                if o.kind is OrgKind.CENTRE and in_force(o, at)
            )
    return out


def _serves(store: GraphStore, org: Organization, place: Place, county: Place | None) -> bool:
    """True when ``org`` serves ``place``: by jurisdiction if it has one, else by county."""
    areas = store.referrers(Jurisdiction, "organization", org.code)
    if areas:
        return any(is_within(store, place.code, j.place) for j in areas)
    return county is not None and is_within(store, org.place, county.code)


def responsible_for(
    store: GraphStore,
    place: str | None = None,
    grid: str | None = None,
    category: str | None = None,
    at: date | None = None,
) -> Responsibility:
    """The ordered tiers of who is responsible for ``place`` (or ``grid``) and ``category``."""
    at = at or today()
    if (place is None) == (grid is None):
        raise InvalidInput("give exactly one of place or grid", field="place")
    prefetch = getattr(store, "prefetch_responsible", None)
    if prefetch is not None:  # a remote store fetches everything read below in one round trip
        store = prefetch(place, grid, category)
    the_place, grids = _subject(store, place, grid, at)
    tiers: list[TierAnswer] = []

    def add(kind: TierKind, found: str, seats: tuple[SeatAnswer, ...], **kw: object) -> None:
        tiers.append(TierAnswer(len(tiers) + 1, kind, found, seats=seats, **kw))  # type: ignore[arg-type]

    seen: set[str] = set()
    for g in grids:
        seen.add(g.code)
        add(
            TierKind.GRID,
            "listed" if place else "given",
            seats_at(store, "grid", g.code, at),
            grid=g,
            place=None,
            organization=None,
        )
    for g in grids:
        for up in ancestors(store, Grid, g.code):
            if up.code not in seen and in_force(up, at):
                seen.add(up.code)
                add(
                    TierKind.GRID,
                    "chain",
                    seats_at(store, "grid", up.code, at),
                    grid=up,
                    place=None,
                    organization=None,
                )

    rule = category_rule(store, category, at) if category else None
    roles = rule[1] if rule else None
    village = ancestor_at_level(store, the_place.code, Level.VILLAGE) if the_place else None
    if village is not None:
        add(
            TierKind.VILLAGE,
            "ancestor" if village is not the_place else "listed",
            seats_at(store, "place", village.code, at, roles or None),
            grid=None,
            place=village,
            organization=None,
        )
    if the_place is not None:
        for centre in _centres(store, the_place, at):
            add(
                TierKind.CENTRE,
                "ancestor",
                seats_at(store, "organization", centre.code, at),
                grid=None,
                place=None,
                organization=centre,
            )
    if rule is not None and the_place is not None:
        county = ancestor_at_level(store, the_place.code, Level.COUNTY)
        handlers = sorted(rule[2], key=lambda h: (not h.lead, h.organization))
        orgs = store.get_many(Organization, [h.organization for h in handlers])
        for h, org in zip(handlers, orgs, strict=True):
            if org is not None and in_force(org, at) and _serves(store, org, the_place, county):
                add(
                    TierKind.DEPARTMENT,
                    "handling",
                    seats_at(store, "organization", org.code, at),
                    grid=None,
                    place=None,
                    organization=org,
                    time_limit_minutes=h.time_limit_minutes,
                    lead=h.lead,
                )
    return Responsibility(
        place=the_place,
        grid=store.get(Grid, grid) if grid else None,
        category=rule[0] if rule else None,
        at=at,
        tiers=tuple(tiers),
        time_limit_minutes=rule[3] if rule else None,
    )


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
