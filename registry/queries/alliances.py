"""Alliance partners: the allied counties to call on for a matter in a place.

For a place whose county is a member of an alliance in force (跨域治理盟约) whose joint
functions cover the category (a dispute needs joint mediation 纠纷联调, a public-order matter
joint patrol 治安联防, ...), every other member county in force is a partner, with the
functions that apply, whether it lies in another province, whether it borders the place (a
``Border`` between the place or any of its ancestors and a place in the partner county), and
its governance centres with their seats. Partners that border the place come first, then those
in other provinces, then by alliance and county code. Without a category, every function of
the alliance applies.

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> alliance_partners(sample_store(), "451225100201", (), SAMPLE_TODAY)
()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from registry.codes import Level
from registry.model import (
    Alliance,
    AllianceFunction,
    Border,
    Membership,
    Organization,
    OrgKind,
    Place,
    in_force,
)
from registry.queries.hierarchy import ancestor_at_level, ancestors
from registry.queries.seats import SeatAnswer, seats_at
from registry.store.base import GraphStore

__all__ = [
    "AlliancePartner",
    "PartnerCentre",
    "alliance_partners",
    "border_ends",
    "bordering_counties",
    "partners_of",
]


@dataclass(frozen=True, slots=True)
class PartnerCentre:
    """A governance centre of a partner county, with its seats."""

    organization: Organization
    seats: tuple[SeatAnswer, ...]


@dataclass(frozen=True, slots=True)
class AlliancePartner:
    """An allied county to call on."""

    alliance: Alliance
    county: Place
    province: Place | None
    scope: str
    functions: tuple[AllianceFunction, ...]
    cross_province: bool
    bordering: bool
    centres: tuple[PartnerCentre, ...]


def alliance_partners(
    store: GraphStore,
    place: str,
    functions: Sequence[AllianceFunction] | None,
    at: date,
) -> tuple[AlliancePartner, ...]:
    """Partner counties for a matter at ``place`` needing ``functions`` (None: any)."""
    the_place = store.get(Place, place)
    if the_place is None:
        return ()
    chain = [the_place, *ancestors(store, Place, place)]
    county = next((p for p in chain if p.level is Level.COUNTY), None)
    if county is None:
        return ()
    province = next((p for p in chain if p.level is Level.PROVINCE), None)
    neighbours = bordering_counties(store, [p.code for p in chain], at)
    return partners_of(store, county, province, functions, neighbours, at)


def partners_of(
    store: GraphStore,
    county: Place,
    province: Place | None,
    functions: Sequence[AllianceFunction] | None,
    neighbours: frozenset[str],
    at: date,
) -> tuple[AlliancePartner, ...]:
    """Partners of ``county`` for ``functions``; ``neighbours`` are the bordering counties."""
    memberships = [m for m in store.referrers(Membership, "place", county.code) if in_force(m, at)]
    alliances = store.get_many(Alliance, [m.alliance for m in memberships])
    out: list[AlliancePartner] = []
    for alliance in alliances:
        if alliance is None or not in_force(alliance, at):
            continue
        matched = tuple(f for f in alliance.functions if not functions or f in functions)
        if not matched:
            continue
        others = [
            m
            for m in store.referrers(Membership, "alliance", alliance.code)
            if m.place != county.code and in_force(m, at)
        ]
        for m in others:
            partner = store.get(Place, m.place)
            if partner is None or not in_force(partner, at):
                continue
            their = ancestor_at_level(store, partner.code, Level.PROVINCE)
            centres = sorted(
                (
                    o
                    for o in store.referrers(Organization, "place", partner.code)
                    if o.kind is OrgKind.CENTRE and in_force(o, at)
                ),
                key=lambda o: o.code,
            )
            out.append(
                AlliancePartner(
                    alliance=alliance,
                    county=partner,
                    province=their,
                    scope=m.scope,
                    functions=matched,
                    cross_province=their is None or province is None or their.code != province.code,
                    bordering=partner.code in neighbours,
                    centres=tuple(
                        PartnerCentre(o, seats_at(store, "organization", o.code, at))
                        for o in centres
                    ),
                )
            )
    out.sort(key=lambda p: (not p.bordering, not p.cross_province, p.alliance.code, p.county.code))
    return tuple(out)


def bordering_counties(
    store: GraphStore,
    chain: list[str],
    at: date,
    ends_of: Callable[[str], frozenset[tuple[str, str | None]]] | None = None,
) -> frozenset[str]:
    """Counties of the places that border any place of ``chain``. ``ends_of(code)`` gives
    ``border_ends`` of one place (default: read now; a caller that keeps them per place passes
    its own, so the places a chain shares with others are read once)."""
    if ends_of is None:
        ends_of = lambda code: border_ends(store, code, at)  # noqa: E731
    mine = set(chain)
    return frozenset(
        county
        for code in chain
        for other, county in ends_of(code)
        if other not in mine and county is not None
    )


def border_ends(store: GraphStore, place: str, at: date) -> frozenset[tuple[str, str | None]]:
    """The places across ``place``'s borders in force, each with the code of its county."""
    sides = store.referrers(Border, "place", place) + store.referrers(Border, "other", place)
    others = {code for b in sides if in_force(b, at) for code in (b.place, b.other)} - {place}
    found = set()
    for code in others:
        county = ancestor_at_level(store, code, Level.COUNTY)
        found.add((code, county.code if county is not None else None))
    return frozenset(found)
