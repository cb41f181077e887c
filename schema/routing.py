"""GraphQL types and the query fields ``responsible`` and ``responsibleMany``."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated

import strawberry

from registry.errors import GridregError, InvalidInput, TimeBudgetExceeded
from registry.queries import alliances as qa
from registry.queries import escalation as qe
from registry.queries import responsibility as q
from schema.context import Context
from schema.geo import Location, PointInput
from schema.nodes import (
    Alliance,
    AllianceFunctionEnum,
    Category,
    Ctx,
    Grid,
    LevelEnum,
    Organization,
    Person,
    Place,
    Post,
)

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
    holders: list[Person] = strawberry.field(description="Who holds the seat itself.")
    inherited_from: Post | None = strawberry.field(
        description="For a vacant or missing seat: the seat of the same role at the nearest "
        "ancestor whose holders answer instead (null when none, or the role does not fall back)."
    )
    inherited_holders: list[Person] = strawberry.field(
        description="The holders of `inheritedFrom`."
    )
    found: str = strawberry.field(
        description="listed: the seat's own holders answer; inherited: an ancestor's; none: "
        "nobody answers."
    )

    @strawberry.field(description="True when the seat exists but nobody holds it.")
    def vacant(self) -> bool:
        return self.status is SeatStatus.VACANT

    @strawberry.field(description="Who answers for the seat: its holders, else the inherited.")
    def answering(self) -> list[Person]:
        return self.holders or self.inherited_holders

    @staticmethod
    def of(s: q.SeatAnswer) -> Seat:
        hit = _SEATS.get(id(s))
        if hit is not None and hit[0] is s:
            return hit[1]
        seat = Seat(
            role_code=s.role_code,
            status=SeatStatus(s.status),
            post=None if s.post is None else Post.of(s.post),
            holders=[Person.of(p) for p in s.holders],
            inherited_from=None if s.inherited_from is None else Post.of(s.inherited_from),
            inherited_holders=[Person.of(p) for p in s.inherited_holders],
            found=s.found,
        )
        if len(_SEATS) >= MAX_SEATS:
            _SEATS.clear()
        _SEATS[id(s)] = (s, seat)
        return seat


#: Most converted seats kept. ``responsible_for`` shares its seat answers between calls until
#: the data changes (most requests share their centres' and upper grids' seats), so their
#: conversions are kept by the identity of the answer; each entry keeps its answer alive, so an
#: identity is never reused while cached, and a write makes new answers. Nothing here depends
#: on the caller: phone numbers are masked per request by ``Person.phone``.
MAX_SEATS = 10_000
_SEATS: dict[int, tuple[q.SeatAnswer, Seat]] = {}


@strawberry.type(description="One tier of responsibility, most local first.")
class ResponsibleTier:
    rank: int
    kind: TierKindEnum  # type: ignore[valid-type]
    found: str = strawberry.field(
        description="How it was found: listed (the grid lists the place), given (the grid asked "
        "for), geometric (the point lies in the grid), chain (a grid above), ancestor (the "
        "place's village, township or county), handling (a rule names the organization), unit "
        "(the named organization's unit at the rule's level), kind (a rule names its kind)."
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


@strawberry.type(description="One step up when nobody acts in time: a centre, then supervision.")
class EscalationStep:
    rank: int
    kind: str = strawberry.field(description="centre or supervision (挂牌督办).")
    organization: Organization
    level: LevelEnum | None  # type: ignore[valid-type]
    seats: list[Seat]
    time_limit_minutes: int | None = strawberry.field(
        description="This step's own time limit (from the category's centre rules)."
    )
    cumulative_minutes: int | None = strawberry.field(
        description="Minutes from receipt until this step's time runs out."
    )

    @staticmethod
    def of(s: qe.EscalationStep) -> EscalationStep:
        return EscalationStep(
            rank=s.rank,
            kind=s.kind,
            organization=Organization.of(s.organization),
            level=s.level,
            seats=[Seat.of(x) for x in s.seats],
            time_limit_minutes=s.time_limit_minutes,
            cumulative_minutes=s.cumulative_minutes,
        )


@strawberry.type(description="A governance centre of a partner county, with its seats.")
class PartnerCentre:
    organization: Organization
    seats: list[Seat]


@strawberry.type(description="An allied county to call on for this matter.")
class AlliancePartner:
    alliance: Alliance
    county: Place
    province: Place | None
    scope: str
    functions: list[AllianceFunctionEnum] = strawberry.field(  # type: ignore[valid-type]
        description="The alliance's joint functions that cover the category."
    )
    cross_province: bool
    bordering: bool = strawberry.field(
        description="True when the partner county borders the place or one of its ancestors."
    )
    centres: list[PartnerCentre]

    @staticmethod
    def of(p: qa.AlliancePartner) -> AlliancePartner:
        return AlliancePartner(
            alliance=Alliance.of(p.alliance),
            county=Place.of(p.county),
            province=None if p.province is None else Place.of(p.province),
            scope=p.scope,
            functions=list(p.functions),
            cross_province=p.cross_province,
            bordering=p.bordering,
            centres=[
                PartnerCentre(
                    organization=Organization.of(c.organization),
                    seats=[Seat.of(s) for s in c.seats],
                )
                for c in p.centres
            ],
        )


@strawberry.type(description="Who is responsible for a place, grid or point and a matter.")
class Responsibility:
    place: Place | None
    grid: Grid | None
    category: Category | None
    at: date = strawberry.field(description="The moment the answer is true at.")
    time_limit_minutes: int | None
    emergency: bool = strawberry.field(
        description="True for an emergency: the nearest force comes first, paperwork later."
    )
    tiers: list[ResponsibleTier]
    answer: strawberry.Private[q.Responsibility]

    # escalation, partners and location are converted only when a request selects them
    @strawberry.field
    def escalation(self) -> list[EscalationStep]:
        return [EscalationStep.of(s) for s in self.answer.escalation]

    @strawberry.field
    def alliance_partners(self) -> list[AlliancePartner]:
        return [AlliancePartner.of(p) for p in self.answer.alliance_partners]

    @strawberry.field(description="For a point: where it lies (status, candidates, nearest grids).")
    def location(self) -> Location | None:
        return None if self.answer.location is None else Location.of(self.answer.location)

    @staticmethod
    def of(ans: q.Responsibility) -> Responsibility:
        return Responsibility(
            place=None if ans.place is None else Place.of(ans.place),
            grid=None if ans.grid is None else Grid.of(ans.grid),
            category=None if ans.category is None else Category.of(ans.category),
            at=ans.at,
            time_limit_minutes=ans.time_limit_minutes,
            emergency=ans.emergency,
            tiers=[ResponsibleTier.of(t) for t in ans.tiers],
            answer=ans,
        )


@strawberry.input(description="One routing request: exactly one of place, grid and point.")
class RoutingRequestInput:
    place: str | None = None
    grid: str | None = None
    point: PointInput | None = None
    category: str | None = None
    at: date | None = None
    near_metres: float = 50.0


@strawberry.type(description="Why one request of a batch has no answer.")
class RoutingError:
    index: int = strawberry.field(description="Position of the request in the batch (from 0).")
    code: str = strawberry.field(description="A stable code: NOT_FOUND, INVALID_INPUT, ...")
    message: str
    ids: list[str]


@strawberry.type(description="The answer to one request of a batch.")
class RoutingResult:
    index: int
    responsibility: Responsibility | None
    error: RoutingError | None


def _request(r: RoutingRequestInput) -> q.RoutingRequest:
    point = None if r.point is None else q.Point(r.point.lon, r.point.lat, r.point.crs.value)
    return q.RoutingRequest(
        r.place, r.grid, point, r.category, Context.default_at(r.at), r.near_metres
    )


@strawberry.type
class RoutingQuery:
    @strawberry.field(
        description="Who is responsible for a place, a grid or a map point (exactly one) and a "
        "category at `at` (default today): ordered tiers (grid seats, the grid chain, the "
        "village's seats for the roles the category involves, the centres, the handling "
        "organizations with their time limits; vacant seats name who stands in), the "
        "escalation steps with cumulative time limits, and the alliance partners."
    )
    def responsible(
        self,
        info: Ctx,
        place: str | None = None,
        grid: str | None = None,
        point: PointInput | None = None,
        category: str | None = None,
        at: date | None = None,
        near_metres: float = 50.0,
    ) -> Responsibility:
        req = _request(
            RoutingRequestInput(
                place=place,
                grid=grid,
                point=point,
                category=category,
                at=at,
                near_metres=near_metres,
            )
        )
        ans = q.responsible_for(
            info.context.store,
            place=req.place,
            grid=req.grid,
            category=req.category,
            at=req.at,
            point=req.point,
            near_metres=req.near_metres,
        )
        return Responsibility.of(ans)

    @strawberry.field(
        description=f"`responsible` for many requests (at most {q.MAX_BATCH} per call), with "
        "the work shared: one result per request, in order, each with the answer or a typed "
        "error; one bad request does not fail the others. When the request's time budget runs "
        "out, the remaining items get TIME_BUDGET_EXCEEDED and the response says "
        "`extensions.incomplete`."
    )
    def responsible_many(
        self,
        info: Ctx,
        requests: Annotated[
            list[RoutingRequestInput],
            strawberry.argument(description=f"At most {q.MAX_BATCH}."),
        ],
    ) -> list[RoutingResult]:
        if len(requests) > q.MAX_BATCH:
            raise InvalidInput(
                f"at most {q.MAX_BATCH} requests per call, got {len(requests)}", field="requests"
            )
        budget = info.context.budget
        answers = q.responsible_many(
            info.context.store, [_request(r) for r in requests], budget.spent
        )
        out = []
        for i, ans in enumerate(answers):
            if isinstance(ans, TimeBudgetExceeded):
                budget.stop()
            if isinstance(ans, GridregError):
                err = RoutingError(index=i, code=ans.code, message=ans.message, ids=list(ans.ids))
                out.append(RoutingResult(index=i, responsibility=None, error=err))
            else:
                out.append(
                    RoutingResult(index=i, responsibility=Responsibility.of(ans), error=None)
                )
        return out
