"""GraphQL types and the query field for the planners' ``coverage`` report."""

from __future__ import annotations

from datetime import date

import strawberry

from registry.queries import coverage as q
from schema.context import Context
from schema.nodes import Ctx, LevelEnum, Place, RoleTemplate
from schema.pagination import Connection, paginate
from schema.routing import SeatStatus

__all__ = ["CoverageQuery", "CoverageReport"]


@strawberry.type(description="How many required roles are filled, vacant or missing.")
class StatusCounts:
    filled: int
    vacant: int
    missing: int
    total: int
    fill_rate: float = strawberry.field(description="filled / total (1.0 when total is 0).")

    @staticmethod
    def of(filled: int, vacant: int, missing: int) -> StatusCounts:
        total = filled + vacant + missing
        return StatusCounts(
            filled=filled,
            vacant=vacant,
            missing=missing,
            total=total,
            fill_rate=filled / total if total else 1.0,
        )


@strawberry.type(description="Counts rolled up for one township or county.")
class CoverageRollup:
    code: str
    name: str
    level: LevelEnum  # type: ignore[valid-type]
    counts: StatusCounts


@strawberry.type(description="Status of one required role at one place or grid.")
class CoverageEntry:
    subject_code: str
    subject_kind: str = strawberry.field(description="place or grid")
    subject_name: str
    township_code: str | None
    county_code: str | None
    template_code: str
    role_code: str
    required: int
    seats: int
    holders: int
    status: SeatStatus
    last_term_ended: date | None = strawberry.field(
        description="When not filled: the day the most recent term of this role ended."
    )

    @staticmethod
    def of(e: q.CoverageEntry) -> CoverageEntry:
        return CoverageEntry(
            subject_code=e.subject,
            subject_kind=e.subject_kind,
            subject_name=e.subject_name,
            township_code=e.township,
            county_code=e.county,
            template_code=e.template,
            role_code=e.role,
            required=e.required,
            seats=e.seats,
            holders=e.holders,
            status=SeatStatus(e.status),
            last_term_ended=e.last_term_ended,
        )


@strawberry.type
class LevelCount:
    level: LevelEnum  # type: ignore[valid-type]
    count: int


@strawberry.type
class TierCount:
    tier: int
    count: int


@strawberry.type(description="Coverage of a scope against staffing standards, at a day.")
class CoverageReport:
    report: strawberry.Private[q.CoverageReport]
    scope: Place
    at: date
    templates: list[RoleTemplate]
    totals: StatusCounts
    rollups: list[CoverageRollup]
    places_per_level: list[LevelCount]
    grids_per_tier: list[TierCount]
    uncovered_places: list[Place] = strawberry.field(
        description="Places at the level of the county's lowest grid tier that no grid of that "
        "tier covers."
    )

    @strawberry.field(description="Per (place or grid, role) statuses; filter by status.")
    def entries(
        self,
        info: Ctx,
        status: SeatStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CoverageEntry]:
        found = [e for e in self.report.entries if status is None or e.status == status.value]
        return paginate(found, first, after, info.context.max_page_size, CoverageEntry.of)


@strawberry.type
class CoverageQuery:
    @strawberry.field(
        description="Where are we not covered? Status of every role required by the template "
        "(or every template applying to the scope) at every place or grid under the scope."
    )
    def coverage(
        self, info: Ctx, scope: str, template: str | None = None, at: date | None = None
    ) -> CoverageReport:
        r = q.coverage_report(info.context.store, scope, template, Context.default_at(at))
        return CoverageReport(
            report=r,
            scope=Place.of(r.scope),
            at=r.at,
            templates=[RoleTemplate.of(t) for t in r.templates],
            totals=StatusCounts.of(r.count("filled"), r.count("vacant"), r.count("missing")),
            rollups=[
                CoverageRollup(
                    code=x.code,
                    name=x.name,
                    level=x.level,
                    counts=StatusCounts.of(
                        x.counts["filled"], x.counts["vacant"], x.counts["missing"]
                    ),
                )
                for x in r.rollups
            ],
            places_per_level=[LevelCount(level=k, count=v) for k, v in r.places_per_level.items()],
            grids_per_tier=[TierCount(tier=k, count=v) for k, v in r.grids_per_tier.items()],
            uncovered_places=[Place.of(p) for p in r.uncovered_places],
        )
