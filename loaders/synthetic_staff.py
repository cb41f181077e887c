"""Seats, organizations and rules of a synthetic county (see ``loaders.synthetic_county``).

The seven Luocheng seats per village with planted gaps (missing, vacant, expired; a lawyer
advising two to five neighbouring villages), a worker per micro-grid (a few vacant or expired, a
few shared by two sibling grids, second workers for the busiest grids up to the planned number),
leaders of tier-1 and tier-2 grids; the county centre and departments stationed there; per
township a justice office, a police station (a few townships share their neighbour's), people's
tribunals for three or four townships, a mediation committee, a centre with a director and two
mediators (sometimes missing), the township seats that stand in for vacant village seats; village
centres run by the village's governance officer; grid tiers and the handling rules naming the
county's departments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from loaders.demo import EXPIRED_ENDS, GRIDS_FROM, STATIONED_FROM
from loaders.demo_data import DEPARTMENTS, HANDLERS, TOWNSHIP_ROLES, TOWNSHIP_UNITS, VILLAGE_ROLES
from loaders.synthetic_builder import (
    RATES,
    CountyBuilder,
    Township,
    Village,
    dept_code,
    localise,
)
from registry.codes import Level
from registry.model import Grid, GridTier, Handling, Jurisdiction, OrgKind, Stationing, StationMode

__all__ = ["grid_seats", "organizations", "rules", "village_seats"]


def village_seats(b: CountyBuilder, villages: Sequence[Village]) -> dict[str, tuple[str, date]]:
    """Seven seats per village with planted gaps; one lawyer advises two to five
    neighbouring villages of a township. Returns each governance officer in post."""
    rng = b.rng
    by_township: dict[str, list[str]] = defaultdict(list)
    for v in villages:
        by_township[v.township].append(v.code)
    runs = [codes for codes in by_township.values() if len(codes) >= 2]
    shared: set[tuple[str, str]] = set()
    if runs:
        codes = rng.choice(runs)
        k = min(rng.randint(2, 5), len(codes))
        first = rng.randint(0, len(codes) - k)
        shared = {(c, "legal_adviser") for c in codes[first : first + k]}
    seats = [(v.code, role) for v in villages for role in VILLAGE_ROLES]
    candidates = [s for s in seats if s not in shared]
    n = {r: round(len(seats) * RATES[r]) for r in ("missing_seat", "vacant_seat", "expired_seat")}
    planted = rng.sample(candidates, sum(n.values()))
    missing = set(planted[: n["missing_seat"]])
    vacant = set(planted[n["missing_seat"] : n["missing_seat"] + n["vacant_seat"]])
    expired = set(planted[n["missing_seat"] + n["vacant_seat"] :])
    lawyer = ""
    officers: dict[str, tuple[str, date]] = {}
    for seat in seats:
        if seat in missing:
            continue
        village, role = seat
        post = b.post(f"{village}-{role}", role, place=village)
        female = True if role == "women_chair" else None
        start = b.day(date(2021, 1, 1), date(2024, 12, 31))
        if seat in vacant:
            continue
        if seat in expired:
            b.staff(post, start, rng.choice(EXPIRED_ENDS), female)
        elif seat in shared:
            lawyer = lawyer or b.person()
            b.hold(lawyer, post, start)
        else:
            b.predecessor(post, start, date(2016, 1, 1), "predecessor")
            person = b.staff(post, start, b.term_end(), female)
            if role == "governance_officer":
                officers[village] = (person, start)
    return officers


def grid_seats(
    b: CountyBuilder,
    tier1: Sequence[tuple[str, str, bool]],
    tier2: Sequence[str],
    tier3: Sequence[Grid],
    officers: dict[str, tuple[str, date]],
) -> None:
    """A worker per micro-grid (a few vacant or expired, a few shared by two sibling
    grids, second workers for the busiest grids up to the planned workers), a leader per
    tier-1 and tier-2 grid (the village's governance officer leads its first tier-1 grid)."""
    rng = b.rng
    count = len(tier3)
    vacant = {g.code for g in rng.sample(list(tier3), round(count * RATES["vacant_grid"]))}
    rest = [g for g in tier3 if g.code not in vacant]
    expired = {g.code for g in rng.sample(rest, round(count * RATES["expired_grid"]))}
    siblings: dict[str | None, list[str]] = defaultdict(list)
    for g in rest:
        if g.code not in expired:
            siblings[g.parent].append(g.code)
    families = [kids for kids in siblings.values() if len(kids) >= 2]
    pairs = rng.sample(families, min(max(round(count * RATES["shared_grid"]), 1), len(families)))
    partner = {kids[1]: kids[0] for kids in pairs}
    staffed = count - len(vacant) - len(expired) - len(partner)
    ranked = sorted(
        (g for g in rest if g.code not in expired and g.code not in partner),
        key=lambda g: (-(g.households or 0), g.code),
    )
    busiest = {g.code for g in ranked[: max(b.plan.workers - staffed, 0)]}
    holder: dict[str, str] = {}
    for g in tier3:
        post = b.post(f"{g.code}-grid_worker", "grid_worker", grid=g.code)
        start = b.day(GRIDS_FROM, date(2024, 12, 31))
        if g.code in vacant:
            continue
        if g.code in expired:
            b.staff(post, start, rng.choice(EXPIRED_ENDS))
            continue
        if g.code in partner:
            b.hold(holder[partner[g.code]], post, start)
            continue
        b.predecessor(post, start, GRIDS_FROM, "grid_predecessor")
        holder[g.code] = b.staff(post, start, b.term_end())
        if g.code in busiest:
            second = b.post(f"{g.code}-grid_worker-2", "grid_worker", grid=g.code)
            b.staff(second, start)
    for code, village, first in tier1:
        post = b.post(f"{code}-grid_leader", "grid_leader", grid=code)
        if first and village in officers:
            person, start = officers[village]
            b.hold(person, post, max(start, GRIDS_FROM))
        elif not b.chance("vacant_leader"):
            b.staff(post, b.day(GRIDS_FROM, date(2023, 12, 31)))
    for code in tier2:
        post = b.post(f"{code}-grid_leader", "grid_leader", grid=code)
        if not b.chance("vacant_leader"):
            b.staff(post, b.day(GRIDS_FROM, date(2024, 6, 30)))


def organizations(
    b: CountyBuilder,
    townships: Sequence[Township],
    villages: Sequence[Village],
    officers: dict[str, tuple[str, date]],
) -> None:
    p, rng = b.plan, b.rng
    centre = f"{b.c6}-centre"
    phone = f"{p.area_code}-{rng.randrange(10**7):07d}"
    b.org(centre, f"{p.name}社会治安综合治理中心", OrgKind.CENTRE, b.code, phone=phone)
    b.director(centre)
    for d in DEPARTMENTS:
        parent = None if d.parent is None else dept_code(b.code, d.parent)
        code = dept_code(b.code, d.function)
        b.org(
            code,
            localise(d.name, p),
            d.kind,
            b.code,
            parent,
            function=d.function,
            phone=d.phone if d.phone and "-" not in d.phone else None,  # 12345, 12348
        )
        b.add(Stationing(code, centre, d.mode, valid_from=STATIONED_FROM))
    seats = unit_seats(b, townships)
    without = rng.choice(townships).code if b.chance("no_centre") else ""
    for t in townships:
        township_units(b, t, seats, has_centre=t.code != without)
    for v in villages:
        parent = centre if v.township == without else f"{v.township[:9]}-centre"
        code = b.org(f"{v.code}-centre", f"{v.name}综治中心", OrgKind.CENTRE, v.code, parent)
        post = b.post(f"{code}-centre_director", "centre_director", organization=code)
        if v.code in officers:  # the governance officer runs the village centre
            person, start = officers[v.code]
            b.hold(person, post, max(start, STATIONED_FROM))


def unit_seats(b: CountyBuilder, townships: Sequence[Township]) -> dict[str, dict[str, list[str]]]:
    """Where police stations and people's tribunals sit and which townships each covers
    (justice offices: one per township)."""
    rng = b.rng
    police: dict[str, list[str]] = {}
    last = ""
    for i, t in enumerate(townships):
        if i > 0 and b.chance("shared_police"):
            police[last].append(t.code)
        else:
            last = t.code
            police[last] = [t.code]
    tribunal: dict[str, list[str]] = {}
    i = 0
    while i < len(townships):
        size = rng.randint(3, 4)
        group = [t.code for t in townships[i : i + size]]
        tribunal[group[0]] = group
        i += size
    return {"police": police, "tribunal": tribunal}


def township_units(
    b: CountyBuilder, t: Township, seats: dict[str, dict[str, list[str]]], has_centre: bool
) -> None:
    stationed: list[tuple[str, StationMode]] = []
    for suffix, kind, pattern, function, mode in TOWNSHIP_UNITS:
        where = seats.get(suffix, {t.code: [t.code]})
        name = localise(pattern, b.plan).format(t.short)
        if t.code in where:
            unit = b.org(
                f"{t.code[:9]}-{suffix}",
                name,
                kind,
                t.code,
                dept_code(b.code, function),
                function=function,
            )
            b.add(*(Jurisdiction(unit, c) for c in where[t.code]))
        stationed += [(f"{s[:9]}-{suffix}", mode) for s, ts in where.items() if t.code in ts]
    justice = f"{t.code[:9]}-justice"
    b.org(
        f"{t.code[:9]}-mediation",
        f"{t.name}人民调解委员会",
        OrgKind.MEDIATION_COMMITTEE,
        t.code,
        justice,
        function="mediation",
    )
    for role in TOWNSHIP_ROLES:  # seats standing in for vacant village seats
        post = b.post(f"{t.code}-{role}", role, place=t.code)
        b.staff(post, b.day(date(2021, 1, 1), date(2024, 12, 31)), female=role == "women_chair")
    if not has_centre:
        return
    centre = b.org(
        f"{t.code[:9]}-centre", f"{t.name}综治中心", OrgKind.CENTRE, t.code, f"{b.c6}-centre"
    )
    b.director(centre)
    for n in (1, 2):
        post = b.post(f"{centre}-mediator-{n}", "mediator", organization=centre)
        b.staff(post, b.day(date(2021, 1, 1), date(2024, 12, 31)))
    for org, mode in stationed:
        b.add(Stationing(org, centre, mode, valid_from=STATIONED_FROM))


def rules(b: CountyBuilder) -> None:
    """Grid tiers, the supervisor's seat and the handling rules naming county departments."""
    b.add(
        GridTier(b.code, 1, Level.VILLAGE, "一级网格"),
        GridTier(b.code, 2, Level.HAMLET, "二级网格"),
        GridTier(b.code, 3, Level.HAMLET, "三级网格（微网格）"),
    )
    supervision = dept_code(b.code, "supervision")
    post = b.post(f"{supervision}-supervisor", "supervisor", organization=supervision)
    b.staff(post, date(2022, 1, 1))
    b.add(
        *(
            Handling(h.category, dept_code(b.code, h.function), h.minutes, h.lead, level=h.level)
            for h in HANDLERS
        )
    )
