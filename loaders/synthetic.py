"""Synthetic regions at county, city, province and national scale: deterministic, seeded, valid.

``generate(scale, seed)`` yields one batch of records per county, in code order: the first
batch also holds the shared catalogue (roles, request categories, the county-independent
handling rules), the first batch of a province its province and role templates, the first batch
of a city its city; then the county itself with everything in it, its borders with the counties
already generated, and the alliances and memberships that start with it. Each batch is in
``KINDS`` order (parents before children) and valid on its own on top of the batches before it,
so ``write_to_store`` applies one batch per ``store.apply``: a big load is a series of county
transactions, not one. Nothing but the current county is held: the national scale (about 2,900
counties, 66 million records) streams. ``write_folder`` writes the canonical folder format
(``loaders.synthetic_folder``), byte-identical to ``export_folder`` of a store holding the same
records. See ``docs/synthetic.md`` for the scales, codes, names and planted gaps.

>>> batches = generate("county", seed=7)
>>> batch = next(batches)
>>> from registry.store import open_store
>>> store = open_store("memory://")
>>> store.apply(batch).written == len(batch)
True
>>> tally = Tally()
>>> tally.add(batch)
>>> tally.headline["counties"], 125 < tally.headline["villages"] < 155
(1, True)
>>> next(batches, None) is None
True
>>> count_estimate("city")["grid_workers"]
38000
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from statistics import fmean

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from loaders.demo import GRIDS_FROM, HAMLET_WEIGHTS
from loaders.demo_data import CATEGORIES, CLASSES, ESCALATION_LIMITS, KIND_HANDLERS
from loaders.demo_geometry import polygon
from loaders.synthetic_builder import RATES, TODAY
from loaders.synthetic_county import county_records
from loaders.synthetic_folder import FolderWriter
from loaders.synthetic_plan import (
    PROFILES,
    SCALES,
    AlliancePlan,
    CountyPlan,
    RegionPlan,
    UnitPlan,
    plan,
    profile_of,
)
from registry.codes import Level
from registry.model import (
    KINDS,
    Alliance,
    AllianceFunction,
    AnyRecord,
    Border,
    Boundary,
    Category,
    Grid,
    Handling,
    Holding,
    Membership,
    OrgKind,
    Place,
    Post,
    Role,
    in_force,
)
from registry.standards import ROLE_RECORDS, preset_records
from registry.store.base import GraphStore

__all__ = [
    "HEADLINE",
    "PROFILES",
    "SCALES",
    "GenerationSummary",
    "Tally",
    "count_estimate",
    "generate",
    "plan",
    "profile_of",
    "shared_records",
    "write_folder",
    "write_to_store",
]

#: The figures reported per scale (``count_estimate``, ``Tally.headline``).
HEADLINE: tuple[str, ...] = (
    "provinces",
    "cities",
    "counties",
    "townships",
    "villages",
    "hamlets",
    "grids_tier1",
    "grids_tier2",
    "grids_tier3",
    "grid_workers",
    "records",
)
#: Role templates applied to every province (``registry.standards`` presets).
TEMPLATES_FROM = date(2021, 1, 1)


def shared_records() -> list[AnyRecord]:
    """The catalogue every region shares (the demo's): the standard roles, the request
    categories and the handling rules that name an organization kind rather than a county's
    department (mediation committees, the centres' escalation limits)."""
    records: list[AnyRecord] = list(ROLE_RECORDS.values())
    for spec in CATEGORIES:
        cls_code = spec.code.split(".")[0]
        cls = CLASSES[cls_code]
        records.append(
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
    records += [
        Handling(c, None, m, False, org_kind=kind, level=level)
        for c, kind, level, m in KIND_HANDLERS
    ]
    levels = (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY)
    records += [
        Handling(c, None, m, False, org_kind=OrgKind.CENTRE, level=level)
        for c, limits in ESCALATION_LIMITS.items()
        for level, m in zip(levels, limits, strict=True)
    ]
    return records


def _unit(unit: UnitPlan, level: Level) -> list[AnyRecord]:
    return [
        Place(unit.code, unit.name, level, unit.parent, unit.kind),
        Boundary(f"B-{unit.code}", polygon(unit.rect), place=unit.code, source="synthetic"),
    ]


def _templates(province: str) -> list[AnyRecord]:
    """The Luocheng seven seats per village and a worker per micro-grid, for the province."""
    records = preset_records("luocheng-seven-roles", province, valid_from=TEMPLATES_FROM)
    records += preset_records("grid-worker-per-micro-grid", province, GRIDS_FROM, grid_tier=3)
    return [r for r in records if not isinstance(r, Role)]  # the roles are shared records


def _alliance(a: AlliancePlan) -> Alliance:
    return Alliance(a.code, a.name, tuple(AllianceFunction), valid_from=a.signed)


def _batch(
    region: RegionPlan,
    county: CountyPlan,
    starts: dict[str, list[AlliancePlan]],
    member_of: dict[str, list[AlliancePlan]],
) -> list[AnyRecord]:
    head: list[AnyRecord] = []
    if county.index == 0:
        head += shared_records()
    if county.first_in_province:
        head += _unit(county.province, Level.PROVINCE) + _templates(county.province.code)
    if county.first_in_city:
        head += _unit(county.city, Level.PREFECTURE)
    head += [Border(n, county.code) for n in region.earlier_neighbours[county.code]]
    head += [_alliance(a) for a in starts.get(county.code, ())]
    head += [
        Membership(
            a.code, county.code, "发起县" if a.members[0] == county.code else "成员县", a.signed
        )
        for a in member_of.get(county.code, ())
    ]
    buckets = county_records(county)
    extra: dict[str, list[AnyRecord]] = {kind: [] for kind in KINDS}
    for rec in head:
        extra[rec.KIND].append(rec)
    return [rec for kind in KINDS for rec in (*extra[kind], *buckets[kind])]


def generate(
    scale: str, seed: int = 1, *, counties: int | None = None
) -> Iterator[list[AnyRecord]]:
    """One batch of records per county of the region of ``scale`` (lazily: a county is built
    when its batch is asked for). ``counties`` keeps only the first ``counties`` counties.
    An unknown scale raises ``InvalidInput`` at once."""
    region = plan(scale, seed)
    return _generate(region, region.counties[:counties])


def _generate(region: RegionPlan, counties: Sequence[CountyPlan]) -> Iterator[list[AnyRecord]]:
    starts: dict[str, list[AlliancePlan]] = {}
    member_of: dict[str, list[AlliancePlan]] = {}
    for a in region.alliances:
        starts.setdefault(min(a.members), []).append(a)
        for m in a.members:
            member_of.setdefault(m, []).append(a)
    for county in counties:
        yield _batch(region, county, starts, member_of)


def count_estimate(scale: str) -> dict[str, int]:
    """The expected figures of ``scale`` (``HEADLINE``), from its profile (no generation).

    >>> e = count_estimate("county")
    >>> e["villages"], e["grids_tier3"], e["grid_workers"]
    (140, 1700, 1700)
    """
    p = profile_of(scale)
    cities = p.provinces * fmean(p.cities)
    counties = cities * fmean(p.counties)
    v, t = p.villages, p.townships
    per_village = sum(k * w for k, w in HAMLET_WEIGHTS.items()) / sum(HAMLET_WEIGHTS.values())
    hamlets = v * per_village
    g1 = v + counties
    g2 = hamlets - RATES["pair"] * 2.95 * v  # about 2.95 pairs of hamlets per village
    micro = max(p.micro_grids, hamlets)
    held = 1 - RATES["vacant_grid"] - RATES["expired_grid"] - RATES["shared_grid"]
    seconds = max(p.workers - held * micro, 0)
    workers = max(p.workers, held * micro)
    seats = 7 * v * (1 - RATES["missing_seat"])
    posts = seats + v + micro + seconds + g1 + g2 + 8 * t + 2 * counties
    persons = (
        7 * v * (1 - RATES["missing_seat"] - RATES["vacant_seat"] + RATES["predecessor"])
        + workers * (1 + 0.04)
        + (g1 + g2 - v) * (1 - RATES["vacant_leader"])
        + 8 * t
        + 2 * counties
    )
    holdings = persons + 2 * v
    places = p.provinces + cities + counties + t + v + hamlets
    grids = g1 + g2 + micro
    coverage = g1 + hamlets + micro
    organizations = 17 * counties + 4.2 * t + v  # centres, departments, township units
    stationed = 16 * counties + 6 * t  # stationings and jurisdictions
    rules = 33 * counties + len(shared_records()) + 10 * p.provinces  # and templates
    records = (
        2 * (places + grids)  # and their boundaries
        + coverage
        + 5 * counties  # grid tiers, about two borders
        + persons
        + posts
        + holdings
        + organizations
        + stationed
        + 4 * cities  # alliances and memberships
        + rules
    )
    figures = {
        "provinces": p.provinces,
        "cities": cities,
        "counties": counties,
        "townships": t,
        "villages": v,
        "hamlets": hamlets,
        "grids_tier1": g1,
        "grids_tier2": g2,
        "grids_tier3": micro,
        "grid_workers": workers,
        "records": records,
    }
    return {k: round(x) for k, x in figures.items()}


@dataclass(slots=True)
class Tally:
    """Counts of generated records, batch by batch: per kind and the ``HEADLINE`` figures
    (grid workers: distinct persons holding a micro-grid worker post on ``TODAY``)."""

    kinds: Counter[str] = field(default_factory=Counter)
    headline: Counter[str] = field(default_factory=Counter)

    def add(self, batch: Iterable[AnyRecord]) -> None:
        """Count one batch (a whole county: a grid worker's posts are in the same batch)."""
        levels: Counter[Level] = Counter()
        tiers: Counter[int] = Counter()
        worker_posts: set[str] = set()
        holdings: list[Holding] = []
        n = 0
        for rec in batch:
            n += 1
            self.kinds[rec.KIND] += 1
            if isinstance(rec, Place):
                levels[rec.level] += 1
            elif isinstance(rec, Grid):
                tiers[rec.tier] += 1
            elif isinstance(rec, Post) and rec.role == "grid_worker":
                worker_posts.add(rec.id)
            elif isinstance(rec, Holding):
                holdings.append(rec)
        h = self.headline
        h["records"] += n
        for name, level in (
            ("provinces", Level.PROVINCE),
            ("cities", Level.PREFECTURE),
            ("counties", Level.COUNTY),
            ("townships", Level.TOWNSHIP),
            ("villages", Level.VILLAGE),
            ("hamlets", Level.HAMLET),
        ):
            h[name] += levels[level]
        for tier in (1, 2, 3):
            h[f"grids_tier{tier}"] += tiers[tier]
        h["grid_workers"] += len(
            {x.person for x in holdings if x.post in worker_posts and in_force(x, TODAY)}
        )


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """What a ``write_to_store`` or ``write_folder`` run produced."""

    scale: str
    seed: int
    counties: int
    records: int
    seconds: float
    headline: dict[str, int]
    kinds: dict[str, int]


@contextmanager
def _progress(label: str, total: int, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error (counties done / total, records per second), shown
    only when ``enabled`` and standard error is a terminal. Yields ``step(records)``."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda n: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("counties · {task.fields[rate]} records/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=total, rate="-")
        start, done = time.perf_counter(), 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            rate = done / max(time.perf_counter() - start, 1e-9)
            bar.update(task, advance=1, rate=f"{rate:,.0f}")

        yield step


def _run(
    scale: str,
    seed: int,
    counties: int | None,
    progress: bool,
    label: str,
    sink: Callable[[CountyPlan, list[AnyRecord]], None],
) -> GenerationSummary:
    region = plan(scale, seed)
    chosen = region.counties[:counties]
    tally = Tally()
    start = time.perf_counter()
    with _progress(label, len(chosen), progress) as step:
        for county, batch in zip(chosen, _generate(region, chosen), strict=True):
            sink(county, batch)
            tally.add(batch)
            step(len(batch))
    return GenerationSummary(
        scale,
        seed,
        len(chosen),
        tally.headline["records"],
        time.perf_counter() - start,
        {k: tally.headline[k] for k in HEADLINE},
        {k: tally.kinds[k] for k in KINDS},
    )


def write_to_store(
    store: GraphStore,
    scale: str,
    seed: int = 1,
    progress: bool = True,
    *,
    counties: int | None = None,
) -> GenerationSummary:
    """Generate the region into ``store``: one ``store.apply`` (one transaction, one audit
    entry) per county. A failure leaves the counties before it written: a national load is
    not one transaction. Generating the same scale and seed again rewrites the same records."""
    total = len(plan(scale, seed).counties[:counties])

    def sink(county: CountyPlan, batch: list[AnyRecord]) -> None:
        store.apply(
            batch,
            actor="synthetic",
            operation="generate",
            reason=f"synthetic {scale} seed {seed}: {county.name} {county.code} "
            f"({county.index + 1}/{total})",
        )

    return _run(scale, seed, counties, progress, f"{scale} → {store.url}", sink)


def write_folder(
    path: str | Path,
    scale: str,
    seed: int = 1,
    progress: bool = True,
    *,
    counties: int | None = None,
) -> GenerationSummary:
    """Generate the region as a canonical folder (``gridreg load`` reads it back), streaming:
    memory holds one county and a small buffer per spilled run, whatever the scale."""
    folder = Path(path)
    profile_of(scale)
    start = time.perf_counter()
    with FolderWriter(folder) as writer:
        summary = _run(
            scale, seed, counties, progress, f"{scale} → {folder}", lambda _, b: writer.add(b)
        )
    return replace(summary, seconds=time.perf_counter() - start)
