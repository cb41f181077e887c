"""A tiny sample registry for docstring examples and unit tests.

>>> store = sample_store()
>>> store.get(Place, "451225100201").name
'东门村'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import TypeVar

import orjson

from registry.codes import Level
from registry.model import (
    AnyRecord,
    Boundary,
    Category,
    Coverage,
    Grid,
    GridTier,
    Handling,
    Holding,
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
)
from registry.store import EmbeddedStore
from registry.store.base import AuditEntry, GraphStore, TokenRecord, WriteGuard, WriteResult

__all__ = ["SAMPLE_TODAY", "CountingStore", "sample_records", "sample_store", "square"]

R = TypeVar("R", bound=AnyRecord)

SAMPLE_TODAY = date(2026, 11, 1)
COUNTY = "451225000000"
TOWN = "451225100000"
VILLAGE = "451225100201"


def sample_records() -> list[AnyRecord]:
    """A province-to-hamlet chain, three grids, seats (one vacant), centres and a category."""
    d = date(2024, 1, 1)
    return [
        Place(code="450000000000", name="广西壮族自治区", level=Level.PROVINCE),
        Place(code="451200000000", name="河池市", level=Level.PREFECTURE, parent="450000000000"),
        Place(code=COUNTY, name="罗城仫佬族自治县", level=Level.COUNTY, parent="451200000000"),
        Place(code=TOWN, name="东门镇", level=Level.TOWNSHIP, parent=COUNTY, kind="镇"),
        Place(code=VILLAGE, name="东门村", level=Level.VILLAGE, parent=TOWN, kind="行政村"),
        Place(code=f"{VILLAGE}-001", name="大塘屯", level=Level.HAMLET, parent=VILLAGE, kind="屯"),
        Place(code=f"{VILLAGE}-002", name="上寨屯", level=Level.HAMLET, parent=VILLAGE, kind="屯"),
        GridTier(county=COUNTY, tier=1, level=Level.VILLAGE, name="一级网格"),
        GridTier(county=COUNTY, tier=2, level=Level.HAMLET, name="二级网格"),
        GridTier(county=COUNTY, tier=3, level=Level.HAMLET, name="三级网格"),
        Grid(code="G451225-001", name="东门村一级网格", tier=1, county=COUNTY),
        Grid(
            code="G451225-001-01",
            name="大塘屯二级网格",
            tier=2,
            county=COUNTY,
            parent="G451225-001",
        ),
        Grid(
            code="G451225-001-01-01",
            name="大塘屯第1微网格",
            tier=3,
            county=COUNTY,
            parent="G451225-001-01",
        ),
        Coverage(grid="G451225-001", place=VILLAGE),
        Coverage(grid="G451225-001-01", place=f"{VILLAGE}-001"),
        Coverage(grid="G451225-001-01-01", place=f"{VILLAGE}-001"),
        Role(code="grid_worker", name="网格员"),
        Role(code="police_assistant", name="警务助理"),
        Role(code="law_literate", name="法律明白人"),
        Role(code="governance_officer", name="综治专员"),
        Person(id="P000001", name="韦小红", phone="13807781234"),
        Person(id="P000002", name="覃志强", phone="18977865432"),
        Post(
            id="G451225-001-01-01-grid_worker",
            role="grid_worker",
            grid="G451225-001-01-01",
            label="网格员",
        ),
        Post(
            id=f"{VILLAGE}-police_assistant",
            role="police_assistant",
            place=VILLAGE,
            label="警务助理",
        ),
        Post(id=f"{VILLAGE}-law_literate", role="law_literate", place=VILLAGE, label="法律明白人"),
        Holding(id="H000001", person="P000001", post="G451225-001-01-01-grid_worker", valid_from=d),
        Holding(id="H000002", person="P000002", post=f"{VILLAGE}-police_assistant", valid_from=d),
        Organization(
            code="451225-centre",
            name="罗城仫佬族自治县综治中心",
            kind=OrgKind.CENTRE,
            place=COUNTY,
            level=Level.COUNTY,
        ),
        Organization(
            code="451225100-centre",
            name="东门镇综治中心",
            kind=OrgKind.CENTRE,
            place=TOWN,
            level=Level.TOWNSHIP,
        ),
        Organization(
            code="451225-dept-environment",
            name="河池市生态环境局罗城分局",
            kind=OrgKind.DEPARTMENT,
            place=COUNTY,
            function="environment",
        ),
        Stationing(
            organization="451225-dept-environment",
            centre="451225-centre",
            mode=StationMode.ROTATING,
        ),
        Category(code="C3", name="违法违规"),
        Category(
            code="C3.1",
            name="噪声扰民",
            parent="C3",
            roles=("police_assistant", "law_literate"),
            time_limit_minutes=60,
        ),
        Handling(category="C3.1", organization="451225-dept-environment", time_limit_minutes=60),
        RoleTemplate(
            code="sample-village", name="示例村级岗位", region=COUNTY, place_level=Level.VILLAGE
        ),
        Requirement(template="sample-village", role="police_assistant"),
        Requirement(template="sample-village", role="law_literate"),
        Requirement(template="sample-village", role="governance_officer"),
    ]


def square(
    id: str,
    west: float,
    south: float,
    east: float,
    north: float,
    *,
    grid: str | None = None,
    place: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Boundary:
    """A rectangular boundary (WGS-84 degrees) of a grid or a place, for tests and examples.

    >>> square("B1", 108, 24, 108.5, 24.5, grid="G1").geometry
    '{"type":"Polygon","coordinates":[[[108,24],[108.5,24],[108.5,24.5],[108,24.5],[108,24]]]}'
    """
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    text = orjson.dumps({"type": "Polygon", "coordinates": [ring]}).decode()
    return Boundary(
        id=id,
        geometry=text,
        grid=grid,
        place=place,
        source="synthetic",
        valid_from=valid_from,
        valid_to=valid_to,
    )


def sample_store() -> EmbeddedStore:
    """A fresh in-memory store holding ``sample_records()``."""
    store = EmbeddedStore(None)
    store.apply(sample_records(), actor="sample", operation="load")
    return store


class CountingStore(GraphStore):
    """A test double wrapping a store and counting read calls (guards against N+1).

    >>> s = CountingStore(sample_store())
    >>> _ = s.get_many(Place, ["451225100201", "451225100000"])
    >>> s.calls["get_many"]
    1
    """

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.url = inner.url
        self.calls: Counter[str] = Counter()

    def get(self, kind: type[R], key: str) -> R | None:
        self.calls["get"] += 1
        return self.inner.get(kind, key)

    def get_many(self, kind: type[R], keys: Sequence[str]) -> list[R | None]:
        self.calls["get_many"] += 1
        return self.inner.get_many(kind, keys)

    def scan(self, kind: type[R]) -> Iterator[R]:
        self.calls["scan"] += 1
        return self.inner.scan(kind)

    def count(self, kind: type[AnyRecord]) -> int:
        self.calls["count"] += 1
        return self.inner.count(kind)

    def referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        self.calls["referrers"] += 1
        return self.inner.referrers(kind, field, key)

    def referrers_many(self, kind: type[R], field: str, keys: Sequence[str]) -> list[list[R]]:
        self.calls["referrers_many"] += 1
        return self.inner.referrers_many(kind, field, keys)

    def data_version(self) -> int:
        self.calls["data_version"] += 1
        return self.inner.data_version()

    def apply(
        self,
        records: Sequence[AnyRecord],
        *,
        actor: str = "system",
        operation: str = "write",
        reason: str = "",
        guard: WriteGuard | None = None,
    ) -> WriteResult:
        self.calls["apply"] += 1
        return self.inner.apply(
            records, actor=actor, operation=operation, reason=reason, guard=guard
        )

    def audit_log(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        return self.inner.audit_log(since, limit)

    # API tokens are delegated, not counted (they are not reads of the registry).

    def put_token(self, token: TokenRecord, *, actor: str = "system", reason: str = "") -> None:
        self.inner.put_token(token, actor=actor, reason=reason)

    def get_token(self, token_id: str) -> TokenRecord | None:
        return self.inner.get_token(token_id)

    def list_tokens(self) -> list[TokenRecord]:
        return self.inner.list_tokens()

    def revoke_token(
        self, token_id: str, at: datetime, *, actor: str = "system", reason: str = ""
    ) -> bool:
        return self.inner.revoke_token(token_id, at, actor=actor, reason=reason)

    @property
    def total(self) -> int:
        """All read calls so far."""
        return sum(v for k, v in self.calls.items() if k != "apply")
