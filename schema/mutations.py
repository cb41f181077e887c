"""Mutations: create and update places, grids, persons and organizations; create seats, assign
and end posts; apply, edit and end staffing standards (role templates). Every mutation is one
atomic, audited store write; invariant violations come back as GraphQL errors with a stable code.

Role templates are versioned in time: editing one ends the requirements it no longer lists (the
day before ``effectiveFrom``, default today) rather than deleting them, and ending one sets the
last day of the template and its requirements; earlier days still read the old standard.

Only editors and admins write (``registry.auth``): every mutation checks the caller's role before
reading anything, and an editor's scope is checked inside the write's transaction (a record
touching a place outside it, before or after the change, refuses the whole write: FORBIDDEN).
The audit entry's actor is the caller's (token name or JWT subject)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta
from typing import Any, TypeVar

import strawberry

from registry import model as m
from registry.auth import require_writer, write_guard
from registry.errors import InvalidInput, NotFound
from registry.standards import Need, preset_changes, template_changes
from registry.store.base import GraphStore
from schema.nodes import (
    Ctx,
    Grid,
    Holding,
    LevelEnum,
    Organization,
    OrgKindEnum,
    Person,
    Place,
    Post,
    RoleTemplate,
)

__all__ = ["Mutation"]

R = TypeVar("R", bound=m.AnyRecord)


@strawberry.input(description="A new place.")
class PlaceInput:
    code: str
    name: str
    level: LevelEnum  # type: ignore[valid-type]
    parent: str | None = None
    kind: str = ""
    households: int | None = None
    synthetic: bool = False
    valid_from: date | None = None
    valid_to: date | None = None


@strawberry.input(description="Changes to a place; omitted fields are kept.")
class PlacePatch:
    name: str | None = strawberry.UNSET
    kind: str | None = strawberry.UNSET
    households: int | None = strawberry.UNSET
    valid_from: date | None = strawberry.UNSET
    valid_to: date | None = strawberry.UNSET


@strawberry.input(description="A new grid.")
class GridInput:
    code: str
    name: str
    tier: int
    county: str
    parent: str | None = None
    households: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None


@strawberry.input(description="Changes to a grid (a new parent moves it); omitted fields are kept.")
class GridPatch:
    name: str | None = strawberry.UNSET
    parent: str | None = strawberry.UNSET
    households: int | None = strawberry.UNSET
    valid_from: date | None = strawberry.UNSET
    valid_to: date | None = strawberry.UNSET


@strawberry.input(description="A new person; an id is generated when omitted.")
class PersonInput:
    name: str
    id: strawberry.ID | None = None
    phone: str | None = None


@strawberry.input(description="Changes to a person; omitted fields are kept.")
class PersonPatch:
    name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET


@strawberry.input(description="A new organization.")
class OrganizationInput:
    code: str
    name: str
    kind: OrgKindEnum  # type: ignore[valid-type]
    place: str
    level: LevelEnum | None = None  # type: ignore[valid-type]
    parent: str | None = None
    function: str = ""
    phone: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


@strawberry.input(description="Changes to an organization; omitted fields are kept.")
class OrganizationPatch:
    name: str | None = strawberry.UNSET
    place: str | None = strawberry.UNSET
    parent: str | None = strawberry.UNSET
    function: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    valid_from: date | None = strawberry.UNSET
    valid_to: date | None = strawberry.UNSET


@strawberry.input(description="A new seat at exactly one of place, grid or organization.")
class PostInput:
    role: str
    place: str | None = None
    grid: str | None = None
    organization: str | None = None
    label: str = ""
    id: strawberry.ID | None = None
    valid_from: date | None = None


@strawberry.input(
    description="A role a staffing standard requires: at least `min` holders, at most `max` "
    "(no upper limit when omitted)."
)
class RequirementInput:
    role: str
    min: int = 1
    max: int | None = None


@strawberry.input(
    description="A staffing standard (role template) for a region (a county or any ancestor): "
    "the roles each place of a level (optionally of a kind, such as 社区) or each grid of a tier "
    "needs. Exactly one of `placeLevel` or `gridTier`. `requirements` replaces the required "
    "roles (roles no longer listed are ended, not deleted); omitted, they are kept."
)
class RoleTemplateInput:
    code: str
    name: str
    region: str
    place_level: LevelEnum | None = None  # type: ignore[valid-type]
    place_kind: str | None = None
    grid_tier: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    requirements: list[RequirementInput] | None = None


def _fields(obj: object) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if v is not strawberry.UNSET}


def _store(info: Ctx) -> GraphStore:
    """The store, for a caller whose role writes (FORBIDDEN before anything is read)."""
    require_writer(info.context.principal)
    return info.context.store


def _write(info: Ctx, records: list[m.AnyRecord], operation: str, reason: str | None) -> None:
    principal = info.context.principal
    _store(info).apply(
        records,
        actor=principal.actor,
        operation=operation,
        reason=reason or "",
        guard=write_guard(principal),
    )


def _create(info: Ctx, kind: type[R], values: dict[str, Any], reason: str | None) -> R:
    rec = kind(**values)
    if _store(info).get(kind, rec.key) is not None:
        raise InvalidInput(f"{kind.KIND} {rec.key} already exists; use update", [rec.key])
    _write(info, [rec], f"create_{kind.KIND}", reason)
    return rec


def _update(info: Ctx, kind: type[R], key: str, patch: object, reason: str | None) -> R:
    old = _store(info).get(kind, key)
    if old is None:
        raise NotFound(f"no {kind.KIND} {key!r}", [key])
    changes = _fields(patch)
    if "name" in changes and not changes["name"]:
        raise InvalidInput("name cannot be empty", [key], "name")
    new = dataclasses.replace(old, **changes)
    _write(info, [new], f"update_{kind.KIND}", reason)
    return new


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12].upper()}"


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a place (its code must agree with its parent's).")
    def create_place(self, info: Ctx, input: PlaceInput, reason: str | None = None) -> Place:
        return Place.of(_create(info, m.Place, _fields(input), reason))

    @strawberry.mutation(description="Update a place's name, kind, households or validity.")
    def update_place(
        self, info: Ctx, code: str, patch: PlacePatch, reason: str | None = None
    ) -> Place:
        return Place.of(_update(info, m.Place, code, patch, reason))

    @strawberry.mutation(description="Create a grid (its parent must be one tier up).")
    def create_grid(self, info: Ctx, input: GridInput, reason: str | None = None) -> Grid:
        return Grid.of(_create(info, m.Grid, _fields(input), reason))

    @strawberry.mutation(description="Update or move a grid; cycles and tier skips are refused.")
    def update_grid(
        self, info: Ctx, code: str, patch: GridPatch, reason: str | None = None
    ) -> Grid:
        return Grid.of(_update(info, m.Grid, code, patch, reason))

    @strawberry.mutation(description="Create a person.")
    def create_person(self, info: Ctx, input: PersonInput, reason: str | None = None) -> Person:
        values = _fields(input)
        values["id"] = str(values.get("id") or _new_id("P"))
        return Person.of(_create(info, m.Person, values, reason))

    @strawberry.mutation(description="Update a person's name or phone.")
    def update_person(
        self, info: Ctx, id: strawberry.ID, patch: PersonPatch, reason: str | None = None
    ) -> Person:
        return Person.of(_update(info, m.Person, str(id), patch, reason))

    @strawberry.mutation(description="Create an organization.")
    def create_organization(
        self, info: Ctx, input: OrganizationInput, reason: str | None = None
    ) -> Organization:
        return Organization.of(_create(info, m.Organization, _fields(input), reason))

    @strawberry.mutation(description="Update an organization.")
    def update_organization(
        self, info: Ctx, code: str, patch: OrganizationPatch, reason: str | None = None
    ) -> Organization:
        return Organization.of(_update(info, m.Organization, code, patch, reason))

    @strawberry.mutation(description="Create a seat (it exists, vacant, until assigned).")
    def create_post(self, info: Ctx, input: PostInput, reason: str | None = None) -> Post:
        values = _fields(input)
        values["id"] = str(values.get("id") or _new_id("S"))
        if not values.get("label"):
            role = _store(info).get(m.Role, values["role"])
            values["label"] = role.name if role else ""
        return Post.of(_create(info, m.Post, values, reason))

    @strawberry.mutation(description="Assign a person to a seat from `validFrom` (default today).")
    def assign_post(
        self,
        info: Ctx,
        post: strawberry.ID,
        person: strawberry.ID,
        valid_from: date | None = None,
        valid_to: date | None = None,
        reason: str | None = None,
    ) -> Holding:
        rec = m.Holding(
            id=_new_id("H"),
            person=str(person),
            post=str(post),
            valid_from=valid_from or date.today(),
            valid_to=valid_to,
        )
        _write(info, [rec], "assign_post", reason)
        return Holding.of(rec)

    @strawberry.mutation(
        description="End the current terms of a seat (of one person, or all) on `validTo` "
        "(default yesterday, so the seat is vacant today)."
    )
    def end_post(
        self,
        info: Ctx,
        post: strawberry.ID,
        person: strawberry.ID | None = None,
        valid_to: date | None = None,
        reason: str | None = None,
    ) -> list[Holding]:
        store = _store(info)
        if store.get(m.Post, str(post)) is None:
            raise NotFound(f"no post {post!r}", [str(post)])
        end = valid_to or date.today() - timedelta(days=1)
        current = [
            h
            for h in store.referrers(m.Holding, "post", str(post))
            if (h.valid_to is None or h.valid_to > end)
            and (person is None or h.person == str(person))
        ]
        if not current:
            raise NotFound(f"post {post} has no term to end", [str(post)])
        ended = [dataclasses.replace(h, valid_to=end) for h in current]
        _write(info, list(ended), "end_post", reason)
        return [Holding.of(h) for h in ended]

    @strawberry.mutation(
        description="Apply a shipped staffing standard (luocheng-seven-roles, baise-five-ones, "
        "fuxin-community-police, fuxin-village-auxiliary, grid-worker-per-micro-grid) to a region: "
        "its templates (codes `<name>@<region>`, `/<suffix>` when several), requirements and any "
        "missing roles. Applying it again changes nothing. Returns the preset's templates."
    )
    def apply_preset(
        self,
        info: Ctx,
        name: str,
        region: str,
        valid_from: date | None = None,
        grid_tier: int = 3,
        reason: str | None = None,
    ) -> list[RoleTemplate]:
        records, templates = preset_changes(
            _store(info), name.strip(), region.strip(), valid_from, grid_tier
        )
        if records:
            _write(info, records, "apply_preset", reason)
        return [RoleTemplate.of(t) for t in templates]

    @strawberry.mutation(
        description="Create or edit a role template and its requirements in one write. With "
        "`requirements`, roles no longer listed are ended the day before `effectiveFrom` (default: "
        "today for a stored template, its `validFrom` for a new one) and new roles start that day; "
        "counts of roles still listed are updated."
    )
    def upsert_role_template(
        self,
        info: Ctx,
        input: RoleTemplateInput,
        effective_from: date | None = None,
        reason: str | None = None,
    ) -> RoleTemplate:
        values = _fields(input)
        reqs: list[RequirementInput] | None = values.pop("requirements", None)
        values["code"] = values["code"].strip()
        values["region"] = values["region"].strip()
        values["place_kind"] = values.get("place_kind") or None
        template = m.RoleTemplate(**values)
        needs = None if reqs is None else [Need(r.role.strip(), r.min, r.max) for r in reqs]
        records = template_changes(_store(info), template, needs, effective_from)
        if records:
            _write(info, records, "upsert_role_template", reason)
        return RoleTemplate.of(template)

    @strawberry.mutation(
        description="End a role template on `validTo` (its last day), with its requirements; "
        "they stay readable at earlier days."
    )
    def end_role_template(
        self, info: Ctx, code: str, valid_to: date, reason: str | None = None
    ) -> RoleTemplate:
        store = _store(info)
        key = code.strip()
        old = store.get(m.RoleTemplate, key)
        if old is None:
            raise NotFound(f"no role template {key!r}", [key])
        if old.valid_from is not None and valid_to < old.valid_from:
            raise InvalidInput(
                f"role template {old.code} starts on {old.valid_from}; it cannot end on {valid_to}",
                [old.code],
                "validTo",
            )
        if old.valid_to is not None and old.valid_to <= valid_to:
            raise InvalidInput(
                f"role template {old.code} already ended on {old.valid_to}", [old.code], "validTo"
            )
        ended = dataclasses.replace(old, valid_to=valid_to)
        # Requirements starting after the end were never in force with it: left as they are.
        reqs = [
            dataclasses.replace(r, valid_to=valid_to)
            for r in store.referrers(m.Requirement, "template", old.code)
            if (r.valid_to is None or r.valid_to > valid_to)
            and (r.valid_from is None or r.valid_from <= valid_to)
        ]
        _write(info, [ended, *reqs], "end_role_template", reason)
        return RoleTemplate.of(ended)
