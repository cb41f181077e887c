"""GraphQL types and the query field for the planners' ``coverage`` report."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from registry.queries import coverage as q
from registry.queries import reach as qr
from registry.queries import structure as qs
from registry.queries import territory as qt
from registry.queries import workload as qw
from schema.context import Context
from schema.exports import ExportFormat, report_export_url
from schema.nodes import Ctx, Grid, LevelEnum, Organization, Person, Place, RoleTemplate
from schema.pagination import Connection, paginate

__all__ = ["CoverageQuery", "CoverageReport", "CoverageStatus"]


@strawberry.enum(
    description="Status of a required role: FILLED, EXPIRING (a term ends within the report's "
    "expiringDays) and OVER_STAFFED (more holders than the maximum) meet the requirement; "
    "VACANT (seat never held), EXPIRED (the last term ended) and MISSING (no seat) do not."
)
class CoverageStatus(Enum):
    FILLED = "filled"
    EXPIRING = "expiring"
    OVER_STAFFED = "over_staffed"
    VACANT = "vacant"
    EXPIRED = "expired"
    MISSING = "missing"


@strawberry.type(description="How many required roles have each status.")
class StatusCounts:
    filled: int
    expiring: int
    over_staffed: int
    vacant: int
    expired: int
    missing: int
    total: int
    met: int = strawberry.field(description="filled + expiring + overStaffed.")
    fill_rate: float = strawberry.field(description="met / total (1.0 when total is 0).")

    @staticmethod
    def of(counts: dict[str, int]) -> StatusCounts:
        total = sum(counts.get(s, 0) for s in q.STATUSES)
        met = sum(counts.get(s, 0) for s in q.MET)
        return StatusCounts(
            filled=counts.get("filled", 0),
            expiring=counts.get("expiring", 0),
            over_staffed=counts.get("over_staffed", 0),
            vacant=counts.get("vacant", 0),
            expired=counts.get("expired", 0),
            missing=counts.get("missing", 0),
            total=total,
            met=met,
            fill_rate=met / total if total else 1.0,
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
    maximum: int | None
    seats: int
    holders: int
    status: CoverageStatus
    last_term_ended: date | None = strawberry.field(
        description="When not met: the day the most recent term of this role ended."
    )
    term_ends: date | None = strawberry.field(
        description="When EXPIRING: the day the first current term ends."
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
            maximum=e.maximum,
            seats=e.seats,
            holders=e.holders,
            status=CoverageStatus(e.status),
            last_term_ended=e.last_term_ended,
            term_ends=e.term_ends,
        )


@strawberry.type
class LevelCount:
    level: LevelEnum  # type: ignore[valid-type]
    count: int


@strawberry.type
class TierCount:
    tier: int
    count: int


# --- territory, workload, structure, reach ---------------------------------------------------


@strawberry.type(description="A place covered by lowest-tier grids of different parents.")
class DoubleCover:
    place: Place
    grids: list[Grid]


@strawberry.type(description="Two grids of one tier whose boundaries overlap.")
class GridOverlap:
    first: Grid
    second: Grid
    square_metres: float


@strawberry.type(description="A grid whose chain upward is broken.")
class BrokenChain:
    grid: Grid
    reason: str = strawberry.field(
        description="missing_parent, parent_not_in_force, skips_tier or no_parent."
    )


@strawberry.type(description="Territorial completeness of the scope.")
class Territory:
    uncovered: list[Place] = strawberry.field(
        description="Places at the level of their county's lowest grid tier that no grid of "
        "that tier covers."
    )
    double_covered: list[DoubleCover]
    overlapping: list[GridOverlap]
    broken_chains: list[BrokenChain]
    without_worker: list[Grid] = strawberry.field(
        description="Lowest-tier grids where nobody holds a grid worker seat."
    )

    @staticmethod
    def of(t: qt.Territory) -> Territory:
        return Territory(
            uncovered=[Place.of(p) for p in t.uncovered],
            double_covered=[
                DoubleCover(place=Place.of(d.place), grids=[Grid.of(g) for g in d.grids])
                for d in t.double_covered
            ],
            overlapping=[
                GridOverlap(
                    first=Grid.of(o.first), second=Grid.of(o.second), square_metres=o.square_metres
                )
                for o in t.overlapping
            ],
            broken_chains=[
                BrokenChain(grid=Grid.of(b.grid), reason=b.reason) for b in t.broken_chains
            ],
            without_worker=[Grid.of(g) for g in t.without_worker],
        )


@strawberry.type(description="How a measure spreads over the workers.")
class Spread:
    minimum: float
    median: float
    p90: float
    maximum: float
    mean: float
    fence: float = strawberry.field(description="Tukey's upper fence: Q3 + 1.5 × IQR.")

    @staticmethod
    def of(s: qw.Spread) -> Spread:
        return Spread(
            minimum=s.minimum,
            median=s.median,
            p90=s.p90,
            maximum=s.maximum,
            mean=s.mean,
            fence=s.fence,
        )


@strawberry.type(description="One grid worker's load.")
class WorkerLoad:
    person: Person
    grid_codes: list[str]
    places: int
    households: int

    @staticmethod
    def of(w: qw.WorkerLoad) -> WorkerLoad:
        return WorkerLoad(
            person=Person.of(w.person),
            grid_codes=list(w.grids),
            places=w.places,
            households=w.households,
        )


@strawberry.type(description="Grid workers' load: grids, places and households per worker.")
class Workload:
    load: strawberry.Private[qw.Workload]
    workers_count: int
    grids: Spread
    places: Spread
    households: Spread
    outliers: list[WorkerLoad] = strawberry.field(
        description="Workers above the upper fence of any measure."
    )

    @strawberry.field(description="Every worker, most households first.")
    def workers(
        self, info: Ctx, first: int | None = None, after: str | None = None
    ) -> Connection[WorkerLoad]:
        return paginate(
            list(self.load.workers), first, after, info.context.max_page_size, WorkerLoad.of
        )

    @staticmethod
    def of(w: qw.Workload) -> Workload:
        return Workload(
            load=w,
            workers_count=len(w.workers),
            grids=Spread.of(w.grids),
            places=Spread.of(w.places),
            households=Spread.of(w.households),
            outliers=[WorkerLoad.of(x) for x in w.outliers],
        )


@strawberry.type(description="How many parents have how many children.")
class HistogramBar:
    children: int
    parents: int


@strawberry.type(description="Children per parent, for the places of a level or grids of a tier.")
class FanOut:
    kind: str = strawberry.field(description="place or grid")
    parent_level: str = strawberry.field(description="The parents' level, or tier for grids.")
    parents: int
    minimum: int
    median: float
    maximum: int
    histogram: list[HistogramBar]


@strawberry.type(description="The structure of the scope and the organizations it lacks.")
class Structure:
    places_per_level: list[LevelCount]
    grids_per_tier: list[TierCount]
    fan_out: list[FanOut]
    centres_missing: list[Place] = strawberry.field(
        description="Counties, townships and villages without a governance centre."
    )
    unstationed: list[Organization] = strawberry.field(
        description="Departments and units located in the scope stationed at no centre."
    )
    isolated_border_counties: list[Place] = strawberry.field(
        description="Counties bordering another county that belong to no alliance in force."
    )

    @staticmethod
    def of(s: qs.Structure) -> Structure:
        return Structure(
            places_per_level=[LevelCount(level=k, count=v) for k, v in s.places_per_level.items()],
            grids_per_tier=[TierCount(tier=k, count=v) for k, v in s.grids_per_tier.items()],
            fan_out=[
                FanOut(
                    kind=f.kind,
                    parent_level=f.parent_level,
                    parents=f.parents,
                    minimum=f.minimum,
                    median=f.median,
                    maximum=f.maximum,
                    histogram=[HistogramBar(children=k, parents=v) for k, v in f.histogram.items()],
                )
                for f in s.fan_out
            ],
            centres_missing=[Place.of(p) for p in s.centres_missing],
            unstationed=[Organization.of(o) for o in s.unstationed],
            isolated_border_counties=[Place.of(p) for p in s.isolated_border_counties],
        )


@strawberry.type(description="A place out of reach, and how far the nearest mediation point is.")
class FarPlace:
    place: Place
    metres: float


@strawberry.type(
    description="Distance coverage: places (by the centroid of their boundary) within the given "
    "minutes at the given speed of a mediation point (mediation committee or centre)."
)
class Reach:
    minutes: float
    speed_kmh: float
    radius_metres: float
    level: LevelEnum | None  # type: ignore[valid-type]
    points: list[Organization]
    points_without_location: int
    measured: int
    unmeasured: int
    within: int
    share: float
    outside: list[FarPlace]

    @staticmethod
    def of(r: qr.Reach) -> Reach:
        return Reach(
            minutes=r.minutes,
            speed_kmh=r.speed_kmh,
            radius_metres=r.radius_m,
            level=r.level,
            points=[Organization.of(o) for o in r.points],
            points_without_location=r.points_without_location,
            measured=r.measured,
            unmeasured=r.unmeasured,
            within=r.within,
            share=r.share,
            outside=[FarPlace(place=Place.of(p), metres=m) for p, m in r.outside],
        )


_BUDGET = (
    " Null when the request's time budget has run out (the response then says "
    "`extensions.incomplete`)."
)


def _out_of_time(info: Ctx) -> bool:
    """True (and the answer marked incomplete) when the request's budget is spent."""
    budget = info.context.budget
    if budget.spent():
        budget.stop()
        return True
    return False


# --- the report -------------------------------------------------------------------------------


@strawberry.type(description="Coverage of a scope against staffing standards, at a day.")
class CoverageReport:
    report: strawberry.Private[q.CoverageReport]
    scope: Place
    at: date
    expiring_days: int
    templates: list[RoleTemplate]
    totals: StatusCounts
    rollups: list[CoverageRollup]
    places_per_level: list[LevelCount]
    grids_per_tier: list[TierCount]
    uncovered_places: list[Place] = strawberry.field(
        description="Places at the level of the county's lowest grid tier that no grid of that "
        "tier covers."
    )

    @strawberry.field(
        description="Per (place or grid, role) statuses; filter by status and township."
    )
    def entries(
        self,
        info: Ctx,
        status: CoverageStatus | None = None,
        township: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CoverageEntry]:
        found = [
            e
            for e in self.report.entries
            if (status is None or e.status == status.value)
            and (township is None or e.township == township)
        ]
        return paginate(found, first, after, info.context.max_page_size, CoverageEntry.of)

    @strawberry.field(description="The gaps: every entry whose requirement is not met.")
    def gaps(
        self, info: Ctx, first: int | None = None, after: str | None = None
    ) -> Connection[CoverageEntry]:
        found = [e for e in self.report.entries if e.status not in q.MET]
        return paginate(found, first, after, info.context.max_page_size, CoverageEntry.of)

    @strawberry.field(description=f"Territorial completeness of the scope.{_BUDGET}")
    def territory(self, info: Ctx) -> Territory | None:
        if _out_of_time(info):
            return None
        r = self.report
        return Territory.of(qt.territory_report(info.context.store, r.scope.code, r.at))

    @strawberry.field(description=f"Grid workers' load in the scope.{_BUDGET}")
    def workload(self, info: Ctx) -> Workload | None:
        if _out_of_time(info):
            return None
        r = self.report
        return Workload.of(qw.workload_report(info.context.store, r.scope.code, r.at))

    @strawberry.field(
        description=f"Counts, fan-outs and missing organizations of the scope.{_BUDGET}"
    )
    def structure(self, info: Ctx) -> Structure | None:
        if _out_of_time(info):
            return None
        r = self.report
        return Structure.of(qs.structure_report(info.context.store, r.scope.code, r.at))

    @strawberry.field(description=f"Share of places within reach of a mediation point.{_BUDGET}")
    def reach(self, info: Ctx, minutes: float = 15.0, speed_kmh: float = 20.0) -> Reach | None:
        if _out_of_time(info):
            return None
        r = self.report
        found = qr.reach_report(info.context.store, r.scope.code, r.at, minutes, speed_kmh)
        return Reach.of(found)

    @strawberry.field(
        description="Relative URL downloading this report (scope, day, template, expiring days) "
        "as a file: XLSX (sheets 缺口, 汇总, 未覆盖), CSV of the gaps (UTF-8 with BOM) or JSON; "
        "Chinese headers."
    )
    def export_url(self, format: ExportFormat = ExportFormat.XLSX) -> str:
        return report_export_url(self.report, format.value)

    @staticmethod
    def of(r: q.CoverageReport) -> CoverageReport:
        return CoverageReport(
            report=r,
            scope=Place.of(r.scope),
            at=r.at,
            expiring_days=r.expiring_days,
            templates=[RoleTemplate.of(t) for t in r.templates],
            totals=StatusCounts.of(dict(r.totals)),
            rollups=[
                CoverageRollup(
                    code=x.code, name=x.name, level=x.level, counts=StatusCounts.of(dict(x.counts))
                )
                for x in r.rollups
            ],
            places_per_level=[LevelCount(level=k, count=v) for k, v in r.places_per_level.items()],
            grids_per_tier=[TierCount(tier=k, count=v) for k, v in r.grids_per_tier.items()],
            uncovered_places=[Place.of(p) for p in r.uncovered_places],
        )


@strawberry.type
class CoverageQuery:
    @strawberry.field(
        description="Where are we not covered? Status of every role required by the template "
        "(or every template applying to the scope) at every place or grid under the scope, "
        "rolled up by township and county; territory, workload, structure and reach on demand."
    )
    def coverage(
        self,
        info: Ctx,
        scope: str,
        template: str | None = None,
        at: date | None = None,
        expiring_days: int = q.EXPIRING_DAYS,
    ) -> CoverageReport:
        r = q.coverage_report(
            info.context.store, scope, template, Context.default_at(at), expiring_days
        )
        return CoverageReport.of(r)
