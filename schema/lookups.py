"""Lookup and search fields of the Query type."""

from __future__ import annotations

from typing import Annotated

import strawberry

from registry import model as m
from registry.queries.search import search as search_records
from schema.nodes import (
    Alliance,
    Category,
    Ctx,
    Grid,
    Organization,
    Person,
    Place,
    Role,
    RoleTemplate,
    wrap,
)

__all__ = ["LookupQuery", "SearchResult"]

SearchResult = Annotated[
    Place | Grid | Organization | Person | Category | Alliance,
    strawberry.union("SearchResult", description="Anything search can find."),
]


@strawberry.type
class LookupQuery:
    @strawberry.field(description="A place by 12-digit division code or hamlet id.")
    async def place(self, info: Ctx, code: str) -> Place | None:
        rec = await info.context.by_key(m.Place).load(code.strip())
        return None if rec is None else Place.of(rec)

    @strawberry.field(description="A grid by code.")
    async def grid(self, info: Ctx, code: str) -> Grid | None:
        rec = await info.context.by_key(m.Grid).load(code.strip())
        return None if rec is None else Grid.of(rec)

    @strawberry.field(description="A person by id.")
    async def person(self, info: Ctx, id: strawberry.ID) -> Person | None:
        rec = await info.context.by_key(m.Person).load(str(id))
        return None if rec is None else Person.of(rec)

    @strawberry.field(description="An organization by code.")
    async def organization(self, info: Ctx, code: str) -> Organization | None:
        rec = await info.context.by_key(m.Organization).load(code.strip())
        return None if rec is None else Organization.of(rec)

    @strawberry.field(description="An alliance by code.")
    async def alliance(self, info: Ctx, code: str) -> Alliance | None:
        rec = await info.context.by_key(m.Alliance).load(code.strip())
        return None if rec is None else Alliance.of(rec)

    @strawberry.field(description="A request category by code.")
    async def category(self, info: Ctx, code: str) -> Category | None:
        rec = await info.context.by_key(m.Category).load(code.strip())
        return None if rec is None else Category.of(rec)

    @strawberry.field(description="Top-level request categories (classes), with children.")
    def categories(self, info: Ctx) -> list[Category]:
        return [Category.of(c) for c in info.context.store.scan(m.Category) if c.parent is None]

    @strawberry.field(description="All standard roles.")
    def roles(self, info: Ctx) -> list[Role]:
        return [Role.of(r) for r in info.context.store.scan(m.Role)]

    @strawberry.field(description="All staffing standards (role templates).")
    def role_templates(self, info: Ctx) -> list[RoleTemplate]:
        return [RoleTemplate.of(t) for t in info.context.store.scan(m.RoleTemplate)]

    @strawberry.field(description="All alliances.")
    def alliances(self, info: Ctx) -> list[Alliance]:
        return [Alliance.of(a) for a in info.context.store.scan(m.Alliance)]

    @strawberry.field(
        description="Places, grids, organizations, people, categories and alliances whose name "
        "or code contains the text (Chinese or code substrings; full-width input accepted)."
    )
    def search(self, info: Ctx, text: str, first: int = 20) -> list[SearchResult]:
        limit = min(max(first, 0), info.context.max_page_size)
        return [wrap(h.record) for h in search_records(info.context.store, text, limit)]
