"""One synthetic county, built from its ``CountyPlan`` with its own seeded ``random.Random``.

The county follows the demo county's conventions (``loaders.demo``): townships (街道 ``001``..,
镇 ``100``.., 乡 ``200``..), villages (社区 ``001``.., 行政村 ``201``.., ``synthetic=True``) and
hamlets ``<village>-NNN``; grids of tiers 1-3 (``G<county6>-NNN``, ``-NN``, ``-NN``: a tier-1
grid per village, the biggest village two, a tier-2 grid per hamlet or pair of hamlets, micro-grids
per hamlet in proportion to households); the seven Luocheng seats per village, a worker per
micro-grid, leaders of tier-1 and tier-2 grids; county, township and village centres with their
directors; the county departments stationed at the county centre; justice offices, police
stations, people's tribunals and mediation committees per township with their jurisdictions;
the handling rules naming the county's departments; and rectangular boundaries tiling the
county's rectangle exactly (``loaders.demo_geometry``). Ids of persons and holdings carry the
county (``P<county6>-NNNNNN``, ``H<county6>-NNNNNN``) so counties never collide.

Gaps are planted at small rates (``RATES``): missing, vacant and expired village seats, vacant
and expired grid-worker posts, a few uncovered hamlets, sometimes a township without a centre.

>>> from loaders.synthetic_plan import plan
>>> records = county_records(plan("county").counties[0])
>>> sum(1 for r in records["place"] if r.kind == "行政村") > 100
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import accumulate

from loaders.demo import GRIDS_FROM, RURAL_LAND, Hamlet, make_hamlets
from loaders.demo_data import GROUP_NUMERALS
from loaders.demo_geometry import Tile, layout, polygon
from loaders.synthetic_builder import RATES, CountyBuilder, Township, Village
from loaders.synthetic_plan import VILLAGE_FIRST, VILLAGE_SECOND, CountyPlan, apportion, unique_name
from loaders.synthetic_staff import grid_seats, organizations, rules, village_seats
from registry.codes import Level
from registry.model import AnyRecord, Boundary, Coverage, Grid, Place

__all__ = ["county_records"]


def county_records(plan: CountyPlan) -> dict[str, list[AnyRecord]]:
    """Every record of one county, per kind in ``KINDS`` order (parents before children);
    the county's province and city are not included."""
    b = CountyBuilder(plan)
    p = plan
    b.add(Place(p.code, p.name, Level.COUNTY, p.city.code, p.kind))
    towns = add_townships(b)
    places = add_villages(b, towns)
    tier1, tier2, tier3, tiles = add_grids(b, places)
    add_boundaries(b, towns, places, tiles)
    officers = village_seats(b, places)
    organizations(b, towns, places, officers)
    grid_seats(b, tier1, tier2, tier3, officers)
    rules(b)
    return b.buckets


def add_townships(b: CountyBuilder) -> list[Township]:
    """Streets (街道) in districts and county-level cities, else towns (镇) and townships
    (乡); the first township is the county seat."""
    p, rng = b.plan, b.rng
    n = p.townships
    streets = {"区": max(n - rng.randint(1, 3), 1), "县级市": rng.randint(1, 3)}.get(p.kind, 0)
    towns = max((n - streets) * 3 // 5, 1 if n > streets else 0)
    kinds = ["街道"] * streets + ["镇"] * towns + ["乡"] * (n - streets - towns)
    base = {"街道": 1, "镇": 100, "乡": 200}
    seen: dict[str, int] = defaultdict(int)
    taken: set[str] = set()
    out: list[Township] = []
    for kind in kinds:
        code = f"{b.c6}{base[kind] + seen[kind]:03d}000"
        seen[kind] += 1
        name = unique_name(rng, taken, kind)
        out.append(Township(code, name, name[: -len(kind)]))
        b.add(Place(code, name, Level.TOWNSHIP, b.code, kind))
    return out


def add_villages(b: CountyBuilder, townships: Sequence[Township]) -> list[Village]:
    rng = b.rng
    weights = [rng.uniform(0.6, 1.4) * (1.5 if i == 0 else 1) for i in range(len(townships))]
    counts = apportion(b.plan.villages - len(townships), weights)
    taken: set[str] = set()
    out: list[Village] = []
    for i, (t, extra) in enumerate(zip(townships, counts, strict=True)):
        n = extra + 1
        if t.code[6:9] < "100":  # a street: mostly communities
            communities = max(n - rng.randint(0, 2), 1)
        elif i == 0 or t.code[6] == "1":  # the seat, other towns
            communities = rng.randint(2, 5) if i == 0 else int(rng.random() < 0.6)
        else:
            communities = 0
        communities = min(communities, n)
        for k in range(n):
            community = k < communities
            number = k + 1 if community else 200 + k - communities + 1
            code = f"{t.code[:9]}{number:03d}"
            suffix = "社区" if community else "村"
            name = unique_name(rng, taken, suffix, VILLAGE_FIRST, VILLAGE_SECOND)
            hamlets = make_hamlets(b.rng, code, community)
            households = sum(h.households for h in hamlets)
            kind = "社区" if community else "行政村"
            b.add(Place(code, name, Level.VILLAGE, t.code, kind, households, True))
            hkind = "居民小组" if community else "屯"
            b.add(
                *(Place(h.code, h.name, Level.HAMLET, code, hkind, h.households) for h in hamlets)
            )
            out.append(Village(code, name, t.code, community, tuple(hamlets)))
    return out


def add_grid(
    b: CountyBuilder,
    code: str,
    name: str,
    tier: int,
    parent: str | None,
    households: int,
    covers: Iterable[str],
) -> Grid:
    grid = Grid(code, name, tier, b.code, parent, households, valid_from=GRIDS_FROM)
    b.add(grid, *(Coverage(code, place, valid_from=GRIDS_FROM) for place in covers))
    return grid


def add_grids(
    b: CountyBuilder, villages: Sequence[Village]
) -> tuple[list[tuple[str, str, bool]], list[str], list[Grid], list[Tile]]:
    """Tier 1 per village (the village with most groups gets two), tier 2 per hamlet or
    pair of hamlets, micro-grids per covered hamlet in proportion to households; with the
    map of every village."""
    rng = b.rng
    groups: list[list[tuple[Hamlet, ...]]] = []
    for v in villages:
        pairs = sum(rng.random() < RATES["pair"] for _ in range(len(v.hamlets) // 2))
        sizes = [2] * pairs + [1] * (len(v.hamlets) - 2 * pairs)
        rng.shuffle(sizes)
        ends = list(accumulate(sizes))
        groups.append([v.hamlets[e - s : e] for s, e in zip(sizes, ends, strict=True)])
    seconds = [g[1].code for gs in groups for g in gs if len(g) == 2]
    hamlet_count = sum(len(v.hamlets) for v in villages)
    n_uncovered = min(round(hamlet_count * RATES["uncovered"]), len(seconds))
    uncovered = set(rng.sample(seconds, n_uncovered))
    covered = [h for v in villages for h in v.hamlets if h.code not in uncovered]
    extra = apportion(max(b.plan.micro_grids - len(covered), 0), [h.households for h in covered])
    micro = {h.code: 1 + n for h, n in zip(covered, extra, strict=True)}
    split = max(range(len(villages)), key=lambda i: (len(groups[i]), -i))
    tier1: list[tuple[str, str, bool]] = []
    tier2: list[str] = []
    tier3: list[Grid] = []
    tiles: list[Tile] = []
    for i, v in enumerate(villages):
        half = (len(groups[i]) + 1) // 2
        parts = (
            [groups[i][:half], groups[i][half:]]
            if i == split and half < len(groups[i])
            else [groups[i]]
        )
        land = 1 if v.community else RURAL_LAND
        part_tiles: list[Tile] = []
        for p, part in enumerate(parts):
            code = f"G{b.c6}-{len(tier1) + 1:03d}"
            suffix = f"（{GROUP_NUMERALS[p]}片）" if len(parts) > 1 else ""
            households = sum(h.households for g in part for h in g)
            add_grid(b, code, f"{v.name}一级网格{suffix}", 1, None, households, [v.code])
            tier1.append((code, v.code, p == 0))
            group_tiles: list[Tile] = []
            for k, group in enumerate(part, 1):
                tier2.append(f"{code}-{k:02d}")
                group_tiles.append(add_tier2(b, tier2[-1], code, group, micro, land, tier3))
            part_tiles.append(Tile.of((code,), group_tiles))
        tiles.append(
            Tile.of((v.code,), part_tiles)
            if len(parts) > 1
            else Tile.of((v.code, *part_tiles[0].keys), part_tiles[0].children)
        )
    return tier1, tier2, tier3, tiles


def add_tier2(
    b: CountyBuilder,
    code: str,
    parent: str,
    group: tuple[Hamlet, ...],
    micro: dict[str, int],
    land: int,
    tier3: list[Grid],
) -> Tile:
    name = "、".join(h.name for h in group) + "二级网格"
    add_grid(b, code, name, 2, parent, sum(h.households for h in group), [h.code for h in group])
    hamlet_tiles: list[Tile] = []
    made = 0
    for h in group:
        parts = micro.get(h.code, 0)
        base, rest = divmod(h.households, parts or 1)
        micro_tiles: list[Tile] = []
        for j in range(parts):
            made += 1
            sub, households = f"{code}-{made:02d}", base + (j < rest)
            tier3.append(
                add_grid(b, sub, f"{h.name}第{j + 1}微网格", 3, code, households, [h.code])
            )
            micro_tiles.append(Tile((sub,), households))
        if len(micro_tiles) == 1:  # the micro-grid is the whole hamlet
            hamlet_tiles.append(Tile((h.code, *micro_tiles[0].keys), h.households * land))
        else:
            hamlet_tiles.append(Tile((h.code,), h.households * land, tuple(micro_tiles)))
    if len(hamlet_tiles) == 1:  # the tier-2 grid is the hamlet
        only = hamlet_tiles[0]
        return Tile((code, *only.keys), only.weight, only.children)
    return Tile.of((code,), hamlet_tiles)


def add_boundaries(
    b: CountyBuilder,
    townships: Sequence[Township],
    villages: Sequence[Village],
    tiles: Sequence[Tile],
) -> None:
    per_township: dict[str, list[Tile]] = defaultdict(list)
    for v, t in zip(villages, tiles, strict=True):
        per_township[v.township].append(t)
    root = Tile.of((b.code,), (Tile.of((t.code,), per_township[t.code]) for t in townships))
    rects = layout(root, b.plan.rect)
    for place in b.buckets["place"]:
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
