"""A tiny sample registry for docstring examples and unit tests.

>>> store = sample_store()
>>> store.get(Place, "451225100201").name
'东门村'
"""

from __future__ import annotations

from datetime import date

from registry.codes import Level
from registry.model import (
    AnyRecord,
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

__all__ = ["SAMPLE_TODAY", "sample_records", "sample_store"]

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
        Grid(code="G451225-001-01", name="大塘屯二级网格", tier=2, county=COUNTY,
             parent="G451225-001"),
        Grid(code="G451225-001-01-01", name="大塘屯第1微网格", tier=3, county=COUNTY,
             parent="G451225-001-01"),
        Coverage(grid="G451225-001", place=VILLAGE),
        Coverage(grid="G451225-001-01", place=f"{VILLAGE}-001"),
        Coverage(grid="G451225-001-01-01", place=f"{VILLAGE}-001"),
        Role(code="grid_worker", name="网格员"),
        Role(code="police_assistant", name="警务助理"),
        Role(code="law_literate", name="法律明白人"),
        Role(code="governance_officer", name="综治专员"),
        Person(id="P000001", name="韦小红", phone="13807781234"),
        Person(id="P000002", name="覃志强", phone="18977865432"),
        Post(id="G451225-001-01-01-grid_worker", role="grid_worker", grid="G451225-001-01-01",
             label="网格员"),
        Post(id=f"{VILLAGE}-police_assistant", role="police_assistant", place=VILLAGE,
             label="警务助理"),
        Post(id=f"{VILLAGE}-law_literate", role="law_literate", place=VILLAGE, label="法律明白人"),
        Holding(id="H000001", person="P000001", post="G451225-001-01-01-grid_worker",
                valid_from=d),
        Holding(id="H000002", person="P000002", post=f"{VILLAGE}-police_assistant",
                valid_from=d),
        Organization(code="451225-centre", name="罗城仫佬族自治县综治中心", kind=OrgKind.CENTRE,
                     place=COUNTY, level=Level.COUNTY),
        Organization(code="451225100-centre", name="东门镇综治中心", kind=OrgKind.CENTRE,
                     place=TOWN, level=Level.TOWNSHIP),
        Organization(code="451225-dept-environment", name="河池市生态环境局罗城分局",
                     kind=OrgKind.DEPARTMENT, place=COUNTY, function="environment"),
        Stationing(organization="451225-dept-environment", centre="451225-centre",
                   mode=StationMode.ROTATING),
        Category(code="C3", name="违法违规"),
        Category(code="C3.1", name="噪声扰民", parent="C3",
                 roles=("police_assistant", "law_literate"), time_limit_minutes=60),
        Handling(category="C3.1", organization="451225-dept-environment", time_limit_minutes=60),
        RoleTemplate(code="sample-village", name="示例村级岗位", region=COUNTY,
                     place_level=Level.VILLAGE),
        Requirement(template="sample-village", role="police_assistant"),
        Requirement(template="sample-village", role="law_literate"),
        Requirement(template="sample-village", role="governance_officer"),
    ]


def sample_store() -> EmbeddedStore:
    """A fresh in-memory store holding ``sample_records()``."""
    store = EmbeddedStore(None)
    store.apply(sample_records(), actor="sample", operation="load")
    return store
