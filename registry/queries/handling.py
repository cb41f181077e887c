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

    for h, named, site in _rule_plan(store, rule, at, shared):
        if h.organization and named is None:
            continue  # unknown, or not in force at ``at``
        if site is not None and named is not None:  # acts itself: in the place's county?
            if county is not None and county.code in site:
                add(h, named, "handling")
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


#: One handler rule as ``handlers_for`` walks it: the rule, the organization it names (None
#: when it names none, or one unknown or not in force), and, for a rule without a level naming
#: an organization without jurisdictions in force, the codes of that organization's place and
#: its ancestors (it serves a place when its county is one of them), else None.
_Planned = tuple[Handling, Organization | None, frozenset[str] | None]


def _rule_plan(
    store: GraphStore, rule: CategoryRule, at: date, shared: dict[Any, Any]
) -> list[_Planned]:
    """``rule``'s handlers with what serving a place takes, kept in ``shared`` per category
    and date (a province's category names some 120 counties' departments: each request then
    checks its county against each instead of reading each)."""
    key = ("plan", rule.category.code, at)
    plan: list[_Planned] | None = shared.get(key)
    if plan is not None and len(plan) == len(rule.handlers):
        return plan
    plan = []
    for h in rule.handlers:
        named = store.get(Organization, h.organization) if h.organization else None
        if named is not None and not in_force(named, at):
            named = None
        site: frozenset[str] | None = None
        if h.level is None and named is not None and not _areas(store, named, at, shared):
            site = _site(store, named.place, shared)
        plan.append((h, named, site))
    shared[key] = plan
    return plan


def _areas(
    store: GraphStore, org: Organization, at: date, shared: dict[Any, Any]
) -> frozenset[str]:
    """The places ``org`` has jurisdiction over at ``at``."""
    key = ("areas", org.code, at)
    areas: frozenset[str] | None = shared.get(key)
    if areas is None:
        areas = shared[key] = frozenset(
            j.place
            for j in store.referrers(Jurisdiction, "organization", org.code)
            if in_force(j, at)
        )
    return areas


def _site(store: GraphStore, place: str, shared: dict[Any, Any]) -> frozenset[str]:
    """``place`` and its ancestors' codes."""
    key = ("site", place)
    site: frozenset[str] | None = shared.get(key)
    if site is None:
        site = shared[key] = frozenset([place, *(a.code for a in ancestors(store, Place, place))])
    return site


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
    areas = _areas(store, org, at, shared)
    if areas:
        return not areas.isdisjoint(chain)
    return county is not None and county.code in _site(store, org.place, shared)
