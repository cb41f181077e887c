"""Staffing standards as data: the shipped role-template presets, and template edits.

A preset is a named staffing standard from DOMAIN.md section 3, kept as data (``PRESETS``).
``preset_records(name, region)`` turns one into records for a region (a county code or any
ancestor): its role templates (codes ``<name>@<region>``, plus ``/<suffix>`` when a preset has
several), their requirements, and the roles they use (the demo's role records: same codes, names,
descriptions and fallbacks). Codes are deterministic, so applying a preset again upserts the same
records.

``template_changes`` computes the write that makes a stored template (new or edited) require
exactly the roles given, versioned in time: a requirement no longer listed is *ended* (its
``valid_to`` becomes the day before the change), never deleted, so reading at an earlier day still
finds it. ``apply_preset`` applies a preset to a store in one audited write (the roles it needs
are only added when missing, so roles edited in the registry are kept).

>>> from datetime import date
>>> from registry.model import Requirement, RoleTemplate
>>> recs = preset_records("baise-five-ones", "451000000000", valid_from=date(2026, 1, 1))
>>> [(t.code, t.place_level, t.name) for t in recs if isinstance(t, RoleTemplate)]
... # doctest: +NORMALIZE_WHITESPACE
[('baise-five-ones@451000000000/village', <Level.VILLAGE: 'village'>,
  '百色“五个一”·村（一村一警务助理一签约律师）'),
 ('baise-five-ones@451000000000/hamlet', <Level.HAMLET: 'hamlet'>,
  '百色“五个一”·屯（一屯一网格员一法律明白人）')]
>>> [(r.role, r.min, r.max) for r in recs if isinstance(r, Requirement)]
... # doctest: +NORMALIZE_WHITESPACE
[('police_assistant', 1, None), ('contracted_lawyer', 1, None),
 ('grid_worker', 1, None), ('law_literate', 1, None)]
>>> preset_records("fuxin", "451000000000")
Traceback (most recent call last):
...
registry.errors.InvalidInput: no preset 'fuxin'; known presets: baise-five-ones, fuxin-community-police, fuxin-village-auxiliary, grid-worker-per-micro-grid, luocheng-seven-roles

Applied to the sample registry, the per-micro-grid standard finds its one grid worker:

>>> from registry.queries.coverage import coverage_report
>>> from registry.testing import SAMPLE_TODAY, sample_store
>>> store = sample_store()
>>> [t.code for t in apply_preset(store, "grid-worker-per-micro-grid", "451225000000")]
['grid-worker-per-micro-grid@451225000000']
>>> report = coverage_report(store, "451225000000", "grid-worker-per-micro-grid@451225000000",
...                          at=SAMPLE_TODAY)
>>> [(e.subject, e.role, e.status) for e in report.entries]
[('G451225-001-01-01', 'grid_worker', 'filled')]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from registry.codes import Level
from registry.errors import InvalidInput, NotFound
from registry.model import AnyRecord, Place, Requirement, Role, RoleTemplate
from registry.queries.hierarchy import today
from registry.roles import NO_FALLBACK_ROLES, ROLES
from registry.store.base import GraphStore

__all__ = [
    "PRESETS",
    "ROLE_RECORDS",
    "Need",
    "PresetSpec",
    "TemplateSpec",
    "apply_preset",
    "preset_changes",
    "preset_records",
    "template_changes",
]

#: Grid tiers a template may name (tier 4: terminal units 末端防处单元).
GRID_TIERS = range(1, 5)
_TIER_NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四"}

#: The standard roles, as the demo county defines them (``loaders.demo_data.ROLES``).
ROLE_RECORDS: dict[str, Role] = {
    code: Role(code, name, text, fallback=code not in NO_FALLBACK_ROLES)
    for code, name, text in ROLES
}


@dataclass(frozen=True, slots=True)
class Need:
    """One required role: at least ``min`` holders, at most ``max`` (None: no upper limit)."""

    role: str
    min: int = 1
    max: int | None = None


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """One template of a preset: a kind of place (level, optionally kind) or the grid tier given
    when the preset is applied (``per_grid``). ``name`` may hold ``{tier}`` (一, 二, 三, 四)."""

    name: str
    needs: tuple[Need, ...]
    suffix: str = ""
    place_level: Level | None = None
    place_kind: str | None = None
    per_grid: bool = False


@dataclass(frozen=True, slots=True)
class PresetSpec:
    """A shipped staffing standard: its title, where it comes from, and its templates."""

    title: str
    source: str
    templates: tuple[TemplateSpec, ...]


def _slogan(unit: str, roles: Sequence[str]) -> str:
    return unit + "".join("一" + ROLE_RECORDS[r].name for r in roles)


_LUOCHENG = (
    "police_assistant",
    "judge_assistant",
    "legal_adviser",
    "law_literate",
    "women_chair",
    "youth_secretary",
    "governance_officer",
)

#: The shipped presets, by stable name.
PRESETS: dict[str, PresetSpec] = {
    "luocheng-seven-roles": PresetSpec(
        title="罗城一村七岗",
        source="Luocheng: seven roles per village, one each (as the demo county's template)",
        templates=(
            TemplateSpec(
                name=f"罗城一村七岗（{_slogan('一村', _LUOCHENG)}）",
                needs=tuple(Need(r, 1, 1) for r in _LUOCHENG),
                place_level=Level.VILLAGE,
            ),
        ),
    ),
    "baise-five-ones": PresetSpec(
        title="百色“五个一”",
        source="Baise: a police assistant and a contracted lawyer per village, a grid worker and "
        "a law-literate resident per hamlet (the fifth, a legal adviser per household, has no "
        "place to attach to: households are not places in the registry)",
        templates=(
            TemplateSpec(
                name=f"百色“五个一”·村（{_slogan('一村', ('police_assistant', 'contracted_lawyer'))}）",
                needs=(Need("police_assistant"), Need("contracted_lawyer")),
                suffix="village",
                place_level=Level.VILLAGE,
            ),
            TemplateSpec(
                name=f"百色“五个一”·屯（{_slogan('一屯', ('grid_worker', 'law_literate'))}）",
                needs=(Need("grid_worker"), Need("law_literate")),
                suffix="hamlet",
                place_level=Level.HAMLET,
            ),
        ),
    ),
    "fuxin-community-police": PresetSpec(
        title="阜新一区一警两辅",
        source="Fuxin: every urban community (社区) one police officer and two auxiliary police",
        templates=(
            TemplateSpec(
                name="阜新一区一警两辅（每个社区一名社区民警、两名辅警）",
                needs=(Need("community_police", 1), Need("auxiliary_police", 2)),
                place_level=Level.VILLAGE,
                place_kind="社区",
            ),
        ),
    ),
    "fuxin-village-auxiliary": PresetSpec(
        title="阜新一村一辅警",
        source="Fuxin: every administrative village (行政村) one auxiliary police officer",
        templates=(
            TemplateSpec(
                name="阜新一村一辅警（每个行政村一名辅警）",
                needs=(Need("auxiliary_police", 1),),
                place_level=Level.VILLAGE,
                place_kind="行政村",
            ),
        ),
    ),
    "grid-worker-per-micro-grid": PresetSpec(
        title="一格一员",
        source="Every lowest-level grid at least one grid worker (the tier is a parameter)",
        templates=(
            TemplateSpec(
                name="一格一员（每个{tier}级网格至少一名网格员）",
                needs=(Need("grid_worker", 1),),
                per_grid=True,
            ),
        ),
    ),
}


def _spec(name: str) -> PresetSpec:
    spec = PRESETS.get(name)
    if spec is None:
        known = ", ".join(sorted(PRESETS))
        raise InvalidInput(f"no preset {name!r}; known presets: {known}", [name], "name")
    return spec


def _check_tier(grid_tier: int) -> None:
    if grid_tier not in GRID_TIERS:
        raise InvalidInput(f"grid tier must be 1 to 4, not {grid_tier}", [], "gridTier")


def preset_records(
    name: str, region: str, valid_from: date | None = None, grid_tier: int = 3
) -> list[AnyRecord]:
    """The records of preset ``name`` for ``region``: its roles, templates and requirements
    (templates and requirements valid from ``valid_from``). ``grid_tier`` is the tier of
    per-grid templates. Unknown names raise ``InvalidInput`` naming the known presets."""
    spec = _spec(name)
    _check_tier(grid_tier)
    if not region:
        raise InvalidInput("a region is required", [], "region")
    several = len(spec.templates) > 1
    templates: list[AnyRecord] = []
    requirements: list[AnyRecord] = []
    roles: dict[str, Role] = {}
    for t in spec.templates:
        code = f"{name}@{region}" + (f"/{t.suffix}" if several else "")
        templates.append(
            RoleTemplate(
                code=code,
                name=t.name.format(tier=_TIER_NUMERALS[grid_tier]),
                region=region,
                place_level=None if t.per_grid else t.place_level,
                place_kind=None if t.per_grid else t.place_kind,
                grid_tier=grid_tier if t.per_grid else None,
                valid_from=valid_from,
            )
        )
        for n in t.needs:
            roles[n.role] = ROLE_RECORDS[n.role]
            requirements.append(Requirement(code, n.role, n.min, n.max, valid_from=valid_from))
    return [*(roles[r] for r in sorted(roles)), *templates, *requirements]


def _check_template(store: GraphStore, t: RoleTemplate, needs: Sequence[Need] | None) -> None:
    if not t.code.strip():
        raise InvalidInput("a role template needs a code", [], "code")
    if not t.name.strip():
        raise InvalidInput(f"role template {t.code}: name cannot be empty", [t.code], "name")
    if store.get(Place, t.region) is None:
        raise NotFound(f"no place {t.region!r} (region of role template {t.code})", [t.region])
    if (t.place_level is None) == (t.grid_tier is None):
        raise InvalidInput(
            f"role template {t.code}: exactly one of placeLevel or gridTier is required",
            [t.code],
            "placeLevel",
        )
    if t.grid_tier is not None:
        _check_tier(t.grid_tier)
        if t.place_kind:
            raise InvalidInput(
                f"role template {t.code}: placeKind applies to places, not to grids",
                [t.code],
                "placeKind",
            )
    if t.valid_from and t.valid_to and t.valid_to < t.valid_from:
        raise InvalidInput(
            f"role template {t.code}: validTo {t.valid_to} is before validFrom {t.valid_from}",
            [t.code],
            "validTo",
        )
    seen: set[str] = set()
    for n in needs or ():
        if n.role in seen:
            raise InvalidInput(
                f"role template {t.code}: role {n.role!r} is listed twice",
                [t.code, n.role],
                "requirements",
            )
        seen.add(n.role)
        if n.min < 0:
            raise InvalidInput(
                f"role template {t.code}: min of {n.role} must not be negative, not {n.min}",
                [t.code, n.role],
                "requirements",
            )
        if n.max is not None and n.max < n.min:
            raise InvalidInput(
                f"role template {t.code}: max of {n.role} ({n.max}) is below its min ({n.min})",
                [t.code, n.role],
                "requirements",
            )


def template_changes(
    store: GraphStore,
    template: RoleTemplate,
    needs: Sequence[Need] | None,
    effective: date | None = None,
) -> list[AnyRecord]:
    """The records to write so that ``template`` is stored and requires exactly ``needs`` from
    day ``effective`` on (``needs`` None: keep the stored requirements). Unchanged records are
    left out, so an empty list means nothing to write.

    ``effective`` defaults to the template's ``valid_from`` for a new template and to today for
    a stored one. A listed role that is new (or whose requirement had ended) starts that day; a
    listed role already required keeps its start and gets the new counts (the store keeps one
    version per requirement: the audit log holds the counts before); a role no longer listed is
    ended the day before (``valid_to = effective - 1``), so it stays readable at earlier days.
    A requirement that only starts on or after ``effective`` was never in force and cannot be
    ended before it starts: that is refused (``InvalidInput``, field ``effectiveFrom``).

    Validates the template (region exists: ``NotFound``; exactly one of place level or grid
    tier; counts; dates: ``InvalidInput`` with the field); unknown roles are left to the store,
    which refuses them (``UNKNOWN_REFERENCE``).
    """
    _check_template(store, template, needs)
    old = store.get(RoleTemplate, template.code)
    day = effective if effective is not None else (template.valid_from if old is None else today())
    out: list[AnyRecord] = [] if old == template else [template]
    if needs is None and old is not None:
        return out
    stored = (
        {r.role: r for r in store.referrers(Requirement, "template", template.code)}
        if old is not None
        else {}
    )

    def live(r: Requirement) -> bool:  # in force on ``day`` or later
        return r.valid_to is None or day is None or r.valid_to >= day

    for n in needs or ():
        had = stored.get(n.role)
        if had is not None and live(had):
            new = dataclasses.replace(had, min=n.min, max=n.max, valid_to=template.valid_to)
        else:
            new = Requirement(
                template.code, n.role, n.min, n.max, valid_from=day, valid_to=template.valid_to
            )
        if new.valid_from and new.valid_to and new.valid_to < new.valid_from:
            raise InvalidInput(
                f"requirement {new.key} would start on {new.valid_from}, after the template "
                f"ends on {new.valid_to}",
                [template.code, n.role],
                "effectiveFrom",
            )
        if new != had:
            out.append(new)
    listed = {n.role for n in needs or ()}
    for role, r in stored.items():
        if role in listed or not live(r):
            continue
        assert day is not None  # a stored template: day is effective or today
        end = day - timedelta(days=1)
        if r.valid_from is not None and r.valid_from > end:
            raise InvalidInput(
                f"requirement {r.key} starts on {r.valid_from} and cannot end on {end}, before "
                f"it starts: end it from a later day (effectiveFrom after {r.valid_from})",
                [template.code, role],
                "effectiveFrom",
            )
        out.append(dataclasses.replace(r, valid_to=end))
    return out


def preset_changes(
    store: GraphStore,
    name: str,
    region: str,
    valid_from: date | None = None,
    grid_tier: int = 3,
) -> tuple[list[AnyRecord], list[RoleTemplate]]:
    """What applying preset ``name`` to ``region`` writes (roles only when missing, then each
    template with exactly the preset's requirements, see ``template_changes``), and the
    preset's templates. ``NotFound`` when the region is not a stored place."""
    recs = preset_records(name, region, valid_from, grid_tier)
    if store.get(Place, region) is None:
        raise NotFound(f"no place {region!r} (region of preset {name})", [region])
    roles = [r for r in recs if isinstance(r, Role) and store.get(Role, r.code) is None]
    templates = [t for t in recs if isinstance(t, RoleTemplate)]
    out: list[AnyRecord] = list(roles)
    for t in templates:
        needs = [
            Need(r.role, r.min, r.max)
            for r in recs
            if isinstance(r, Requirement) and r.template == t.code
        ]
        out.extend(template_changes(store, t, needs))
    return out, templates


def apply_preset(
    store: GraphStore,
    name: str,
    region: str,
    valid_from: date | None = None,
    grid_tier: int = 3,
    *,
    actor: str = "system",
    reason: str = "",
) -> list[RoleTemplate]:
    """Apply preset ``name`` to ``region`` in one audited write (nothing is written when the
    store already holds it); returns the preset's templates."""
    records, templates = preset_changes(store, name, region, valid_from, grid_tier)
    if records:
        store.apply(records, actor=actor, operation="apply_preset", reason=reason)
    return templates
