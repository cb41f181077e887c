"""The domain model: records of the registry graph.

Node records (places, grids, persons, roles, posts, organizations, alliances, categories, role
templates) and relation records (holdings, coverage, stationing, jurisdictions, memberships,
handling rules, requirements, borders, grid tiers) are frozen dataclasses. Every reference to
another record is a field named in ``REFS``; stores index those fields, so ``children`` and every
other navigation is "records of kind K whose field F equals key" (see ``GraphStore.referrers``).

Everything that changes over time has ``valid_from``/``valid_to`` (both inclusive days; ``None``
means open), and every query takes ``at``.

>>> from datetime import date
>>> v = Place(code="451225100201", name="东门村", level=Level.VILLAGE, parent="451225100000")
>>> v.key, Place.KIND
('451225100201', 'place')
>>> h = Holding(id="H1", person="P1", post="S1", valid_to=date(2025, 12, 31))
>>> in_force(h, date(2026, 1, 1))
False
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Protocol, TypeVar

from registry.codes import Level

__all__ = [
    "KINDS",
    "Alliance",
    "AllianceFunction",
    "Border",
    "Boundary",
    "Category",
    "Coverage",
    "Grid",
    "GridTier",
    "Handling",
    "Holding",
    "Jurisdiction",
    "Level",
    "Membership",
    "OrgKind",
    "Organization",
    "Person",
    "Place",
    "Post",
    "Record",
    "Requirement",
    "Role",
    "RoleTemplate",
    "StationMode",
    "Stationing",
    "in_force",
    "positional_maker",
]


class OrgKind(StrEnum):
    """Kinds of organizations."""

    CENTRE = "centre"  # 综治中心 (county, township, village level)
    DEPARTMENT = "department"  # functional department (公安, 司法局, 人社, 住建, 城管, ...)
    POLICE_STATION = "police_station"  # 派出所, with a jurisdiction
    JUSTICE_OFFICE = "justice_office"  # 司法所
    COURT = "court"  # 法院 / 人民法庭
    PROCURATORATE = "procuratorate"  # 检察院
    MEDIATION_COMMITTEE = "mediation_committee"  # 调解委员会
    HOTLINE = "hotline"  # 12345 hotline centre
    MASS_ORGANIZATION = "mass_organization"  # 工会, 妇联, 团委


class StationMode(StrEnum):
    """How a department is stationed at a centre (中心吹哨、部门报到)."""

    PERMANENT = "permanent"  # 常驻
    ROTATING = "rotating"  # 轮驻
    ON_CALL = "on_call"  # 随驻
    KEY_PERIOD = "key_period"  # 重点驻
    TEMPORARY = "temporary"  # 临时驻
    ONLINE = "online"  # 网上驻


class AllianceFunction(StrEnum):
    """Joint functions of a cross-border governance alliance (跨域治理盟约)."""

    PARTY_BUILDING = "party_building"  # 支部联建
    GRID_LINKAGE = "grid_linkage"  # 网格联动
    JOINT_MEDIATION = "joint_mediation"  # 纠纷联调
    JOINT_PATROL = "joint_patrol"  # 治安联防
    JOINT_CRIME_FIGHTING = "joint_crime_fighting"  # 犯罪联打
    JOINT_SAFETY = "joint_safety"  # 平安联创


class Record(Protocol):
    """What every record offers: its kind, key and validity interval."""

    KIND: ClassVar[str]
    REFS: ClassVar[dict[str, str]]

    @property
    def key(self) -> str: ...

    @property
    def valid_from(self) -> date | None: ...

    @property
    def valid_to(self) -> date | None: ...


def in_force(rec: Record, at: date) -> bool:
    """True when ``rec`` is valid on day ``at`` (both ends inclusive)."""
    vf, vt = rec.valid_from, rec.valid_to
    return (vf is None or vf <= at) and (vt is None or at <= vt)


# --- node records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """An administrative unit: province ... village/community, or a hamlet (stable id)."""

    KIND: ClassVar[str] = "place"
    REFS: ClassVar[dict[str, str]] = {"parent": "place"}

    code: str
    name: str
    level: Level
    parent: str | None = None
    kind: str = ""  # 镇/乡/街道, 行政村/社区, 屯/自然村/村民小组 ...
    households: int | None = None
    synthetic: bool = False  # code invented (village codes are not public)
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Grid:
    """A governance grid (网格) of tier 1-3, or 4 for terminal units (末端防处单元)."""

    KIND: ClassVar[str] = "grid"
    REFS: ClassVar[dict[str, str]] = {"parent": "grid", "county": "place"}

    code: str
    name: str
    tier: int
    county: str
    parent: str | None = None
    households: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Person:
    """A person who holds posts."""

    KIND: ClassVar[str] = "person"
    REFS: ClassVar[dict[str, str]] = {}

    id: str
    name: str
    phone: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Role:
    """A standard role (警务助理, 网格员, ...); templates and posts refer to roles by code."""

    KIND: ClassVar[str] = "role"
    REFS: ClassVar[dict[str, str]] = {}

    code: str
    name: str
    description: str = ""
    fallback: bool = True  # a vacant seat falls back to this role's holder at the nearest ancestor
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Post:
    """A seat with a role at exactly one place, grid or organization; exists even when vacant."""

    KIND: ClassVar[str] = "post"
    REFS: ClassVar[dict[str, str]] = {
        "role": "role",
        "place": "place",
        "grid": "grid",
        "organization": "organization",
    }

    id: str
    role: str
    place: str | None = None
    grid: str | None = None
    organization: str | None = None
    label: str = ""
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Organization:
    """A governance centre, department, police station, court, ... located in a place."""

    KIND: ClassVar[str] = "organization"
    REFS: ClassVar[dict[str, str]] = {"place": "place", "parent": "organization"}

    code: str
    name: str
    kind: OrgKind
    place: str
    level: Level | None = None
    parent: str | None = None
    function: str = ""  # what a department does: public_security, justice, environment, ...
    phone: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Alliance:
    """A cross-border governance alliance between counties, with its joint functions."""

    KIND: ClassVar[str] = "alliance"
    REFS: ClassVar[dict[str, str]] = {}

    code: str
    name: str
    functions: tuple[AllianceFunction, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Category:
    """A request category (class or subcategory) with its handling rule as data."""

    KIND: ClassVar[str] = "category"
    REFS: ClassVar[dict[str, str]] = {"parent": "category"}

    code: str
    name: str
    parent: str | None = None
    roles: tuple[str, ...] = ()  # village roles involved (role codes)
    functions: tuple[AllianceFunction, ...] = ()  # alliance joint functions that apply
    emergency: bool = False
    time_limit_minutes: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class RoleTemplate:
    """A staffing standard for a region: which roles a kind of place or a grid tier needs."""

    KIND: ClassVar[str] = "role_template"
    REFS: ClassVar[dict[str, str]] = {"region": "place"}

    code: str
    name: str
    region: str
    place_level: Level | None = None
    place_kind: str | None = None  # e.g. 社区 only
    grid_tier: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.code


# --- relation records ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holding:
    """person HOLDS post for a term."""

    KIND: ClassVar[str] = "holding"
    REFS: ClassVar[dict[str, str]] = {"person": "person", "post": "post"}

    id: str
    person: str
    post: str
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Coverage:
    """grid COVERS place."""

    KIND: ClassVar[str] = "coverage"
    REFS: ClassVar[dict[str, str]] = {"grid": "grid", "place": "place"}

    grid: str
    place: str
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return f"{self.grid}|{self.place}"


@dataclass(frozen=True, slots=True)
class Boundary:
    """The outline of exactly one place or grid: a GeoJSON Polygon or MultiPolygon geometry
    (the ``geometry`` member only, as text), longitude/latitude in WGS-84. Versioned in time
    like everything else; point lookups use the boundary in force at ``at``."""

    KIND: ClassVar[str] = "boundary"
    REFS: ClassVar[dict[str, str]] = {"place": "place", "grid": "grid"}

    id: str
    geometry: str
    place: str | None = None
    grid: str | None = None
    source: str = ""  # survey, digitised, synthetic, ...
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class GridTier:
    """Which administrative level a grid tier matches in a county (data, not code)."""

    KIND: ClassVar[str] = "grid_tier"
    REFS: ClassVar[dict[str, str]] = {"county": "place"}

    county: str
    tier: int
    level: Level
    name: str = ""
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return f"{self.county}|{self.tier}"


@dataclass(frozen=True, slots=True)
class Stationing:
    """organization STATIONED_AT centre {mode}."""

    KIND: ClassVar[str] = "stationing"
    REFS: ClassVar[dict[str, str]] = {"organization": "organization", "centre": "organization"}

    organization: str
    centre: str
    mode: StationMode
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return f"{self.organization}|{self.centre}"


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """organization has JURISDICTION over place (police stations, courts, justice offices)."""

    KIND: ClassVar[str] = "jurisdiction"
    REFS: ClassVar[dict[str, str]] = {"organization": "organization", "place": "place"}

    organization: str
    place: str
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return f"{self.organization}|{self.place}"


@dataclass(frozen=True, slots=True)
class Membership:
    """place (a county) MEMBER_OF alliance {scope}."""

    KIND: ClassVar[str] = "membership"
    REFS: ClassVar[dict[str, str]] = {"alliance": "alliance", "place": "place"}

    alliance: str
    place: str
    scope: str = ""
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return f"{self.alliance}|{self.place}"


@dataclass(frozen=True, slots=True)
class Handling:
    """category HANDLED_BY organization {level, time limit}: a handling rule.

    The handler is named either directly (``organization``), as the unit of an organization at a
    level (``organization`` and ``level``: e.g. the county public security bureau at township
    level is the police station whose jurisdiction holds the place), or by kind and level
    (``org_kind`` and optionally ``level``: e.g. the village centre, the township mediation
    committee). Rules for ``centre`` organizations give the escalation steps' time limits.
    """

    KIND: ClassVar[str] = "handling"
    REFS: ClassVar[dict[str, str]] = {"category": "category", "organization": "organization"}

    category: str
    organization: str | None = None
    time_limit_minutes: int | None = None  # None: the category's time limit
    lead: bool = True  # lead department (牵头) or co-handling (协办)
    org_kind: OrgKind | None = None
    level: Level | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        if self.org_kind is None and self.level is None:
            return f"{self.category}|{self.organization}"
        return f"{self.category}|{self.organization or ''}|{self.org_kind or ''}|{self.level or ''}"


@dataclass(frozen=True, slots=True)
class Requirement:
    """A role template requires ``min`` (to ``max``) holders of ``role``."""

    KIND: ClassVar[str] = "requirement"
    REFS: ClassVar[dict[str, str]] = {"template": "role_template", "role": "role"}

    template: str
    role: str
    min: int = 1
    max: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return f"{self.template}|{self.role}"


@dataclass(frozen=True, slots=True)
class Border:
    """place BORDERS place (stored once, in code order)."""

    KIND: ClassVar[str] = "border"
    REFS: ClassVar[dict[str, str]] = {"place": "place", "other": "place"}

    place: str
    other: str
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def key(self) -> str:
        return f"{self.place}|{self.other}"


AnyRecord = (
    Place
    | Grid
    | Person
    | Role
    | Post
    | Organization
    | Alliance
    | Category
    | RoleTemplate
    | Holding
    | Coverage
    | Boundary
    | GridTier
    | Stationing
    | Jurisdiction
    | Membership
    | Handling
    | Requirement
    | Border
)

#: Every record kind, in dependency order (a kind only refers to kinds before it, or itself).
KINDS: dict[str, type[AnyRecord]] = {
    cls.KIND: cls
    for cls in (
        Place,
        GridTier,
        Grid,
        Coverage,
        Boundary,
        Border,
        Person,
        Role,
        Organization,
        Post,
        Holding,
        Stationing,
        Jurisdiction,
        Alliance,
        Membership,
        Category,
        Handling,
        RoleTemplate,
        Requirement,
    )
}


T = TypeVar("T")


def positional_maker(cls: type[T]) -> Callable[..., T]:
    """A constructor of the frozen slots dataclass ``cls`` taking every field, positionally,
    in order: ``make(*values)`` is equal to ``cls(*values)`` in every field (and so in
    equality and hash), made without ``__init__``'s generic ``object.__setattr__`` per field
    (about half the time; a bulk import makes hundreds of thousands of records). Only for
    classes whose ``__init__`` does nothing else (no ``__post_init__``: refused).

    >>> make = positional_maker(Holding)
    >>> make("H1", "P1", "S1", None, None) == Holding(id="H1", person="P1", post="S1")
    True
    """
    if not is_dataclass(cls) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    if hasattr(cls, "__post_init__") or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: only slots dataclasses without __post_init__")
    names = [f.name for f in fields(cls)]
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    for i, name in enumerate(names):
        scope[f"_set{i}"] = cls.__dict__[name].__set__  # the slot's own descriptor
    params = ", ".join(f"v{i}" for i in range(len(names)))
    body = "".join(f"    _set{i}(o, v{i})\n" for i in range(len(names)))
    exec(f"def make({params}):\n    o = _new(_cls)\n{body}    return o\n", scope)
    return scope["make"]  # type: ignore[no-any-return]
