"""The demo county: 罗城仫佬族自治县 (451225) with its grids, seats, centres and alliance.

A deterministic generator (a seeded ``random.Random``, fixed dates, no wall clock) of a county
at the scale the newspaper articles report: 11 townships, 142 villages and communities,
143 / 725 / 1,696 grids of tiers 1 / 2 / 3 and 1,720 grid workers in post on ``DEMO_TODAY``.
A few defects are planted on purpose so coverage queries have something to find; ``demo_gaps``
lists them, derived from the generated records.

Synthetic boundaries (``source="synthetic"``, ``loaders.demo_geometry``) make point lookups work
out of the box: the county is the rectangle 108.60-109.10 °E, 24.70-25.20 °N, tiled exactly by
its townships, each township by its villages, each village by its tier-1 grid(s), each tier-1
grid by its tier-2 grids, each tier-2 grid by its one or two hamlets and each hamlet by its
micro-grids (the two uncovered hamlets have none); rectangles, areas in proportion to households
(a rural household counts ``RURAL_LAND`` times a community's). One boundary per place of the
county (county, townships, villages, hamlets; no dates) and per grid (from ``GRIDS_FROM``).

Ids and codes:

- places: official codes down to the townships; villages ``<township[:9]>NNN`` (communities
  001-0xx, villages 201-2xx; ``synthetic=True``); hamlets ``<village>-NNN`` from 001;
- grids: tier 1 ``G451225-NNN``, tier 2 ``<tier 1>-NN``, tier 3 ``<tier 2>-NN``;
- organizations: county centre ``451225-centre``, county departments
  ``451225-dept-<function>``, township organizations ``<township[:9]>-centre|police|justice|
  tribunal|mediation``, village centres ``<village>-centre``, allied county centres
  ``<county[:6]>-centre``;
- posts: village seats ``<village>-<role>``, grid seats ``<grid>-grid_worker`` (a second
  worker ``<grid>-grid_worker-2``) and ``<grid>-grid_leader``, centre seats
  ``<organization>-centre_director`` and ``<organization>-mediator-N``;
- persons ``P`` + 6 digits, holdings ``H`` + 6 digits, numbered in generation order;
- boundaries ``B-<place or grid code>``.

>>> from registry.model import Level, Place
>>> records = demo_records()
>>> villages = [r for r in records if isinstance(r, Place) and r.level is Level.VILLAGE]
>>> len(villages), sum(1 for v in villages if v.kind == "社区")
(142, 10)
>>> from registry.model import Boundary
>>> boundaries = [r for r in records if isinstance(r, Boundary)]
>>> len(boundaries), sum(1 for b in boundaries if b.grid is not None)
(3640, 2564)
>>> next(b.geometry for b in boundaries if b.place == DEMO_COUNTY)
'{"type":"Polygon","coordinates":[[[108.6,24.7],[109.1,24.7],[109.1,25.2],[108.6,25.2],[108.6,24.7]]]}'
>>> from registry.store import open_store
>>> store = open_store("memory://")
>>> load_demo(store).written == len(records)
True
>>> gaps = demo_gaps()
>>> len(gaps.missing_seats), len(gaps.vacant_posts), len(gaps.expired_posts)
(3, 6, 4)
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate, pairwise

from loaders.demo_data import (
    ALLIANCE_CODE,
    ALLIANCE_NAME,
    CATEGORIES,
    CLASSES,
    COUNTERPARTS,
    DEMO_COUNTY,
    DEPARTMENTS,
    ESCALATION_LIMITS,
    FEMALE_CHARS,
    GIVEN_CHARS,
    GROUP_NUMERALS,
    HAMLET_PREFIXES,
    HAMLET_ROOTS,
    HANDLERS,
    KIND_HANDLERS,
    LUOPING_TOWNSHIPS,
    NO_FALLBACK_ROLES,
    PHONE_PREFIXES,
    ROLES,
    SURNAMES,
    TOWNSHIP_ROLES,
    TOWNSHIP_UNITS,
    TOWNSHIPS,
    UNIT_SEATS,
    UPPER_CHAIN,
    VILLAGE_ROLES,
    VILLAGES,
)
from loaders.demo_geometry import COUNTY_RECT, Tile, layout, polygon
from loaders.record_builder import RecordBuilder
from registry.codes import Level, level_of_code
from registry.model import (
    Alliance,
    AllianceFunction,
    AnyRecord,
    Border,
    Boundary,
    Category,
    Coverage,
    Grid,
    GridTier,
    Handling,
    Holding,
    Jurisdiction,
    Membership,
    Organization,
    OrgKind,
    Person,
    Place,
    Post,
    Requirement,
    Role,
    RoleTemplate,
    Stationing,
    StationMode,
    in_force,
)
from registry.roles import ROLE_NAMES
from registry.store import GraphStore, WriteResult

__all__ = [
    "DEMO_COUNTY",
    "DEMO_SEED",
    "DEMO_TODAY",
    "GRID_TIER_COUNTS",
    "GRID_WORKERS",
    "DemoGaps",
    "demo_gaps",
    "demo_records",
    "find_gaps",
    "load_demo",
]

DEMO_SEED = 451225
DEMO_TODAY = date(2026, 11, 1)  # "today" of the demo: every date below is fixed

#: Reported figures (DOMAIN.md section 2) that the generator reproduces exactly.
GRID_TIER_COUNTS: dict[int, int] = {1: 143, 2: 725, 3: 1696}
GRID_WORKERS = 1720  # distinct persons holding a grid-worker seat on DEMO_TODAY

#: Planted defects.
MISSING_SEATS = 3  # (village, role) without any post
VACANT_SEATS = 6  # village posts never held
EXPIRED_SEATS = 4  # village posts whose only holding ended before DEMO_TODAY
UNCOVERED_HAMLETS = 2  # hamlets no tier-3 grid covers
VACANT_GRID_POSTS = 3  # tier-3 grids whose grid-worker post was never held

VILLAGE_TEMPLATE = "luocheng-village-7"
GRID_TEMPLATE = "grid-worker-per-microgrid"
GRIDS_FROM = date(2021, 6, 1)  # the current grid plan was laid out then
STATIONED_FROM = date(2023, 1, 1)  # the centres opened ("中心吹哨、部门报到")
EXPIRED_ENDS = (date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30))
FUTURE_ENDS = (date(2026, 12, 31), date(2027, 3, 31), date(2028, 12, 31))
HAMLET_WEIGHTS = {4: 3, 5: 5, 6: 6, 7: 5, 8: 3, 9: 2, 10: 1}  # hamlets per village
#: Land per household of a rural hamlet relative to a community's residents' group (layout
#: weights of the synthetic boundaries: a community is town, a hamlet has its fields and hills).
RURAL_LAND = 8


@dataclass(frozen=True)
class DemoGaps:
    """What the generator planted, as found in the generated records."""

    missing_seats: tuple[tuple[str, str], ...]  # (village code, role) without a post
    vacant_posts: tuple[str, ...]  # village posts with no holding at all
    expired_posts: tuple[str, ...]  # village posts whose holdings all ended before DEMO_TODAY
    double_holder: str  # person holding two village seats
    double_grid_worker: str  # person holding the worker posts of two grids
    uncovered_hamlets: tuple[str, ...]  # hamlets without a tier-3 grid
    vacant_grid_posts: tuple[str, ...]  # grid-worker posts of tier-3 grids never held
    township_without_centre: str  # township code


@dataclass(frozen=True, slots=True)
class Hamlet:
    code: str
    name: str
    households: int


@dataclass(frozen=True, slots=True)
class _Village:
    code: str
    name: str
    township: str
    hamlets: tuple[Hamlet, ...]


class _Builder(RecordBuilder):
    """The demo county's builder: persons and holdings numbered from 1 across the county."""

    def __init__(self, seed: int) -> None:
        super().__init__(random.Random(seed))

    def place(
        self, code: str, name: str, parent: str | None, kind: str, households: int | None = None
    ) -> None:
        """A place at the level its code denotes; village codes are the invented ones."""
        level = level_of_code(code)
        synthetic = level is Level.VILLAGE
        self.add(Place(code, name, level, parent, kind, households, synthetic=synthetic))

    def grid(
        self, code: str, name: str, parent: str | None, households: int, covers: Iterable[str]
    ) -> Grid:
        """A grid of the demo county with its coverage; the tier is the number of dashes."""
        tier = code.count("-")
        grid = Grid(code, name, tier, DEMO_COUNTY, parent, households, valid_from=GRIDS_FROM)
        self.add(grid, *(Coverage(code, place, valid_from=GRIDS_FROM) for place in covers))
        return grid

    def station(self, org: str, centre: str, mode: StationMode) -> None:
        self.add(Stationing(org, centre, mode, valid_from=STATIONED_FROM))

    def person(self, female: bool | None = None) -> str:
        """A new person with a unique Chinese name and a mobile number; returns the id."""
        rng = self.rng
        if female is None:
            female = rng.random() < 0.4
        chars = FEMALE_CHARS if female else GIVEN_CHARS
        name = ""
        while not name or name in self._names:
            size = 1 if rng.random() < 0.3 else 2
            name = rng.choice(SURNAMES) + "".join(rng.sample(chars, size))
        self._names.add(name)
        self._persons += 1
        pid = f"P{self._persons:06d}"
        self.add(Person(pid, name, rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"))
        return pid


# --- places ---------------------------------------------------------------------------------


def _places(b: _Builder) -> list[_Village]:
    for spec in UPPER_CHAIN:
        b.place(spec.code, spec.name, spec.parent, spec.kind)
    for code, name in (*TOWNSHIPS, *LUOPING_TOWNSHIPS):
        b.place(code, name, code[:6] + "000000", "街道" if name.endswith("街道") else name[-1])
    villages = [v for township, _ in TOWNSHIPS for v in _villages(b, township)]
    if len(villages) != 142:
        raise RuntimeError(f"the demo needs 142 villages, the tables list {len(villages)}")
    return villages


def _villages(b: _Builder, township: str) -> list[_Village]:
    """Communities get codes 001, 002, ...; administrative villages 201, 202, ..."""
    villages: list[_Village] = []
    communities = 0
    for name in VILLAGES[township]:
        community = name.endswith("社区")
        communities += community
        number = communities if community else 200 + len(villages) - communities + 1
        code = f"{township[:9]}{number:03d}"
        hamlets = make_hamlets(b.rng, code, community)
        households = sum(h.households for h in hamlets)
        b.place(code, name, township, "社区" if community else "行政村", households)
        for h in hamlets:
            b.place(h.code, h.name, code, "居民小组" if community else "屯", h.households)
        villages.append(_Village(code, name, township, tuple(hamlets)))
    return villages


_HAMLET_NAMES = tuple(p + r + "屯" for p in HAMLET_PREFIXES for r in HAMLET_ROOTS if p != r)


def make_hamlets(rng: random.Random, village: str, community: bool) -> list[Hamlet]:
    """A village's hamlets (or a community's residents' groups) with names and households."""
    if community:
        count = rng.randint(4, 8)
        names = [f"第{GROUP_NUMERALS[i]}居民小组" for i in range(count)]
        sizes = [rng.randint(150, 420) for _ in range(count)]
    else:
        count = rng.choices(list(HAMLET_WEIGHTS), weights=list(HAMLET_WEIGHTS.values()))[0]
        names = rng.sample(_HAMLET_NAMES, count)
        sizes = [rng.randint(28, 160) for _ in range(count)]
    return [
        Hamlet(f"{village}-{i:03d}", name, size)
        for i, (name, size) in enumerate(zip(names, sizes, strict=True), 1)
    ]


# --- grids ----------------------------------------------------------------------------------

_Group = tuple[Hamlet, ...]  # the hamlet(s) a tier-2 grid covers


@dataclass(frozen=True, slots=True)
class _GridPlan:
    tier1: tuple[tuple[str, str, bool], ...]  # (grid code, village code, first part of village)
    tier2: tuple[str, ...]
    tier3: tuple[Grid, ...]
    tiles: tuple[Tile, ...]  # per village: its map, down to the micro-grids


def _group_hamlets(rng: random.Random, villages: Sequence[_Village]) -> list[list[_Group]]:
    """Tier-2 groups per village: single hamlets, and pairs so that there are 725 groups."""
    total = sum(len(v.hamlets) for v in villages)
    pairs = total - GRID_TIER_COUNTS[2]
    slots = [(i, j) for i, v in enumerate(villages) for j in range(len(v.hamlets) // 2)]
    if not UNCOVERED_HAMLETS <= pairs <= len(slots):
        raise RuntimeError(f"{total} hamlets cannot form {GRID_TIER_COUNTS[2]} tier-2 grids")
    per_village = Counter(i for i, _ in rng.sample(slots, pairs))
    result: list[list[_Group]] = []
    for i, v in enumerate(villages):
        sizes = [2] * per_village[i] + [1] * (len(v.hamlets) - 2 * per_village[i])
        rng.shuffle(sizes)
        ends = list(accumulate(sizes))
        result.append([v.hamlets[end - size : end] for size, end in zip(sizes, ends, strict=True)])
    return result


def _plant_uncovered(
    rng: random.Random, villages: Sequence[_Village], groups: Sequence[Sequence[_Group]]
) -> set[str]:
    """The second hamlet of paired groups in different townships: no tier-3 grid covers it."""
    pairs = [
        (v.township, g[1].code)
        for v, gs in zip(villages, groups, strict=True)
        for g in gs
        if len(g) == 2
    ]
    rng.shuffle(pairs)
    chosen: dict[str, str] = {}
    for township, hamlet in pairs:
        if len(chosen) < UNCOVERED_HAMLETS:
            chosen.setdefault(township, hamlet)
    return set(chosen.values())


def _apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders, ties by position)."""
    quotas = [total * w / sum(weights) for w in weights]
    shares = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - quotas[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _split(households: int, parts: int) -> list[int]:
    base, extra = divmod(households, parts or 1)
    return [base + (i < extra) for i in range(parts)]


def _grids(b: _Builder, villages: Sequence[_Village]) -> _GridPlan:
    """Tier 1 per village (the biggest village gets two), tier 2 per hamlet group, tier 3
    micro-grids per hamlet in proportion to households."""
    groups = _group_hamlets(b.rng, villages)
    uncovered = _plant_uncovered(b.rng, villages, groups)
    covered = [h for v in villages for h in v.hamlets if h.code not in uncovered]
    extra = _apportion(GRID_TIER_COUNTS[3] - len(covered), [h.households for h in covered])
    micro = {h.code: 1 + n for h, n in zip(covered, extra, strict=True)}
    split = max(range(len(villages)), key=lambda i: (len(groups[i]), -i))
    tier1: list[tuple[str, str, bool]] = []
    tier2: list[str] = []
    tier3: list[Grid] = []
    tiles: list[Tile] = []
    for i, v in enumerate(villages):
        half = (len(groups[i]) + 1) // 2
        parts = [groups[i][:half], groups[i][half:]] if i == split else [groups[i]]
        land = 1 if v.name.endswith("社区") else RURAL_LAND
        part_tiles: list[Tile] = []
        for p, part in enumerate(parts):
            code = f"G451225-{len(tier1) + 1:03d}"
            suffix = f"（{GROUP_NUMERALS[p]}片）" if len(parts) > 1 else ""
            households = sum(h.households for g in part for h in g)
            b.grid(code, f"{v.name}一级网格{suffix}", None, households, [v.code])
            tier1.append((code, v.code, p == 0))
            group_tiles: list[Tile] = []
            for k, group in enumerate(part, 1):
                tier2.append(f"{code}-{k:02d}")
                grids, tile = _tier2_grid(b, tier2[-1], code, group, micro, land)
                tier3.extend(grids)
                group_tiles.append(tile)
            part_tiles.append(Tile.of((code,), group_tiles))
        # The tier-1 grid is the village, or (the split village) one part of it.
        tiles.append(
            Tile.of((v.code,), part_tiles)
            if len(parts) > 1
            else Tile.of((v.code, *part_tiles[0].keys), part_tiles[0].children)
        )
    counts = {1: len(tier1), 2: len(tier2), 3: len(tier3)}
    if counts != GRID_TIER_COUNTS:
        raise RuntimeError(f"generated {counts} grids per tier, expected {GRID_TIER_COUNTS}")
    return _GridPlan(tuple(tier1), tuple(tier2), tuple(tier3), tuple(tiles))


def _tier2_grid(
    b: _Builder, code: str, parent: str, group: _Group, micro: dict[str, int], land: int
) -> tuple[list[Grid], Tile]:
    """A tier-2 grid over ``group`` and its micro-grids (none over an uncovered hamlet), with
    its map: the grid is the union of its hamlets, each hamlet the union of its micro-grids."""
    name = "、".join(h.name for h in group) + "二级网格"
    b.grid(code, name, parent, sum(h.households for h in group), [h.code for h in group])
    grids: list[Grid] = []
    hamlet_tiles: list[Tile] = []
    for h in group:
        micro_tiles: list[Tile] = []
        for j, households in enumerate(_split(h.households, micro.get(h.code, 0)), 1):
            sub = f"{code}-{len(grids) + 1:02d}"
            grids.append(b.grid(sub, f"{h.name}第{j}微网格", code, households, [h.code]))
            micro_tiles.append(Tile((sub,), households))
        if len(micro_tiles) == 1:  # the micro-grid is the whole hamlet
            hamlet_tiles.append(Tile((h.code, *micro_tiles[0].keys), h.households * land))
        else:
            hamlet_tiles.append(Tile((h.code,), h.households * land, tuple(micro_tiles)))
    if len(hamlet_tiles) == 1:  # the tier-2 grid is the hamlet
        only = hamlet_tiles[0]
        return grids, Tile((code, *only.keys), only.weight, only.children)
    return grids, Tile.of((code,), hamlet_tiles)


def _boundaries(b: _Builder, villages: Sequence[_Village], plan: _GridPlan) -> None:
    """Synthetic outlines (``loaders.demo_geometry``) of the county, its townships, villages and
    hamlets and of every grid: an exact tiling of the county's rectangle."""
    per_township: dict[str, list[Tile]] = defaultdict(list)
    for v, tile in zip(villages, plan.tiles, strict=True):
        per_township[v.township].append(tile)
    county = Tile.of((DEMO_COUNTY,), (Tile.of((t,), per_township[t]) for t, _ in TOWNSHIPS))
    rects = layout(county, COUNTY_RECT)
    for place in b.buckets["place"]:
        if place.key in rects:
            b.add(
                Boundary(
                    f"B-{place.key}", polygon(rects[place.key]), place=place.key, source="synthetic"
                )
            )
    for grid in b.buckets["grid"]:
        b.add(
            Boundary(
                f"B-{grid.key}",
                polygon(rects[grid.key]),
                grid=grid.key,
                source="synthetic",
                valid_from=GRIDS_FROM,
            )
        )


# --- seats and the people in them -------------------------------------------------------------


def _village_seats(b: _Builder, villages: Sequence[_Village]) -> dict[str, tuple[str, date]]:
    """Seven seats per village with planted gaps; returns each governance officer in post."""
    rng = b.rng
    neighbours = [(a.code, c.code) for a, c in pairwise(villages) if a.township == c.township]
    # A lawyer who is the legal adviser of two neighbouring villages (the double holder).
    shared = {(code, "legal_adviser") for code in rng.choice(neighbours)}
    seats = [(v.code, role) for v in villages for role in VILLAGE_ROLES]
    planted = rng.sample(
        [s for s in seats if s not in shared], MISSING_SEATS + VACANT_SEATS + EXPIRED_SEATS
    )
    missing = set(planted[:MISSING_SEATS])
    vacant = set(planted[MISSING_SEATS : MISSING_SEATS + VACANT_SEATS])
    expired = set(planted[MISSING_SEATS + VACANT_SEATS :])
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
            _predecessor(b, post, start, date(2016, 1, 1), 0.1, female)
            end = None if rng.random() < 0.85 else rng.choice(FUTURE_ENDS)
            person = b.staff(post, start, end, female)
            if role == "governance_officer":
                officers[village] = (person, start)
    return officers


def _predecessor(
    b: _Builder, post: str, start: date, earliest: date, chance: float, female: bool | None
) -> None:
    """With probability ``chance``, someone held ``post`` until the day before ``start``."""
    latest = start - timedelta(days=400)
    if b.rng.random() < chance and latest >= earliest:
        b.staff(post, b.day(earliest, latest), start - timedelta(days=1), female)


def _grid_seats(b: _Builder, plan: _GridPlan, officers: dict[str, tuple[str, date]]) -> None:
    """A worker per micro-grid (planted: 3 vacant, one worker for two grids, and second
    workers for the busiest grids up to GRID_WORKERS), a leader per tier-1 and tier-2 grid."""
    rng = b.rng
    vacant = {g.code for g in rng.sample(plan.tier3, VACANT_GRID_POSTS)}
    siblings: dict[str | None, list[str]] = defaultdict(list)
    for g in plan.tier3:
        if g.code not in vacant:
            siblings[g.parent].append(g.code)
    # One worker looks after two neighbouring micro-grids of one tier-2 grid.
    shared = set(rng.choice([kids for kids in siblings.values() if len(kids) >= 2])[:2])
    seconds = GRID_WORKERS - (len(plan.tier3) - VACANT_GRID_POSTS - 1)
    ranked = sorted(
        (g for g in plan.tier3 if g.code not in vacant | shared),
        key=lambda g: (-(g.households or 0), g.code),
    )
    busiest = {g.code for g in ranked[:seconds]}
    worker = ""
    for g in plan.tier3:
        post = b.post(f"{g.code}-grid_worker", "grid_worker", grid=g.code)
        start = b.day(GRIDS_FROM, date(2024, 12, 31))
        if g.code in vacant:
            continue
        if g.code in shared:
            worker = worker or b.person()
            b.hold(worker, post, start)
        else:
            _predecessor(b, post, start, GRIDS_FROM, 0.06, None)
            b.staff(post, start)
        if g.code in busiest:
            b.staff(b.post(f"{g.code}-grid_worker-2", "grid_worker", grid=g.code), start)
    for code, village, first in plan.tier1:
        post = b.post(f"{code}-grid_leader", "grid_leader", grid=code)
        if first and village in officers:  # the village's governance officer leads its grid
            person, start = officers[village]
            b.hold(person, post, max(start, GRIDS_FROM))
        else:
            b.staff(post, b.day(GRIDS_FROM, date(2023, 12, 31)))
    for code in plan.tier2:
        post = b.post(f"{code}-grid_leader", "grid_leader", grid=code)
        b.staff(post, b.day(GRIDS_FROM, date(2024, 6, 30)))


# --- organizations ----------------------------------------------------------------------------

COUNTY_CENTRE = "451225-centre"


def _dept(function: str) -> str:
    return f"451225-dept-{function}"


def _unit(township: str, suffix: str) -> str:
    return f"{township[:9]}-{suffix}"


def _organizations(b: _Builder, villages: Sequence[_Village]) -> None:
    """The county centre and departments, township units, village centres."""
    name = "罗城仫佬族自治县社会治安综合治理中心"
    _director(b, b.org(COUNTY_CENTRE, name, OrgKind.CENTRE, DEMO_COUNTY, phone="0778-8212345"))
    for d in DEPARTMENTS:
        parent = None if d.parent is None else _dept(d.parent)
        code = b.org(_dept(d.function), d.name, d.kind, DEMO_COUNTY, parent, d.function, d.phone)
        b.station(code, COUNTY_CENTRE, d.mode)
    without = b.rng.choice(TOWNSHIPS)[0]  # planted: this township has no centre
    for code, name in TOWNSHIPS:
        _township_units(b, code, name, has_centre=code != without)
    for v in villages:  # village centres report to the township centre, else the county's
        parent = COUNTY_CENTRE if v.township == without else _unit(v.township, "centre")
        b.org(f"{v.code}-centre", f"{v.name}综治中心", OrgKind.CENTRE, v.code, parent)


def _township_units(b: _Builder, code: str, name: str, has_centre: bool) -> None:
    """Justice office, police station, tribunal, mediation committee and centre."""
    stationed: list[tuple[str, StationMode]] = []
    for suffix, kind, pattern, function, mode in TOWNSHIP_UNITS:
        seats = UNIT_SEATS.get(suffix, {code: (code,)})  # default: one per township, its own
        if code in seats:
            unit = b.org(
                _unit(code, suffix),
                pattern.format(name[:-1]),
                kind,
                code,
                _dept(function),
                function,
            )
            b.add(*(Jurisdiction(unit, t) for t in seats[code]))
        stationed += [(_unit(seat, suffix), mode) for seat, ts in seats.items() if code in ts]
    b.org(
        _unit(code, "mediation"),
        f"{name}人民调解委员会",
        OrgKind.MEDIATION_COMMITTEE,
        code,
        _unit(code, "justice"),
        "mediation",
    )
    if not has_centre:
        return
    centre = b.org(_unit(code, "centre"), f"{name}综治中心", OrgKind.CENTRE, code, COUNTY_CENTRE)
    _director(b, centre)
    for n in (1, 2):
        post = b.post(f"{centre}-mediator-{n}", "mediator", organization=centre)
        b.staff(post, b.day(date(2021, 1, 1), date(2024, 12, 31)))
    for org, mode in stationed:
        b.station(org, centre, mode)


def _director(b: _Builder, centre: str) -> None:
    post = b.post(f"{centre}-centre_director", "centre_director", organization=centre)
    b.staff(post, b.day(date(2021, 1, 1), date(2024, 6, 30)))


# --- roles, templates, categories, alliance ---------------------------------------------------


def _roles_and_templates(b: _Builder) -> None:
    b.add(
        *(
            Role(code, name, text, fallback=code not in NO_FALLBACK_ROLES)
            for code, name, text in ROLES
        )
    )
    b.add(
        GridTier(DEMO_COUNTY, 1, Level.VILLAGE, "一级网格"),
        GridTier(DEMO_COUNTY, 2, Level.HAMLET, "二级网格"),
        GridTier(DEMO_COUNTY, 3, Level.HAMLET, "三级网格（微网格）"),
    )
    slogan = "一村" + "".join("一" + ROLE_NAMES[r] for r in VILLAGE_ROLES)
    b.add(
        RoleTemplate(
            VILLAGE_TEMPLATE, f"罗城一村七岗（{slogan}）", DEMO_COUNTY, place_level=Level.VILLAGE
        ),
        RoleTemplate(GRID_TEMPLATE, "每个微网格至少一名网格员", DEMO_COUNTY, grid_tier=3),
    )
    b.add(*(Requirement(VILLAGE_TEMPLATE, r, min=1, max=1) for r in VILLAGE_ROLES))
    b.add(Requirement(GRID_TEMPLATE, "grid_worker", min=1))


def _categories(b: _Builder) -> None:
    for spec in CATEGORIES:
        cls_code = spec.code.split(".")[0]
        cls = CLASSES[cls_code]
        b.add(
            Category(
                spec.code,
                spec.name,
                parent=None if cls_code == spec.code else cls_code,
                roles=tuple(dict.fromkeys((*cls.roles, *spec.roles))),
                functions=tuple(dict.fromkeys((*cls.functions, *spec.functions))),
                emergency=cls.emergency,
                time_limit_minutes=spec.minutes,
            )
        )
    b.add(
        *(
            Handling(h.category, _dept(h.function), h.minutes, h.lead, level=h.level)
            for h in HANDLERS
        )
    )
    b.add(
        *(
            Handling(c, None, m, False, org_kind=kind, level=level)
            for c, kind, level, m in KIND_HANDLERS
        )
    )
    levels = (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY)
    b.add(
        *(
            Handling(c, None, m, False, org_kind=OrgKind.CENTRE, level=level)
            for c, limits in ESCALATION_LIMITS.items()
            for level, m in zip(levels, limits, strict=True)
        )
    )


def _alliance(b: _Builder) -> None:
    signed = date(2023, 5, 18)
    b.add(Alliance(ALLIANCE_CODE, ALLIANCE_NAME, tuple(AllianceFunction), signed))
    for spec in COUNTERPARTS:
        b.add(Membership(ALLIANCE_CODE, spec.county, spec.scope, signed))
        centre = b.org(f"{spec.county[:6]}-centre", spec.centre_name, OrgKind.CENTRE, spec.county)
        _director(b, centre)
    # The demo county is a member too (it does not border Luoping; membership is for the
    # demo), so routing in the demo county can reach the allied counterparts.
    b.add(Membership(ALLIANCE_CODE, DEMO_COUNTY, "演示县", date(2024, 3, 1)))
    luoping = COUNTERPARTS[0].county
    for spec in COUNTERPARTS[1:]:
        first, second = sorted((luoping, spec.county))
        b.add(Border(first, second))


def _routing_seats(b: _Builder) -> None:
    """Township seats that stand in for vacant village seats, and the supervisor's seat."""
    for code, _ in TOWNSHIPS:
        for role in TOWNSHIP_ROLES:
            post = b.post(f"{code}-{role}", role, place=code)
            b.staff(post, b.day(date(2021, 1, 1), date(2024, 12, 31)), female=role == "women_chair")
    post = b.post(
        f"{_dept('supervision')}-supervisor", "supervisor", organization=_dept("supervision")
    )
    b.staff(post, date(2022, 1, 1))


# --- public API -------------------------------------------------------------------------------


def demo_records(seed: int = DEMO_SEED) -> list[AnyRecord]:
    """Every record of the demo, parents before children, ready for one ``store.apply``."""
    b = _Builder(seed)
    villages = _places(b)
    plan = _grids(b, villages)
    _boundaries(b, villages, plan)
    _roles_and_templates(b)
    officers = _village_seats(b, villages)
    _organizations(b, villages)
    _grid_seats(b, plan, officers)
    _categories(b)
    _alliance(b)
    _routing_seats(b)
    return b.records()


def demo_gaps(seed: int = DEMO_SEED) -> DemoGaps:
    """The planted gaps, found by inspecting ``demo_records(seed)``."""
    return find_gaps(demo_records(seed))


def load_demo(store: GraphStore, seed: int = DEMO_SEED) -> WriteResult:
    """Write the demo county into ``store`` in one audited write."""
    records = demo_records(seed)
    return store.apply(records, actor="demo", operation="load_demo", reason="demo county")


def find_gaps(records: Sequence[AnyRecord]) -> DemoGaps:
    """The defects the generator plants, found in ``records`` of the demo county."""
    places = [r for r in records if isinstance(r, Place) and r.code.startswith(DEMO_COUNTY[:6])]
    villages = sorted(p.code for p in places if p.level is Level.VILLAGE)
    grids = {r.code: r for r in records if isinstance(r, Grid)}
    posts = [r for r in records if isinstance(r, Post)]
    held: dict[str, list[Holding]] = defaultdict(list)
    for h in records:
        if isinstance(h, Holding):
            held[h.post].append(h)
    required = [
        r.role for r in records if isinstance(r, Requirement) and r.template == VILLAGE_TEMPLATE
    ]
    seats = sorted(p.id for p in posts if p.place in villages and p.role in required)
    have = {(p.place, p.role) for p in posts}
    workers = sorted(
        p.id for p in posts if p.role == "grid_worker" and p.grid and grids[p.grid].tier == 3
    )
    covered = {c.place for c in records if isinstance(c, Coverage) and grids[c.grid].tier == 3}
    centres = {
        o.place
        for o in records
        if isinstance(o, Organization) and o.kind is OrgKind.CENTRE and o.level is Level.TOWNSHIP
    }
    hamlets = [p.code for p in places if p.level is Level.HAMLET]
    townships = [p.code for p in places if p.level is Level.TOWNSHIP]
    return DemoGaps(
        missing_seats=tuple((v, r) for v in villages for r in required if (v, r) not in have),
        vacant_posts=tuple(s for s in seats if not held[s]),
        expired_posts=tuple(s for s in seats if held[s] and all(_ended(h) for h in held[s])),
        double_holder=_only(_holders(seats, held), "village seats"),
        double_grid_worker=_only(_holders(workers, held), "grid-worker posts"),
        uncovered_hamlets=tuple(sorted(h for h in hamlets if h not in covered)),
        vacant_grid_posts=tuple(w for w in workers if not held[w]),
        township_without_centre=_only([t for t in townships if t not in centres], "no centre"),
    )


def _ended(h: Holding) -> bool:
    return h.valid_to is not None and h.valid_to < DEMO_TODAY


def _holders(posts: Iterable[str], held: dict[str, list[Holding]]) -> list[str]:
    """Persons holding more than one of ``posts`` on DEMO_TODAY."""
    counts = Counter(h.person for p in posts for h in held[p] if in_force(h, DEMO_TODAY))
    return sorted(person for person, n in counts.items() if n > 1)


def _only(found: list[str], what: str) -> str:
    if len(found) != 1:
        raise RuntimeError(f"expected exactly one planted case ({what}), found {found}")
    return found[0]
