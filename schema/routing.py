"""GraphQL types and the query field for ``responsible``."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from registry.queries import responsibility as q
from schema.context import Context
from schema.nodes import Category, Ctx, Grid, Organization, Person, Place, Post

__all__ = ["Responsibility", "RoutingQuery", "SeatStatus"]

TierKindEnum = strawberry.enum(q.TierKind, name="TierKind", description="What a tier is.")


class SeatStatus(Enum):
    FILLED = "filled"
    VACANT = "vacant"
    MISSING = "missing"


SeatStatusEnum = strawberry.enum(
    SeatStatus,
    name="SeatStatus",
    description="filled: held; vacant: a seat without holder; missing: the role has no seat.",
)


@strawberry.type(description="A seat in a tier and who holds it.")
class Seat:
    role_code: str
    status: SeatStatus
    post: Post | None
    holders: list[Person]

    @strawberry.field(description="True when the seat exists but nobody holds it.")
    def vacant(self) -> bool:
        return self.status is SeatStatus.VACANT

    @staticmethod
    def of(s: q.SeatAnswer) -> Seat:
        return Seat(
            role_code=s.role_code,
            status=SeatStatus(s.status),
            post=None if s.post is None else Post.of(s.post),
            holders=[Person.of(p) for p in s.holders],
        )


@strawberry.type(description="One tier of responsibility, most local first.")
class ResponsibleTier:
    rank: int
    kind: TierKindEnum  # type: ignore[valid-type]
    found: str = strawberry.field(
        description="How it was found: listed (the grid lists the place), chain (a grid above), "
        "ancestor (the place's village, township or county), handling (a handling rule)."
    )
    grid: Grid | None
    place: Place | None
    organization: Organization | None
    seats: list[Seat]
    time_limit_minutes: int | None
    lead: bool | None

    @staticmethod
    def of(t: q.TierAnswer) -> ResponsibleTier:
        return ResponsibleTier(
            rank=t.rank,
            kind=t.kind,
            found=t.found,
            grid=None if t.grid is None else Grid.of(t.grid),
            place=None if t.place is None else Place.of(t.place),
            organization=None if t.organization is None else Organization.of(t.organization),
            seats=[Seat.of(s) for s in t.seats],
            time_limit_minutes=t.time_limit_minutes,
            lead=t.lead,
        )


@strawberry.type(description="Who is responsible for a place or grid and a matter.")
class Responsibility:
    place: Place | None
    grid: Grid | None
    category: Category | None
    at: date
    time_limit_minutes: int | None
    tiers: list[ResponsibleTier]


@strawberry.type
class RoutingQuery:
    @strawberry.field(
        description="Ordered tiers of who is responsible for a place (or grid) and a category: "
        "grid seats, the grid chain, the village's seats for the roles the category involves, "
        "the centres, and the handling departments with their time limits."
    )
    def responsible(
        self,
        info: Ctx,
        place: str | None = None,
        grid: str | None = None,
        category: str | None = None,
        at: date | None = None,
    ) -> Responsibility:
        ans = q.responsible_for(
            info.context.store, place=place, grid=grid, category=category, at=Context.default_at(at)
        )
        return Responsibility(
            place=None if ans.place is None else Place.of(ans.place),
            grid=None if ans.grid is None else Grid.of(ans.grid),
            category=None if ans.category is None else Category.of(ans.category),
            at=ans.at,
            time_limit_minutes=ans.time_limit_minutes,
            tiers=[ResponsibleTier.of(t) for t in ans.tiers],
        )
