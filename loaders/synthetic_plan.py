"""The skeleton of a synthetic region: provinces, cities and counties with their codes, names,
rectangles, planned sizes, borders and alliances. Cheap (no village is built here: a nation's
skeleton is about 3,000 small county plans), so ``loaders.synthetic`` computes it up front and then
builds the counties one at a time.

Scales (``PROFILES``) carry the targets of DOMAIN.md: a county like Luocheng, a city like Baise
(12 counties, 135 townships, 1,890 villages, 31,000 micro-grids, 38,000 grid workers), a province
of about ten such cities, and a nation of 31 provinces with about 490,000 villages and 4.5 million
grid workers. Each total is drawn within ±3 % of its target and apportioned over the counties by
random weights, so every county differs while the totals stay on target.

Codes: synthetic provinces use the 31 two-digit codes from 66 to 99 that GB/T 2260 leaves unused
(71 Taiwan, 81 Hong Kong and 82 Macao are real and skipped); the single-province scales use 99. No
synthetic code can collide with a real division code, so the demo county (45...) and a generated
region can share a store. Cities are numbered 01, 02, ...; in a city, districts (区) get 02, 03,
..., counties (县) 21, 22, ... and a county-level city (县级市) 81, as GB/T 2260 numbers them.

>>> p = plan("city", seed=1)
>>> len(p.counties), p.counties[0].code, p.counties[0].city.code
(12, '990102000000', '990100000000')
>>> sum(c.villages for c in p.counties) == p.totals["villages"]
True
>>> plan("galaxy")
Traceback (most recent call last):
...
registry.errors.InvalidInput: unknown scale 'galaxy' (use county, city, province or national)
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from loaders.demo_data import HAMLET_PREFIXES, HAMLET_ROOTS
from loaders.demo_geometry import Rect, tile
from registry.errors import InvalidInput

__all__ = [
    "PLACE_CHARS",
    "PROFILES",
    "SCALES",
    "SINGLE_PROVINCE",
    "SYNTHETIC_PROVINCES",
    "VILLAGE_FIRST",
    "VILLAGE_SECOND",
    "AlliancePlan",
    "CountyPlan",
    "Profile",
    "RegionPlan",
    "UnitPlan",
    "apportion",
    "plan",
    "profile_of",
    "unique_name",
]

SCALES: tuple[str, ...] = ("county", "city", "province", "national")

#: Two-digit province codes GB/T 2260 does not use (66-99 without 71, 81, 82): exactly 31.
SYNTHETIC_PROVINCES: tuple[str, ...] = tuple(
    f"{n:02d}" for n in range(66, 100) if n not in (71, 81, 82)
)
#: The province of the county, city and province scales.
SINGLE_PROVINCE = "99"

#: Characters of synthetic place names (two of them and a suffix: 永安县, 兴隆镇, ...).
PLACE_CHARS = "".join(
    dict.fromkeys(
        "安平宁远康泰永丰兴隆长乐和顺福寿昌盛新华金石云龙凤山江河川阳清德仁义信达通明光辉嘉祥"
        "瑞英武文崇宝庆元吉利定海城南北东西中湖峰林溪泉桂兰松柏梅竹怀广开鸿临靖绥化承恩延"
    )
)
#: Stems of the real provinces, never given to a synthetic one.
_REAL_PROVINCES = frozenset(
    [
        "北京",
        "天津",
        "河北",
        "山西",
        "内蒙",
        "辽宁",
        "吉林",
        "黑龙",
        "上海",
        "江苏",
        "浙江",
        "安徽",
        "福建",
        "江西",
        "山东",
        "河南",
        "湖北",
        "湖南",
        "广东",
        "广西",
        "海南",
        "重庆",
        "四川",
        "贵州",
        "云南",
        "西藏",
        "陕西",
        "甘肃",
        "青海",
        "宁夏",
        "新疆",
        "台湾",
        "香港",
        "澳门",
    ]
)
_ETHNIC = ("壮族", "瑶族", "苗族", "侗族", "仫佬族", "布依族", "彝族", "土家族")


@dataclass(frozen=True, slots=True)
class Profile:
    """What a scale models: how many provinces, cities per province and counties per city
    (inclusive ranges), the totals to reach and the rectangle the region fills."""

    provinces: int
    cities: tuple[int, int]
    counties: tuple[int, int]
    townships: int
    villages: int
    micro_grids: int
    workers: int
    rect: Rect
    model: str


PROFILES: dict[str, Profile] = {
    # One county the size of the demo (罗城: 11 townships, 142 villages, 1,696 micro-grids,
    # 1,720 grid workers), 101.0-101.5 °E, 26.0-26.5 °N (about 2,800 km²).
    "county": Profile(
        1,
        (1, 1),
        (1, 1),
        11,
        140,
        1_700,
        1_700,
        (101_000_000, 26_000_000, 101_500_000, 26_500_000),
        "罗城 (Luocheng)",
    ),
    # Baise (百色): 12 counties, 135 townships, 1,890 villages, 31,000 micro-grids, 38,000 grid
    # workers; about 36,000 km².
    "city": Profile(
        1,
        (1, 1),
        (12, 12),
        135,
        1_890,
        31_000,
        38_000,
        (101_000_000, 26_000_000, 102_900_000, 27_750_000),
        "百色 (Baise)",
    ),
    # About ten Baise-sized cities (DOMAIN.md: a province is about ten times a city).
    "province": Profile(
        1,
        (9, 11),
        (10, 14),
        1_350,
        18_900,
        310_000,
        380_000,
        (100_000_000, 25_500_000, 106_500_000, 30_500_000),
        "10 × 百色",
    ),
    # The nation: 31 provinces, about 2,900 counties, 38,600 townships, 490,000 villages and
    # 4.5 million grid workers (one per micro-grid, a few with a second one).
    "national": Profile(
        31,
        (8, 13),
        (7, 11),
        38_600,
        490_000,
        4_400_000,
        4_500_000,
        (80_000_000, 26_000_000, 126_000_000, 50_000_000),
        "中国 (China)",
    ),
}


def profile_of(scale: str) -> Profile:
    """The profile of ``scale``; ``InvalidInput`` for an unknown one."""
    profile = PROFILES.get(scale)
    if profile is None:
        raise InvalidInput(
            f"unknown scale {scale!r} (use county, city, province or national)", [scale], "scale"
        )
    return profile


@dataclass(frozen=True, slots=True)
class UnitPlan:
    """A province or a city: code, name, kind (省, 地级市), parent code, rectangle."""

    code: str
    name: str
    kind: str
    parent: str | None
    rect: Rect


@dataclass(frozen=True, slots=True)
class CountyPlan:
    """One county to build: where it sits, what it is called and how big it is."""

    index: int  # position in generation order (code order)
    code: str
    name: str
    short: str  # the name without its suffix: 永安县 -> 永安
    kind: str  # 县, 区, 县级市, 自治县
    city: UnitPlan
    province: UnitPlan
    townships: int
    villages: int
    micro_grids: int
    workers: int
    rect: Rect
    area_code: str  # telephone area code of its city (synthetic)
    first_in_city: bool
    first_in_province: bool
    seed: str  # seed of the county's own random.Random


@dataclass(frozen=True, slots=True)
class AlliancePlan:
    """A cross-border alliance: its founding county first, then the other members."""

    code: str
    name: str
    members: tuple[str, ...]
    signed: date


@dataclass(frozen=True, slots=True)
class RegionPlan:
    """The skeleton of a region: counties in generation (code) order, the borders between them
    (each county's bordering counties that come before it) and the alliances."""

    scale: str
    seed: int
    totals: dict[str, int]
    counties: tuple[CountyPlan, ...]
    earlier_neighbours: dict[str, tuple[str, ...]]
    alliances: tuple[AlliancePlan, ...]


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders, ties by position).

    >>> apportion(10, [1, 1, 1])
    [4, 3, 3]
    """
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    shares = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - quotas[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def unique_name(
    rng: random.Random,
    taken: set[str],
    suffix: str,
    first: str = PLACE_CHARS,
    second: str = PLACE_CHARS,
    avoid: frozenset[str] = frozenset(),
) -> str:
    """A two-character stem plus ``suffix`` not in ``taken`` (added to it); three characters
    once two-character stems run short."""
    for attempt in range(10_000):
        stem = rng.choice(first) + rng.choice(second)
        if attempt >= 200:
            stem += rng.choice(PLACE_CHARS)
        if stem[0] == stem[1] or stem in avoid:
            continue
        name = stem + suffix
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError(f"no free name with suffix {suffix!r}")  # pragma: no cover


def _county_kinds(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(two-digit code, kind) of the ``n`` counties of a city, in code order."""
    if n == 1:
        return [("21", "县")]
    districts = rng.randint(1, 3) if n >= 5 else 1
    cities = 1 if n >= 6 and rng.random() < 0.6 else 0
    counties = n - districts - cities
    kinds = [(f"{2 + i:02d}", "区") for i in range(districts)]
    kinds += [(f"{21 + i:02d}", "自治县" if rng.random() < 0.08 else "县") for i in range(counties)]
    kinds += [(f"{81 + i:02d}", "县级市") for i in range(cities)]
    return kinds


def _county_name(rng: random.Random, taken: set[str], kind: str) -> tuple[str, str]:
    if kind == "自治县":
        short = unique_name(rng, taken, "")
        return f"{short}{rng.choice(_ETHNIC)}自治县", short
    suffix = {"区": "区", "县": "县", "县级市": "市"}[kind]
    name = unique_name(rng, taken, suffix)
    return name, name[: -len(suffix)]


def _edges(rects: dict[str, Rect]) -> set[tuple[str, str]]:
    """Pairs of rectangles sharing a stretch of edge (not only a corner), in code order."""
    west: dict[int, list[str]] = defaultdict(list)
    south: dict[int, list[str]] = defaultdict(list)
    for code, (w, s, _, _) in rects.items():
        west[w].append(code)
        south[s].append(code)
    pairs: set[tuple[str, str]] = set()
    for code, (w, s, e, n) in rects.items():
        for other in west.get(e, ()):  # its eastern neighbours
            _, os_, _, on = rects[other]
            if min(n, on) > max(s, os_):
                pairs.add((min(code, other), max(code, other)))
        for other in south.get(n, ()):  # its northern neighbours
            ow, _, oe, _ = rects[other]
            if min(e, oe) > max(w, ow):
                pairs.add((min(code, other), max(code, other)))
    return pairs


def plan(scale: str, seed: int = 1) -> RegionPlan:
    """The skeleton of the region of ``scale`` for ``seed`` (deterministic)."""
    profile = profile_of(scale)
    rng = random.Random(f"gridreg-synthetic:{scale}:{seed}")
    codes = SYNTHETIC_PROVINCES if profile.provinces > 1 else (SINGLE_PROVINCE,)
    # The tree: cities per province, (code, kind) of the counties per city.
    shape = [
        [
            _county_kinds(rng, rng.randint(*profile.counties))
            for _ in range(rng.randint(*profile.cities))
        ]
        for _ in codes
    ]
    flat = [(p, c, k) for p, cities in enumerate(shape) for c, ks in enumerate(cities) for k in ks]
    size = [rng.uniform(0.75, 1.25) for _ in flat]  # a county's relative size
    totals = {
        "townships": profile.townships,
        "villages": profile.villages,
        "micro_grids": profile.micro_grids,
        "workers": profile.workers,
    }
    totals = {k: round(v * rng.uniform(0.97, 1.03)) for k, v in totals.items()}
    shares = {k: apportion(v, [s * rng.uniform(0.9, 1.1) for s in size]) for k, v in totals.items()}
    # Rectangles: provinces tile the region, cities their province, counties their city, each
    # in proportion to its villages.
    villages = shares["villages"]
    per_city: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (p, c, _) in enumerate(flat):
        per_city[(p, c)].append(i)
    province_rects = tile(
        profile.rect,
        [sum(villages[i] for i, f in enumerate(flat) if f[0] == p) for p in range(len(codes))],
    )
    taken: set[str] = set()
    county_names: set[str] = set()
    counties: list[CountyPlan] = []
    rects: dict[str, Rect] = {}
    for p, cities in enumerate(shape):
        code = codes[p]
        province = UnitPlan(
            code.ljust(12, "0"),
            unique_name(rng, taken, "省", avoid=_REAL_PROVINCES),
            "省",
            None,
            province_rects[p],
        )
        county_names = set()
        city_rects = tile(
            province.rect, [sum(villages[i] for i in per_city[(p, c)]) for c in range(len(cities))]
        )
        for c, kinds in enumerate(cities):
            city = UnitPlan(
                f"{code}{c + 1:02d}".ljust(12, "0"),
                unique_name(rng, taken, "市"),
                "地级市",
                province.code,
                city_rects[c],
            )
            area_code = f"09{(p * 13 + c) % 100:02d}"
            members = per_city[(p, c)]
            county_rects = tile(city.rect, [villages[i] for i in members])
            for k, (i, (number, kind)) in enumerate(zip(members, kinds, strict=True)):
                name, short = _county_name(rng, county_names, kind)
                county_code = f"{city.code[:4]}{number}".ljust(12, "0")
                rects[county_code] = county_rects[k]
                counties.append(
                    CountyPlan(
                        index=len(counties),
                        code=county_code,
                        name=name,
                        short=short,
                        kind=kind,
                        city=city,
                        province=province,
                        townships=max(shares["townships"][i], 2),
                        villages=max(villages[i], 4),
                        micro_grids=shares["micro_grids"][i],
                        workers=shares["workers"][i],
                        rect=county_rects[k],
                        area_code=area_code,
                        first_in_city=k == 0,
                        first_in_province=c == 0 and k == 0,
                        seed=f"gridreg-synthetic:{scale}:{seed}:{county_code}",
                    )
                )
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in _edges(rects):
        neighbours[a].add(b)
        neighbours[b].add(a)
    earlier = {c.code: tuple(sorted(n for n in neighbours[c.code] if n < c.code)) for c in counties}
    return RegionPlan(
        scale, seed, totals, tuple(counties), earlier, _alliances(rng, counties, neighbours)
    )


def _alliances(
    rng: random.Random, counties: Sequence[CountyPlan], neighbours: dict[str, set[str]]
) -> tuple[AlliancePlan, ...]:
    """One alliance per city: its first county bordering another city (else its first county)
    with up to three neighbours across the border (else up to two within the city)."""
    by_city: dict[str, list[CountyPlan]] = defaultdict(list)
    for c in counties:
        by_city[c.city.code].append(c)
    names = {c.code: c.short for c in counties}
    city_of = {c.code: c.city.code for c in counties}
    out: list[AlliancePlan] = []
    for city, members in by_city.items():
        border = [c for c in members if any(city_of[n] != city for n in neighbours[c.code])]
        founder = (border or members)[0]
        outside = sorted(n for n in neighbours[founder.code] if city_of[n] != city)
        partners = outside[:3] if outside else sorted(neighbours[founder.code])[:2]
        signed = date(2022, 1, 1) + timedelta(days=rng.randint(0, 1276))
        name = "、".join(names[m] for m in (founder.code, *partners)) + "跨域治理盟约"
        out.append(
            AlliancePlan(f"pact-{founder.code[:6]}", name, (founder.code, *partners), signed)
        )
    return tuple(out)


#: Reused by the county builder: village names mix place characters with the demo's hamlet ones.
VILLAGE_FIRST = PLACE_CHARS + HAMLET_PREFIXES
VILLAGE_SECOND = HAMLET_ROOTS + PLACE_CHARS
