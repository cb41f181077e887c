"""Results ``responsible_for`` shares between calls (seats of centres and upper grids, category
rules, where named organizations serve) never outlive a write: every change is visible in the
very next answer, on every backend."""

from __future__ import annotations

import dataclasses

from registry.model import (
    Alliance,
    AllianceFunction,
    Border,
    Category,
    Handling,
    Holding,
    Jurisdiction,
    Level,
    Membership,
    Organization,
    OrgKind,
    Person,
    Place,
    Post,
)
from registry.queries.responsibility import Responsibility, responsible_for
from registry.store import GraphStore
from registry.testing import SAMPLE_TODAY, sample_records

PLACE = "451225100201-001"
TOWNSHIP_CENTRE = "451225100-centre"
UPPER_GRID = "G451225-001-01"
DEPARTMENT = "451225-dept-environment"


def _answer(store: GraphStore) -> Responsibility:
    return responsible_for(store, place=PLACE, category="C3.1", at=SAMPLE_TODAY)


def _seats(ans: Responsibility, name: str) -> list[tuple[str, str, list[str]]]:
    tier = next(t for t in ans.tiers if t.subject_name == name)
    return [(s.role_code, s.status, [p.name for p in s.holders]) for s in tier.seats]


def _seed(store: GraphStore) -> None:
    store.apply(sample_records())


def test_new_seats_at_a_centre_and_an_upper_grid_show_in_the_next_answer(
    empty_store: GraphStore,
) -> None:
    store = empty_store
    _seed(store)
    before = _answer(store)
    assert _seats(before, "东门镇综治中心") == []
    assert _seats(before, "大塘屯二级网格") == []
    _answer(store)  # answered twice: the shared results are in use
    store.apply(
        [
            Person(id="P-new-1", name="韦新"),
            Person(id="P-new-2", name="覃新"),
            Post(id="centre-officer", role="governance_officer", organization=TOWNSHIP_CENTRE),
            Post(id="grid-officer", role="grid_worker", grid=UPPER_GRID),
            Holding(id="h-new-1", person="P-new-1", post="centre-officer"),
            Holding(id="h-new-2", person="P-new-2", post="grid-officer"),
        ]
    )
    after = _answer(store)
    assert _seats(after, "东门镇综治中心") == [("governance_officer", "filled", ["韦新"])]
    assert _seats(after, "大塘屯二级网格") == [("grid_worker", "filled", ["覃新"])]
    ended = SAMPLE_TODAY.replace(year=SAMPLE_TODAY.year - 1)
    store.apply([Holding(id="h-new-1", person="P-new-1", post="centre-officer", valid_to=ended)])
    assert _seats(_answer(store), "东门镇综治中心") == [("governance_officer", "vacant", [])]


def test_a_changed_category_rule_shows_in_the_next_answer(empty_store: GraphStore) -> None:
    store = empty_store
    _seed(store)
    before = _answer(store)
    category = store.get(Category, "C3.1")
    assert category is not None and before.time_limit_minutes == 60
    store.apply([dataclasses.replace(category, time_limit_minutes=45)])
    assert _answer(store).time_limit_minutes == 45


def test_a_jurisdiction_of_a_named_organization_shows_in_the_next_answer(
    empty_store: GraphStore,
) -> None:
    """The department serves its county (it has no jurisdiction); given a jurisdiction over
    the other hamlet only, it no longer serves the place; over the village, it does again."""
    store = empty_store
    _seed(store)
    department = "河池市生态环境局罗城分局"
    assert department in _names(_answer(store))
    store.apply([Jurisdiction(organization=DEPARTMENT, place="451225100201-002")])
    assert department not in _names(_answer(store))
    store.apply([Jurisdiction(organization=DEPARTMENT, place="451225100201")])
    assert department in _names(_answer(store))


def _names(ans: Responsibility) -> list[str]:
    return [t.subject_name for t in ans.tiers]


def test_a_new_border_and_a_new_handler_show_in_the_next_answer(empty_store: GraphStore) -> None:
    """The counties bordering the place and the organizations acting for it are shared
    between calls; a border or a handling written after that shows at once."""
    store = empty_store
    _seed(store)
    other = Place(code="522700000000", name="黔南布依族苗族自治州", level=Level.PREFECTURE)
    county = Place(code="522731000000", name="惠水县", level=Level.COUNTY, parent=other.code)
    store.apply(
        [
            Place(code="520000000000", name="贵州省", level=Level.PROVINCE),
            dataclasses.replace(other, parent="520000000000"),
            county,
            Alliance(code="A-test", name="桂黔联盟", functions=(AllianceFunction.JOINT_PATROL,)),
            Membership(alliance="A-test", place="451225000000"),
            Membership(alliance="A-test", place=county.code),
        ]
    )
    before = [_answer(store) for _ in range(2)][1]
    assert [(p.county.code, p.bordering) for p in before.alliance_partners] == [
        (county.code, False)
    ]
    store.apply([Border(place="451225000000", other=county.code)])
    after = _answer(store)
    assert [(p.county.code, p.bordering) for p in after.alliance_partners] == [(county.code, True)]
    assert "惠水县公安局" not in _names(after)
    store.apply(
        [
            Organization(
                code="522731-police",
                name="惠水县公安局",
                kind=OrgKind.DEPARTMENT,
                place=county.code,
            ),
            Handling(category="C3.1", organization="522731-police"),
            Jurisdiction(organization="522731-police", place=PLACE),
        ]
    )
    assert "惠水县公安局" in _names(_answer(store))
