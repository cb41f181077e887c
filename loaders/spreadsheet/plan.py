"""Plan an import (read, build, validate, compare: no writes), then apply it in one write.

``plan_import`` reads every file, fetches what it needs from the store in batches (a fixed
number of ``get_many``/``referrers_many`` calls whatever the number of rows), builds every record
with the row it came from, runs the import's checks and the registry's invariant checks in
memory, and compares the records with the store. ``apply_import`` refuses a plan with issues,
writes nothing when the plan changes nothing, and otherwise writes the added, changed and ended
records in ONE ``store.apply`` (one transaction, one audit entry, on every store).

>>> import tempfile
>>> from pathlib import Path
>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> store = sample_store()
>>> tmp = tempfile.TemporaryDirectory()
>>> roster = Path(tmp.name) / "roster.csv"
>>> _ = roster.write_text("姓名,联系电话,岗位,区划代码,任职日期\\n"
...                       "蓝天,13900001111,法律明白人,451225100201,2026-02-01\\n",
...                       encoding="utf-8")
>>> plan = plan_import(store, [roster], effective=SAMPLE_TODAY)
>>> plan.issues, plan.diff.counts()
([], {'person': {'added': 1, 'changed': 0, 'ended': 0, 'unchanged': 0}, 'post': {'added': 0, 'changed': 0, 'ended': 0, 'unchanged': 1}, 'holding': {'added': 1, 'changed': 0, 'ended': 0, 'unchanged': 0}})
>>> apply_import(store, plan, reason="doctest").written
2
>>> plan_import(store, [roster], effective=SAMPLE_TODAY).diff.empty
True
>>> tmp.cleanup()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from loaders.spreadsheet.batch import Batch
from loaders.spreadsheet.boundaries import build_boundaries, wanted_owners
from loaders.spreadsheet.checks import invariant_checks, translate
from loaders.spreadsheet.context import Context, PrefetchView, fetch_tree
from loaders.spreadsheet.diff import ImportDiff, diff_records
from loaders.spreadsheet.grids import build_grids, check_grids, end_coverage, wanted_grids
from loaders.spreadsheet.inputs import Inputs, SheetInfo, expand_paths, read_inputs
from loaders.spreadsheet.issues import ImportIssue, ImportRefused, Origin, Where, issue
from loaders.spreadsheet.mapping import Mapping, load_mapping, parse_crs
from loaders.spreadsheet.organizations import build_organizations, check_organizations
from loaders.spreadsheet.places import build_places, check_places, wanted_places
from loaders.spreadsheet.staff import LOCATIONS, Roles, Seat, build_staff, seats_of, wanted_persons
from loaders.spreadsheet.terms import check_terms, end_holdings, protected_locations
from registry.errors import GridregError, InvalidInput, InvariantViolation
from registry.gcpause import gc_paused
from registry.model import (
    KINDS,
    AnyRecord,
    Boundary,
    Coverage,
    Grid,
    Holding,
    Organization,
    Person,
    Place,
    Post,
    Role,
)
from registry.store.base import GraphStore, WriteResult

__all__ = ["ImportPlan", "Progress", "apply_import", "plan_import"]

#: ``progress(step, done, total)``: called as the plan advances (for progress bars).
Progress = Callable[[str, int, int], None]
_STAGES = ("fetching from the store", "building records", "checking", "comparing")


@dataclass
class ImportPlan:
    """What an import found and would do. ``ok`` when there are no issues."""

    issues: list[ImportIssue]
    diff: ImportDiff
    records: list[AnyRecord]
    sheets: list[SheetInfo]
    effective: date
    data_version: int
    #: (kind, key) → the row a record came from.
    origins: MappingOf[tuple[str, str], Origin] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong (the plan may be applied)."""
        return not self.issues

    @property
    def writes(self) -> list[AnyRecord]:
        """The records ``apply_import`` writes: added, changed and ended ones."""
        return self.diff.writes

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON report."""
        return {
            "ok": self.ok,
            "effective": self.effective.isoformat(),
            "files": [
                {
                    "file": s.file,
                    "sheet": s.sheet,
                    "kind": s.kind,
                    "header_rows": list(s.header_rows),
                    "rows": s.rows,
                }
                for s in self.sheets
            ],
            "summary": self.diff.counts(),
            "diff": self.diff.to_json(),
            "issues": [i.to_json() for i in self.issues],
        }


class _Origins(MappingOf[tuple[str, str], Origin]):
    """(kind, key) → origin, read from the batch (not copied into a dict of its own)."""

    def __init__(self, batch: Batch) -> None:
        self._located = batch.located

    def __getitem__(self, where: tuple[str, str]) -> Origin:
        return self._located[where[0]][where[1]].origin

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((kind, key) for kind, bucket in self._located.items() for key in bucket)

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._located.values())


def _prefetch(view: PrefetchView, inputs: Inputs, seats: list[Seat]) -> None:
    """Fetch, in batches, everything building and checking will read."""
    rows = inputs.rows
    grid_codes, grid_places = wanted_grids(rows["grids"])
    owner_grids, owner_places = wanted_owners(rows["boundaries"])
    by_location: dict[str, set[str]] = {name: set() for name in LOCATIONS}
    for seat in seats:
        by_location[seat.where_field].add(seat.where)
    orgs = {r.get(f) for r in rows["organizations"] for f in ("code", "parent")} - {None}
    fetch_tree(view, Grid, grid_codes | owner_grids | by_location["grid"])
    fetch_tree(view, Organization, orgs | by_location["organization"])
    places = wanted_places(rows["places"]) | grid_places | owner_places | by_location["place"]
    places |= {r.get("place") for r in rows["organizations"] if r.get("place") is not None}
    places |= {g.county for g in view.records(Grid)} | {o.place for o in view.records(Organization)}
    fetch_tree(view, Place, places)
    built_grids = sorted(str(r.get("code")) for r in rows["grids"] if r.get("code") is not None)
    view.fetch_referrers(Grid, "parent", built_grids)
    covering = [str(r.get("code")) for r in rows["grids"] if r.get("covers")]
    view.fetch_referrers(Coverage, "grid", covering)
    view.fetch(
        Coverage,
        [f"{r.get('code')}|{p}" for r in rows["grids"] if r.get("covers") for p in r.get("covers")],
    )
    view.fetch_referrers(Boundary, "grid", sorted(owner_grids))
    view.fetch_referrers(Boundary, "place", sorted(owner_places))
    view.fetch(Boundary, [str(r.get("id")) for r in rows["boundaries"] if r.get("id")])
    view.fetch(Boundary, [f"B-{o}" for o in owner_grids | owner_places])
    # the view sorts the keys it asks the store for: they are not sorted here (a city's
    # posts, persons and holdings are some 65,000 keys each)
    for name, keys in by_location.items():
        view.fetch_referrers(Post, name, list(keys))
    posts = list({s.post for s in seats} | {p.id for p in view.records(Post)})
    view.fetch(Post, posts)
    view.fetch_referrers(Holding, "post", posts)
    view.fetch(Person, list({h.person for h in view.records(Holding)}))


def _fetch_built(view: PrefetchView, batch: Batch) -> None:
    """Make sure the view holds (or knows the absence of) every built key."""
    for kind, bucket in batch.located.items():
        view.fetch(KINDS[kind], list(bucket))


def _sort_issues(issues: list[ImportIssue], inputs: Inputs) -> list[ImportIssue]:
    """Mapping-file issues first, then by file and sheet (in reading order) and row; issues of
    one row keep the order they were found in (the sort is stable)."""
    rank: dict[tuple[str, str | None], int] = {}
    for i, where in enumerate(inputs.order):
        rank.setdefault(where, i)
        rank.setdefault((where[0], None), i)

    def key(x: ImportIssue) -> tuple[int, int]:
        fallback = -1 if x.code == "BAD_MAPPING" else len(rank)
        return rank.get((x.file, x.sheet), rank.get((x.file, None), fallback)), x.row or 0

    return sorted(issues, key=key)


def plan_import(
    store: GraphStore,
    paths: Sequence[str | Path],
    mapping: str | Path | Mapping | None = None,
    effective: date | None = None,
    crs: str | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Read, build, check and compare; write nothing (see the module docstring).

    ``mapping`` is a mapping file (or a parsed ``Mapping``); ``effective`` the day from which
    the files hold (default today: ended terms end the day before); ``crs`` the coordinate
    system of GeoJSON files that declare none (``WGS84`` or ``GCJ02``).
    """
    with gc_paused():
        return _plan(store, paths, mapping, effective, crs, progress)


def _plan(
    store: GraphStore,
    paths: Sequence[str | Path],
    mapping: str | Path | Mapping | None,
    effective: date | None,
    crs: str | None,
    progress: Progress | None,
) -> ImportPlan:
    day = effective or date.today()
    the_mapping = (
        mapping
        if isinstance(mapping, Mapping)
        else (load_mapping(mapping) if mapping is not None else Mapping())
    )
    issues = list(the_mapping.issues)
    crs_name = parse_crs(crs) if crs is not None else None
    if crs is not None and crs_name is None:
        raise InvalidInput(f"--crs: {crs!r} is not WGS84 or GCJ02", field="crs")
    files = expand_paths(paths)
    total = len(files) + len(_STAGES)
    step = 0

    def advance(what: str) -> None:
        nonlocal step
        if progress is not None:
            progress(what, step, total)
        step += 1

    version = store.data_version()
    inputs = read_inputs(files, the_mapping, crs_name, lambda name: advance(f"reading {name}"))
    issues.extend(inputs.issues)
    step = len(files)
    advance(_STAGES[0])
    view = PrefetchView(store)
    view.fetch_scan(Role)
    roles = Roles(view.records(Role), the_mapping.roles)
    staff_rows = inputs.rows["staff"]
    seats = seats_of(staff_rows, roles)
    _prefetch(view, inputs, seats)
    batch = Batch()
    ctx = Context(view, batch, day, the_mapping)
    view.fetch(Person, list(wanted_persons(seats, ctx)))
    advance(_STAGES[1])
    build_places(inputs.rows["places"], ctx)
    build_grids(inputs.rows["grids"], ctx)
    build_organizations(inputs.rows["organizations"], ctx)
    scope = build_staff(staff_rows, roles, ctx, seats)
    build_boundaries(inputs.rows["boundaries"], ctx)
    end_coverage(ctx, {str(r.get("code")) for r in inputs.rows["grids"] if "covers" in r.present})
    end_holdings(ctx, scope, protected_locations(staff_rows, seats))
    _fetch_built(view, batch)
    advance(_STAGES[2])
    bad: dict[str, set[str]] = {
        Place.KIND: check_places(ctx),
        Grid.KIND: check_grids(ctx),
        Organization.KIND: check_organizations(ctx),
        Holding.KIND: check_terms(ctx),
    }
    invariant_checks(ctx, bad)
    issues.extend(batch.issues)
    advance(_STAGES[3])
    records = batch.records()
    diff = diff_records(records, batch.ended, view)
    if progress is not None:
        progress("done", total, total)
    return ImportPlan(
        issues=_sort_issues(issues, inputs),
        diff=diff,
        records=records,
        sheets=inputs.sheets,
        effective=day,
        data_version=version,
        origins=_Origins(batch),
    )


def apply_import(
    store: GraphStore, plan: ImportPlan, *, actor: str = "import", reason: str = ""
) -> WriteResult | None:
    """Write a plan in one ``store.apply``; None when it changes nothing (no write, no audit
    entry). Raises ``ImportRefused`` for a plan with issues, or when the store changed since
    the plan was made (``STORE_CHANGED``); nothing is written then."""
    if plan.issues:
        raise ImportRefused(plan.issues)
    if plan.diff.empty:
        return None
    first = plan.sheets[0].file if plan.sheets else ""
    if store.data_version() != plan.data_version:
        raise ImportRefused(
            [
                issue(
                    Where(first),
                    "STORE_CHANGED",
                    "生成导入计划后库中数据已变化，请重新导入",
                    "the store changed after the plan was made; import again",
                )
            ]
        )
    try:
        with gc_paused():
            return store.apply(plan.writes, actor=actor, operation="import", reason=reason)
    except (InvariantViolation, InvalidInput) as exc:
        raise ImportRefused([_locate(exc, plan, first)]) from exc


def _locate(exc: GridregError, plan: ImportPlan, first: str) -> ImportIssue:
    for rec in plan.writes:
        if exc.ids and rec.key == exc.ids[0]:
            origin = plan.origins.get((rec.KIND, rec.key))
            if origin is not None:
                code, field_name = translate(exc, rec)
                at = origin.at(*(f for f in (field_name, "code", "id") if f is not None))
                return issue(at, code, f"不符合登记规则：{exc.message}", exc.message)
    code = "BAD_VALUE"
    return issue(Where(first), code, f"不符合登记规则：{exc.message}", exc.message)
