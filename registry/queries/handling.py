"""A category's handling rule and the organizations that act on it for a place.

A category inherits from its class (its parent category) whatever it does not set itself: the
village roles involved, the time limit, and the handling rules. Rules come in two sorts:

* **handler rules** name who handles the matter: an organization (``organization``), the unit
  of an organization at a level (``organization`` + ``level``: the county public security
  bureau at township level is the police station whose jurisdiction holds the place), or an
  organization kind at a level (``org_kind`` + ``level``: the township mediation committee).
  The nearest category in the chain that has handler rules supplies all of them.
* **centre rules** (``org_kind`` = ``centre`` with a ``level``) give the time limit of each
  escalation step at that level, again from the nearest category that has any.

An organization *serves* a place when one of its jurisdictions holds the place or, with no
jurisdiction, when it is located in the place or one of its ancestors (for a named organization
without a level: anywhere in the place's county).

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> store = sample_store()
>>> rule = category_rule(store, "C3.1", SAMPLE_TODAY)
>>> rule.roles, rule.time_limit_minutes, [h.organization for h in rule.handlers]
(('police_assistant', 'law_literate'), 60, ['451225-dept-environment'])
>>> [(o.code, found) for _, o, found in handlers_for(store, rule, "451225100201-001",
...                                                   SAMPLE_TODAY)]
[('451225-dept-environment', 'handling')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from registry.codes import LEVEL_ORDER, Level
from registry.errors import NotFound
from registry.model import (
    AllianceFunction,
    Category,
    Handling,
    Jurisdiction,
    Organization,
    OrgKind,
    Place,
    in_force,
)
from registry.queries.hierarchy import MAX_DEPTH, ancestors
from registry.store.base import GraphStore

__all__ = [
    "CategoryRule",
    "category_rule",
    "handlers_for",
    "locality",
    "org_level",
    "serving_orgs",
]


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """A category with everything it inherits from its class."""

    category: Category
    roles: tuple[str, ...]
    functions: tuple[AllianceFunction, ...]
    emergency: bool
    time_limit_minutes: int | None
    handlers: tuple[Handling, ...]
    centre_limits: dict[Level, int | None] = field(default_factory=dict)


def category_rule(store: GraphStore, code: str, at: date) -> CategoryRule:
    """The rule of category ``code`` at ``at``, inherited from its class where unset."""
    category = store.get(Category, code)
    if category is None:
        raise NotFound(f"no category {code!r}", [code])
    roles, limit = category.roles, category.time_limit_minutes
    functions, emergency = category.functions, category.emergency
    handlers: list[Handling] | None = None
    centres: dict[Level, int | None] | None = None
    node: Category | None = category
    depth = 0
    while node is not None and depth < MAX_DEPTH:
        roles = roles or node.roles
        functions = functions or node.functions
        emergency = emergency or node.emergency
        limit = limit if limit is not None else node.time_limit_minutes
        rules = [h for h in store.referrers(Handling, "category", node.code) if in_force(h, at)]
        own = [h for h in rules if h.org_kind is not OrgKind.CENTRE]
        if handlers is None and own:
            handlers = own
        steps = {h.level: h.time_limit_minutes for h in rules if h.org_kind is OrgKind.CENTRE}
        if centres is None and steps:
            centres = {lvl: m for lvl, m in steps.items() if lvl is not None}
        node = store.get(Category, node.parent) if node.parent else None
        depth += 1
    ordered = sorted(handlers or [], key=lambda h: (not h.lead, h.key))
    return CategoryRule(category, roles, functions, emergency, limit, tuple(ordered), centres or {})


def org_level(store: GraphStore, org: Organization) -> Level | None:
    """An organization's level: its own, else the level of the place it is located in."""
    if org.level is not None:
        return org.level
    place = store.get(Place, org.place)
    return None if place is None else place.level


def serving_orgs(store: GraphStore, chain: list[Place], at: date) -> list[Organization]:
    """Organizations in force serving the first place of ``chain`` (the place and its
    ancestors): by jurisdiction where they have one, else by being located in the chain."""
    codes = [p.code for p in chain]
    located = store.referrers_many(Organization, "place", codes)
    areas = store.referrers_many(Jurisdiction, "place", codes)
    by_jurisdiction = store.get_many(
        Organization, sorted({j.organization for found in areas for j in found if in_force(j, at)})
    )
    candidates: dict[str, Organization] = {}
    for org in [o for found in located for o in found] + [o for o in by_jurisdiction if o]:
        if in_force(org, at):
            candidates.setdefault(org.code, org)
    orgs = list(candidates.values())
    juris = store.referrers_many(Jurisdiction, "organization", [o.code for o in orgs])
    chain_codes = set(codes)
    out = []
    for org, own in zip(orgs, juris, strict=True):
        own = [j for j in own if in_force(j, at)]
        if (own and any(j.place in chain_codes for j in own)) or (
            not own and org.place in chain_codes
        ):
            out.append(org)
    return out


def _below(store: GraphStore, org: Organization, top: str, shared: dict[Any, Any]) -> bool:
    """True when ``org`` is ``top`` or belongs to it (through ``parent`` links)."""
    if org.code == top:
        return True
    key = ("above", org.code)  # what ``org`` belongs to, for every ``top``
    above = shared.get(key)
    if above is None:
        above = shared[key] = frozenset(a.code for a in ancestors(store, Organization, org.code))
    return top in above


def locality(level: Level | None) -> int:
    """How local a level is: higher is more local (hamlet highest); unknown lowest."""
    return LEVEL_ORDER.index(level) if level is not None else -1


def handlers_for(
    store: GraphStore,
    rule: CategoryRule,
    place: str,
    at: date,
    shared: dict[Any, Any] | None = None,
) -> list[tuple[Handling, Organization, str]]:
    """The organizations acting on ``rule`` for ``place``: (rule, organization, how found).

    ``found`` is ``handling`` (the rule names the organization), ``unit`` (its unit at the
    rule's level) or ``kind`` (an organization of the rule's kind at its level).

    ``shared`` keeps facts about organizations (where they serve, what they belong to) between
    calls; the caller must empty it whenever the data changes.
    """
    the_place = store.get(Place, place)
    if the_place is None or not rule.handlers:
        return []
    shared = {} if shared is None else shared
    chain = [the_place, *ancestors(store, Place, place)]
    chain_codes = frozenset(p.code for p in chain)
    county = next((p for p in chain if p.level is Level.COUNTY), None)
    serving: list[Organization] | None = None
    out: list[tuple[Handling, Organization, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(h: Handling, org: Organization, found: str) -> None:
        if (h.key, org.code) not in seen:
            seen.add((h.key, org.code))
            out.append((h, org, found))

    for h in rule.handlers:
        named = store.get(Organization, h.organization) if h.organization else None
        if h.organization and (named is None or not in_force(named, at)):
            continue
        if h.level is None and named is not None:
            if _serves_county(store, named, chain_codes, county, at, shared):
                add(h, named, "handling")
            continue
        if serving is None:
            serving = serving_orgs(store, chain, at)
        units = [
            o
            for o in serving
            if (h.org_kind is None or o.kind is h.org_kind)
            and (h.level is None or org_level(store, o) is h.level)
            and (named is None or _below(store, o, named.code, shared))
        ]
        if h.level is None and units:  # a kind without a level: the most local ones
            best = max(locality(org_level(store, o)) for o in units)
            units = [o for o in units if locality(org_level(store, o)) == best]
        for unit in sorted(units, key=lambda o: o.code):
            add(h, unit, "unit" if named is not None else "kind")
        if (
            not units
            and named is not None
            and _serves_county(store, named, chain_codes, county, at, shared)
        ):
            add(h, named, "handling")
    return out


def _serves_county(
    store: GraphStore,
    org: Organization,
    chain: frozenset[str],
    county: Place | None,
    at: date,
    shared: dict[Any, Any],
) -> bool:
    """A named organization serves the place whose chain (the place and its ancestors) is
    ``chain``: by jurisdiction if it has one, else by being in the place's county."""
    key = ("areas", org.code, at)
    areas = shared.get(key)
    if areas is None:
        areas = shared[key] = frozenset(
            j.place
            for j in store.referrers(Jurisdiction, "organization", org.code)
            if in_force(j, at)
        )
    if areas:
        return not areas.isdisjoint(chain)
    if county is None:
        return False
    site_key = ("site", org.place)  # the org's place and its ancestors, for every county
    site = shared.get(site_key)
    if site is None:
        site = shared[site_key] = frozenset(
            [org.place, *(a.code for a in ancestors(store, Place, org.place))]
        )
    return county.code in site
