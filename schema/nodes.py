"""GraphQL types for the registry's records, with navigation through per-request DataLoaders.

Every type keeps its record in a private field; navigation fields resolve through the
request's loaders so nested lists cost one store call per level, not one per item.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from registry import model as m
from registry.auth import mask_phone
from registry.codes import Level
from registry.queries import hierarchy
from schema.context import Context
from schema.pagination import Connection, paginate

__all__ = [
    "Alliance",
    "Category",
    "Grid",
    "Holding",
    "Organization",
    "Person",
    "Place",
    "Post",
    "Role",
    "RoleTemplate",
    "wrap",
]

LevelEnum = strawberry.enum(Level, name="Level", description="Administrative level.")
OrgKindEnum = strawberry.enum(m.OrgKind, name="OrgKind", description="Kind of organization.")
StationModeEnum = strawberry.enum(
    m.StationMode, name="StationMode", description="How a department is stationed at a centre."
)
AllianceFunctionEnum = strawberry.enum(
    m.AllianceFunction, name="AllianceFunction", description="Joint function of an alliance."
)

R = TypeVar("R", bound=m.AnyRecord)
Ctx = Info[Context, None]
AtArg = Annotated[date | None, strawberry.argument(description="Day to look at (default: today).")]


def _at(at: date | None) -> date:
    return Context.default_at(at)


def _live(recs: list[R], at: date | None) -> list[R]:
    day = _at(at)
    return [r for r in recs if m.in_force(r, day)]


async def _one(info: Ctx, kind: type[R], key: str | None) -> R | None:
    if key is None:
        return None
    return await info.context.by_key(kind).load(key)


async def _many(info: Ctx, kind: type[R], keys: list[str]) -> list[R]:
    found = await info.context.by_key(kind).load_many(keys)
    return [r for r in found if r is not None]


async def _refs(info: Ctx, kind: type[R], field_name: str, key: str) -> list[R]:
    return await info.context.referrers(kind, field_name).load(key)


async def _boundary(info: Ctx, field_name: str, key: str, at: date | None) -> str | None:
    """The GeoJSON geometry of the boundary of ``key`` in force at ``at`` (the latest starting
    one when versions overlap), or None."""
    found = _live(await _refs(info, m.Boundary, field_name, key), at)
    if not found:
        return None
    return max(found, key=lambda b: (b.valid_from or date.min, b.id)).geometry


BOUNDARY_DESCRIPTION = (
    "The outline in force at `at`: a GeoJSON Polygon or MultiPolygon geometry object as text "
    "(longitude/latitude, WGS-84), or null when none is recorded."
)


@strawberry.type(description="An administrative unit: province ... village/community, or hamlet.")
class Place:
    rec: strawberry.Private[m.Place]
    code: str = strawberry.field(description="12-digit division code, or a hamlet's stable id.")
    name: str
    level: LevelEnum  # type: ignore[valid-type]
    kind: str = strawberry.field(description="镇/乡/街道, 行政村/社区, 屯 ...")
    households: int | None
    synthetic: bool = strawberry.field(description="True when the code was invented.")
    valid_from: date | None
    valid_to: date | None

    @strawberry.field
    async def parent(self, info: Ctx) -> Place | None:
        rec = await _one(info, m.Place, self.rec.parent)
        return None if rec is None else Place.of(rec)

    @strawberry.field(description="Direct children, in code order.")
    async def children(
        self,
        info: Ctx,
        at: AtArg = None,
        level: LevelEnum | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Place]:
        kids = _live(await _refs(info, m.Place, "parent", self.code), at)
        if level is not None:
            kids = [k for k in kids if k.level is level]
        return paginate(kids, first, after, info.context.max_page_size, Place.of)

    @strawberry.field(description="Ancestors, nearest first.")
    def ancestors(self, info: Ctx) -> list[Place]:
        return [Place.of(p) for p in hierarchy.ancestors(info.context.store, m.Place, self.code)]

    @strawberry.field(description="All places below, depth first, optionally of one level.")
    def descendants(
        self,
        info: Ctx,
        at: AtArg = None,
        level: LevelEnum | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Place]:
        found = list(hierarchy.descendants(info.context.store, m.Place, self.code, _at(at), level))
        return paginate(found, first, after, info.context.max_page_size, Place.of)

    @strawberry.field(description="Grids that list this place as covered, by tier.")
    async def covering_grids(self, info: Ctx, at: AtArg = None) -> list[Grid]:
        links = _live(await _refs(info, m.Coverage, "place", self.code), at)
        grids = _live(await _many(info, m.Grid, [c.grid for c in links]), at)
        return [Grid.of(g) for g in sorted(grids, key=lambda g: (g.tier, g.code))]

    @strawberry.field(description="Seats at this place (vacant ones included).")
    async def posts(self, info: Ctx, at: AtArg = None) -> list[Post]:
        return [Post.of(p) for p in _live(await _refs(info, m.Post, "place", self.code), at)]

    @strawberry.field(description="Organizations located in this place.")
    async def organizations(
        self,
        info: Ctx,
        at: AtArg = None,
        kind: OrgKindEnum | None = None,  # type: ignore[valid-type]
    ) -> list[Organization]:
        orgs = _live(await _refs(info, m.Organization, "place", self.code), at)
        return [Organization.of(o) for o in orgs if kind is None or o.kind is kind]

    @strawberry.field(description=BOUNDARY_DESCRIPTION)
    async def boundary(self, info: Ctx, at: AtArg = None) -> str | None:
        return await _boundary(info, "place", self.code, at)

    @strawberry.field(description="Alliances this place (a county) belongs to.")
    async def alliances(self, info: Ctx, at: AtArg = None) -> list[Alliance]:
        links = _live(await _refs(info, m.Membership, "place", self.code), at)
        return [Alliance.of(a) for a in await _many(info, m.Alliance, [x.alliance for x in links])]

    @staticmethod
    def of(rec: m.Place) -> Place:
        return Place(
            rec=rec,
            code=rec.code,
            name=rec.name,
            level=rec.level,
            kind=rec.kind,
            households=rec.households,
            synthetic=rec.synthetic,
            valid_from=rec.valid_from,
            valid_to=rec.valid_to,
        )


@strawberry.type(description="A governance grid (网格) of tier 1-3, or 4 for terminal units.")
class Grid:
    rec: strawberry.Private[m.Grid]
    code: str
    name: str
    tier: int
    households: int | None
    valid_from: date | None
    valid_to: date | None

    @strawberry.field
    async def parent(self, info: Ctx) -> Grid | None:
        rec = await _one(info, m.Grid, self.rec.parent)
        return None if rec is None else Grid.of(rec)

    @strawberry.field(description="The county whose grid system this grid belongs to.")
    async def county(self, info: Ctx) -> Place | None:
        rec = await _one(info, m.Place, self.rec.county)
        return None if rec is None else Place.of(rec)

    @strawberry.field
    async def children(
        self, info: Ctx, at: AtArg = None, first: int | None = None, after: str | None = None
    ) -> Connection[Grid]:
        kids = _live(await _refs(info, m.Grid, "parent", self.code), at)
        return paginate(kids, first, after, info.context.max_page_size, Grid.of)

    @strawberry.field(description="Grids above, nearest first.")
    def ancestors(self, info: Ctx) -> list[Grid]:
        return [Grid.of(g) for g in hierarchy.ancestors(info.context.store, m.Grid, self.code)]

    @strawberry.field(description="All grids below, optionally of one tier.")
    def descendants(
        self,
        info: Ctx,
        at: AtArg = None,
        tier: int | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Grid]:
        found = list(
            hierarchy.descendants(info.context.store, m.Grid, self.code, _at(at), tier=tier)
        )
        return paginate(found, first, after, info.context.max_page_size, Grid.of)

    @strawberry.field(description="Places this grid lists as covered.")
    async def covered_places(self, info: Ctx, at: AtArg = None) -> list[Place]:
        links = _live(await _refs(info, m.Coverage, "grid", self.code), at)
        return [
            Place.of(p) for p in _live(await _many(info, m.Place, [c.place for c in links]), at)
        ]

    @strawberry.field(description=BOUNDARY_DESCRIPTION)
    async def boundary(self, info: Ctx, at: AtArg = None) -> str | None:
        return await _boundary(info, "grid", self.code, at)

    @strawberry.field(description="Seats of this grid (grid workers, leaders ...).")
    async def posts(self, info: Ctx, at: AtArg = None) -> list[Post]:
        return [Post.of(p) for p in _live(await _refs(info, m.Post, "grid", self.code), at)]

    @staticmethod
    def of(rec: m.Grid) -> Grid:
        return Grid(
            rec=rec,
            code=rec.code,
            name=rec.name,
            tier=rec.tier,
            households=rec.households,
            valid_from=rec.valid_from,
            valid_to=rec.valid_to,
        )


@strawberry.type(description="A standard role such as 警务助理 or 网格员.")
class Role:
    code: str
    name: str
    description: str
    fallback: bool = strawberry.field(
        description="True when a vacant seat of this role falls back to the holder of the same "
        "role at the nearest ancestor."
    )

    @staticmethod
    def of(rec: m.Role) -> Role:
        return Role(
            code=rec.code, name=rec.name, description=rec.description, fallback=rec.fallback
        )


@strawberry.type(description="A person who holds posts.")
class Person:
    rec: strawberry.Private[m.Person]
    id: strawberry.ID
    name: str

    @strawberry.field(
        description="Phone number (personal data): shown to routers, editors and admins; "
        "masked for viewers and anonymous callers (138****1234; other numbers keep their last 2 "
        "characters)."
    )
    def phone(self, info: Ctx) -> str | None:
        if info.context.principal.sees_personal_data:
            return self.rec.phone
        return mask_phone(self.rec.phone)

    @strawberry.field(description="Terms this person holds or held.")
    async def holdings(self, info: Ctx, at: AtArg = None) -> list[Holding]:
        found = await _refs(info, m.Holding, "person", self.rec.id)
        return [Holding.of(h) for h in _live(found, at)]

    @staticmethod
    def of(rec: m.Person) -> Person:
        return Person(rec=rec, id=strawberry.ID(rec.id), name=rec.name)


@strawberry.type(description="A term: a person holding a post from valid_from to valid_to.")
class Holding:
    rec: strawberry.Private[m.Holding]
    id: strawberry.ID
    valid_from: date | None
    valid_to: date | None

    @strawberry.field
    async def person(self, info: Ctx) -> Person | None:
        rec = await _one(info, m.Person, self.rec.person)
        return None if rec is None else Person.of(rec)

    @strawberry.field
    async def post(self, info: Ctx) -> Post | None:
        rec = await _one(info, m.Post, self.rec.post)
        return None if rec is None else Post.of(rec)

    @staticmethod
    def of(rec: m.Holding) -> Holding:
        return Holding(
            rec=rec, id=strawberry.ID(rec.id), valid_from=rec.valid_from, valid_to=rec.valid_to
        )


@strawberry.type(description="A seat with a role; it exists even when vacant.")
class Post:
    rec: strawberry.Private[m.Post]
    id: strawberry.ID
    label: str
    role_code: str
    valid_from: date | None
    valid_to: date | None

    @strawberry.field
    async def role(self, info: Ctx) -> Role | None:
        rec = await _one(info, m.Role, self.rec.role)
        return None if rec is None else Role.of(rec)

    @strawberry.field(description="People holding this seat at `at`; empty when vacant.")
    async def holders(self, info: Ctx, at: AtArg = None) -> list[Person]:
        terms = _live(await _refs(info, m.Holding, "post", self.rec.id), at)
        return [Person.of(p) for p in await _many(info, m.Person, [t.person for t in terms])]

    @strawberry.field(description="True when nobody holds the seat at `at`.")
    async def vacant(self, info: Ctx, at: AtArg = None) -> bool:
        return not _live(await _refs(info, m.Holding, "post", self.rec.id), at)

    @strawberry.field(description="All terms of this seat, past and present.")
    async def holdings(self, info: Ctx) -> list[Holding]:
        return [Holding.of(h) for h in await _refs(info, m.Holding, "post", self.rec.id)]

    @strawberry.field
    async def place(self, info: Ctx) -> Place | None:
        rec = await _one(info, m.Place, self.rec.place)
        return None if rec is None else Place.of(rec)

    @strawberry.field
    async def grid(self, info: Ctx) -> Grid | None:
        rec = await _one(info, m.Grid, self.rec.grid)
        return None if rec is None else Grid.of(rec)

    @strawberry.field
    async def organization(self, info: Ctx) -> Organization | None:
        rec = await _one(info, m.Organization, self.rec.organization)
        return None if rec is None else Organization.of(rec)

    @staticmethod
    def of(rec: m.Post) -> Post:
        return Post(
            rec=rec,
            id=strawberry.ID(rec.id),
            label=rec.label,
            role_code=rec.role,
            valid_from=rec.valid_from,
            valid_to=rec.valid_to,
        )


@strawberry.type(description="A department stationed at a centre, and how.")
class Stationing:
    mode: StationModeEnum  # type: ignore[valid-type]
    organization: Organization
    centre: Organization
    valid_from: date | None
    valid_to: date | None


@strawberry.type(description="Who handles a category, with the time limit.")
class HandlingRule:
    organization: Organization | None = strawberry.field(
        description="The organization named by the rule (with a level: the one whose units act)."
    )
    org_kind: OrgKindEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="The kind of organization that acts, when the rule names a kind."
    )
    level: LevelEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="The level at which it acts (e.g. township: the police station)."
    )
    time_limit_minutes: int | None = strawberry.field(
        description="The time limit; null means the category's."
    )
    lead: bool


@strawberry.type(description="A centre, department, police station, court, ...")
class Organization:
    rec: strawberry.Private[m.Organization]
    code: str
    name: str
    kind: OrgKindEnum  # type: ignore[valid-type]
    level: LevelEnum | None  # type: ignore[valid-type]
    function: str
    phone: str | None
    valid_from: date | None
    valid_to: date | None

    @strawberry.field(description="Where the organization is located.")
    async def place(self, info: Ctx) -> Place | None:
        rec = await _one(info, m.Place, self.rec.place)
        return None if rec is None else Place.of(rec)

    @strawberry.field(description="The supervising organization.")
    async def parent(self, info: Ctx) -> Organization | None:
        rec = await _one(info, m.Organization, self.rec.parent)
        return None if rec is None else Organization.of(rec)

    @strawberry.field(description="Organizations this one supervises.")
    async def children(self, info: Ctx, at: AtArg = None) -> list[Organization]:
        kids = _live(await _refs(info, m.Organization, "parent", self.code), at)
        return [Organization.of(o) for o in kids]

    @strawberry.field(description="Places under this organization's jurisdiction.")
    async def jurisdiction(self, info: Ctx, at: AtArg = None) -> list[Place]:
        links = _live(await _refs(info, m.Jurisdiction, "organization", self.code), at)
        return [Place.of(p) for p in await _many(info, m.Place, [j.place for j in links])]

    @strawberry.field(description="For a centre: the departments stationed here.")
    async def stationed(self, info: Ctx, at: AtArg = None) -> list[Stationing]:
        links = _live(await _refs(info, m.Stationing, "centre", self.code), at)
        return await _stationings(info, links)

    @strawberry.field(description="For a department: the centres it is stationed at.")
    async def stationed_at(self, info: Ctx, at: AtArg = None) -> list[Stationing]:
        links = _live(await _refs(info, m.Stationing, "organization", self.code), at)
        return await _stationings(info, links)

    @strawberry.field(description="Seats of this organization.")
    async def posts(self, info: Ctx, at: AtArg = None) -> list[Post]:
        return [Post.of(p) for p in _live(await _refs(info, m.Post, "organization", self.code), at)]

    @strawberry.field(description="Request categories this organization handles.")
    async def handles(self, info: Ctx, at: AtArg = None) -> list[Category]:
        links = _live(await _refs(info, m.Handling, "organization", self.code), at)
        return [Category.of(c) for c in await _many(info, m.Category, [h.category for h in links])]

    @staticmethod
    def of(rec: m.Organization) -> Organization:
        return Organization(
            rec=rec,
            code=rec.code,
            name=rec.name,
            kind=rec.kind,
            level=rec.level,
            function=rec.function,
            phone=rec.phone,
            valid_from=rec.valid_from,
            valid_to=rec.valid_to,
        )


async def _stationings(info: Ctx, links: list[m.Stationing]) -> list[Stationing]:
    orgs = await info.context.by_key(m.Organization).load_many(
        [x for s in links for x in (s.organization, s.centre)]
    )
    out = []
    for i, s in enumerate(links):
        org, centre = orgs[2 * i], orgs[2 * i + 1]
        if org is not None and centre is not None:
            out.append(
                Stationing(
                    mode=s.mode,
                    organization=Organization.of(org),
                    centre=Organization.of(centre),
                    valid_from=s.valid_from,
                    valid_to=s.valid_to,
                )
            )
    return out


@strawberry.type(description="A cross-border governance alliance (跨域治理盟约).")
class Alliance:
    rec: strawberry.Private[m.Alliance]
    code: str
    name: str
    functions: list[AllianceFunctionEnum]  # type: ignore[valid-type]
    valid_from: date | None
    valid_to: date | None

    @strawberry.field(description="Member places (counties).")
    async def members(self, info: Ctx, at: AtArg = None) -> list[Place]:
        links = _live(await _refs(info, m.Membership, "alliance", self.code), at)
        return [Place.of(p) for p in await _many(info, m.Place, [x.place for x in links])]

    @staticmethod
    def of(rec: m.Alliance) -> Alliance:
        return Alliance(
            rec=rec,
            code=rec.code,
            name=rec.name,
            functions=list(rec.functions),
            valid_from=rec.valid_from,
            valid_to=rec.valid_to,
        )


@strawberry.type(description="A request category (class or subcategory) with its handling rule.")
class Category:
    rec: strawberry.Private[m.Category]
    code: str
    name: str
    emergency: bool
    time_limit_minutes: int | None
    role_codes: list[str]
    functions: list[AllianceFunctionEnum]  # type: ignore[valid-type]

    @strawberry.field
    async def parent(self, info: Ctx) -> Category | None:
        rec = await _one(info, m.Category, self.rec.parent)
        return None if rec is None else Category.of(rec)

    @strawberry.field
    async def children(self, info: Ctx) -> list[Category]:
        return [Category.of(c) for c in await _refs(info, m.Category, "parent", self.code)]

    @strawberry.field(description="Village roles this kind of matter involves.")
    async def roles(self, info: Ctx) -> list[Role]:
        return [Role.of(r) for r in await _many(info, m.Role, list(self.rec.roles))]

    @strawberry.field(description="Organizations that handle this category.")
    async def handlers(self, info: Ctx, at: AtArg = None) -> list[HandlingRule]:
        links = _live(await _refs(info, m.Handling, "category", self.code), at)
        named = [h.organization for h in links if h.organization is not None]
        orgs = dict(
            zip(named, await info.context.by_key(m.Organization).load_many(named), strict=True)
        )
        out = []
        for h in links:
            org = orgs.get(h.organization) if h.organization is not None else None
            if h.organization is not None and org is None:
                continue
            out.append(
                HandlingRule(
                    organization=None if org is None else Organization.of(org),
                    org_kind=h.org_kind,
                    level=h.level,
                    time_limit_minutes=h.time_limit_minutes,
                    lead=h.lead,
                )
            )
        return out

    @staticmethod
    def of(rec: m.Category) -> Category:
        return Category(
            rec=rec,
            code=rec.code,
            name=rec.name,
            emergency=rec.emergency,
            time_limit_minutes=rec.time_limit_minutes,
            role_codes=list(rec.roles),
            functions=list(rec.functions),
        )


@strawberry.type(description="A required role in a template.")
class RequirementType:
    role: Role | None
    role_code: str
    min: int
    max: int | None


@strawberry.type(name="RoleTemplate", description="A staffing standard for a region.")
class RoleTemplate:
    rec: strawberry.Private[m.RoleTemplate]
    code: str
    name: str
    region_code: str
    place_level: LevelEnum | None  # type: ignore[valid-type]
    place_kind: str | None
    grid_tier: int | None

    @strawberry.field
    async def requirements(self, info: Ctx, at: AtArg = None) -> list[RequirementType]:
        reqs = _live(await _refs(info, m.Requirement, "template", self.code), at)
        roles = await info.context.by_key(m.Role).load_many([r.role for r in reqs])
        return [
            RequirementType(
                role=None if ro is None else Role.of(ro), role_code=r.role, min=r.min, max=r.max
            )
            for r, ro in zip(reqs, roles, strict=True)
        ]

    @staticmethod
    def of(rec: m.RoleTemplate) -> RoleTemplate:
        return RoleTemplate(
            rec=rec,
            code=rec.code,
            name=rec.name,
            region_code=rec.region,
            place_level=rec.place_level,
            place_kind=rec.place_kind,
            grid_tier=rec.grid_tier,
        )


_WRAPPERS: dict[type[Any], Any] = {
    m.Place: Place.of,
    m.Grid: Grid.of,
    m.Person: Person.of,
    m.Post: Post.of,
    m.Organization: Organization.of,
    m.Alliance: Alliance.of,
    m.Category: Category.of,
    m.Role: Role.of,
    m.RoleTemplate: RoleTemplate.of,
    m.Holding: Holding.of,
}


def wrap(rec: m.AnyRecord) -> Any:
    """The GraphQL object for a record."""
    return _WRAPPERS[type(rec)](rec)
