"""Shipped staffing presets: every preset gives the counts a hand count gives, on every backend.

The fixture is a small county (西林县 under 百色市) small enough to count by hand:

    西林县 451030000000
    ├── 八达镇 T1
    │   ├── 那岩村 V1 (行政村) ── hamlets V1-001 (屯), V1-002 (屯)
    │   └── 城北社区 V2 (社区)  ── no hamlets
    └── 古障镇 T2
        └── 古障村 V3 (行政村) ── hamlets V3-001 (屯), V3-002 (自然村)

    grids: tier 1 GA (V1), GB (V2), GC (V3); tier 2 GA-1 (V1's hamlets), GC-1 (V3's hamlets);
           tier 3 GA-1-1 (V1-001), GA-1-2 (V1-002), GC-1-1 (V3-001 and V3-002)

Seats at ``AT`` (2026-11-01; "expiring" means a term ends within 90 days):

    V1  police_assistant filled · judge_assistant expiring (ends 2026-12-31) · legal_adviser
        vacant (never held) · law_literate expired (ended 2026-06-30) · women_chair two holders ·
        contracted_lawyer filled · auxiliary_police filled · youth_secretary, governance_officer:
        no seat
    V2  police_assistant vacant · community_police filled · auxiliary_police two seats, one held
    V3  police_assistant filled · judge_assistant seat abolished 2025-12-31 (so: no seat) ·
        auxiliary_police expired (ended 2026-03-31) · nothing else
    V1-001 grid_worker filled, law_literate filled · V1-002 grid_worker vacant ·
    V3-001 grid_worker expiring (ends 2026-12-15) · V3-002 nothing
    grid workers: GA-1-1 filled · GA-1-2 vacant · GC-1-1 no seat · GA-1 filled · GC-1 no seat ·
                  GA (tier 1) filled
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from registry.codes import Level
from registry.errors import InvalidInput, NotFound
from registry.model import (
    AnyRecord,
    Coverage,
    Grid,
    GridTier,
    Holding,
    Person,
    Place,
    Post,
    Requirement,
    Role,
    RoleTemplate,
)
from registry.queries.coverage import coverage_report
from registry.roles import ROLES
from registry.standards import (
    PRESETS,
    ROLE_RECORDS,
    Need,
    apply_preset,
    preset_records,
    template_changes,
)
from registry.store import GraphStore

AT = date(2026, 11, 1)
D0 = date(2024, 1, 1)
PROVINCE, PREFECTURE, COUNTY = "450000000000", "451000000000", "451030000000"
T1, T2 = "451030100000", "451030200000"
V1, V2, V3 = "451030100201", "451030100001", "451030200201"


def fixture_records() -> list[AnyRecord]:
    """The hand-countable county of the module docstring (no templates)."""
    recs: list[AnyRecord] = [
        Place(code=PROVINCE, name="广西壮族自治区", level=Level.PROVINCE),
        Place(code=PREFECTURE, name="百色市", level=Level.PREFECTURE, parent=PROVINCE),
        Place(code=COUNTY, name="西林县", level=Level.COUNTY, parent=PREFECTURE, kind="县"),
        Place(code=T1, name="八达镇", level=Level.TOWNSHIP, parent=COUNTY, kind="镇"),
        Place(code=T2, name="古障镇", level=Level.TOWNSHIP, parent=COUNTY, kind="镇"),
        Place(code=V1, name="那岩村", level=Level.VILLAGE, parent=T1, kind="行政村"),
        Place(code=V2, name="城北社区", level=Level.VILLAGE, parent=T1, kind="社区"),
        Place(code=V3, name="古障村", level=Level.VILLAGE, parent=T2, kind="行政村"),
        Place(code=f"{V1}-001", name="那岩屯", level=Level.HAMLET, parent=V1, kind="屯"),
        Place(code=f"{V1}-002", name="坡皿屯", level=Level.HAMLET, parent=V1, kind="屯"),
        Place(code=f"{V3}-001", name="者夯屯", level=Level.HAMLET, parent=V3, kind="屯"),
        Place(code=f"{V3}-002", name="央龙", level=Level.HAMLET, parent=V3, kind="自然村"),
        GridTier(county=COUNTY, tier=1, level=Level.VILLAGE, name="一级网格"),
        GridTier(county=COUNTY, tier=2, level=Level.HAMLET, name="二级网格"),
        GridTier(county=COUNTY, tier=3, level=Level.HAMLET, name="三级网格"),
    ]
    grids = [
        ("GA", 1, None, [V1]),
        ("GB", 1, None, [V2]),
        ("GC", 1, None, [V3]),
        ("GA-1", 2, "GA", [f"{V1}-001", f"{V1}-002"]),
        ("GC-1", 2, "GC", [f"{V3}-001", f"{V3}-002"]),
        ("GA-1-1", 3, "GA-1", [f"{V1}-001"]),
        ("GA-1-2", 3, "GA-1", [f"{V1}-002"]),
        ("GC-1-1", 3, "GC-1", [f"{V3}-001", f"{V3}-002"]),
    ]
    for code, tier, parent, places in grids:
        recs.append(Grid(code=code, name=f"{code}网格", tier=tier, county=COUNTY, parent=parent))
        recs.extend(Coverage(grid=code, place=p) for p in places)
    recs.extend(ROLE_RECORDS.values())
    recs.extend(Person(id=f"P{i:02}", name=f"人员{i}") for i in range(1, 15))

    def seat(
        at: str, role: str, *terms: tuple[str, date | None], grid: bool = False, n: int = 0
    ) -> None:
        post = f"{at}-{role}" + (f"-{n}" if n else "")
        recs.append(
            Post(id=post, role=role, grid=at, label=role)
            if grid
            else Post(id=post, role=role, place=at, label=role)
        )
        for person, end in terms:
            recs.append(
                Holding(
                    id=f"H-{post}-{person}", person=person, post=post, valid_from=D0, valid_to=end
                )
            )

    seat(V1, "police_assistant", ("P01", None))
    seat(V1, "judge_assistant", ("P02", date(2026, 12, 31)))
    seat(V1, "legal_adviser")
    seat(V1, "law_literate", ("P03", date(2026, 6, 30)))
    seat(V1, "women_chair", ("P04", None), ("P05", None))
    seat(V1, "contracted_lawyer", ("P06", None))
    seat(V1, "auxiliary_police", ("P07", None))
    seat(V2, "police_assistant")
    seat(V2, "community_police", ("P08", None))
    seat(V2, "auxiliary_police", ("P09", None), n=1)
    seat(V2, "auxiliary_police", n=2)
    seat(V3, "police_assistant", ("P10", None))
    recs.append(  # an abolished seat: not in force at AT, so the role counts as missing
        Post(
            id=f"{V3}-judge_assistant",
            role="judge_assistant",
            place=V3,
            valid_to=date(2025, 12, 31),
        )
    )
    recs.append(
        Holding(
            id="H-V3-judge",
            person="P11",
            post=f"{V3}-judge_assistant",
            valid_from=D0,
            valid_to=date(2025, 12, 31),
        )
    )
    seat(V3, "auxiliary_police", ("P11", date(2026, 3, 31)))
    seat(f"{V1}-001", "grid_worker", ("P12", None))
    seat(f"{V1}-001", "law_literate", ("P03", None))  # P03 holds several posts
    seat(f"{V1}-002", "grid_worker")
    seat(f"{V3}-001", "grid_worker", ("P13", date(2026, 12, 15)))
    seat("GA-1-1", "grid_worker", ("P12", None), grid=True)
    seat("GA-1-2", "grid_worker", grid=True)
    seat("GA-1", "grid_worker", ("P14", None), grid=True)
    seat("GA", "grid_worker", ("P14", None), grid=True)
    return recs


@pytest.fixture
def county(empty_store: GraphStore) -> GraphStore:
    empty_store.apply(fixture_records(), actor="test", operation="load")
    return empty_store


def totals(store: GraphStore) -> dict[str, int]:
    return dict(coverage_report(store, COUNTY, at=AT).totals)


def by_township(store: GraphStore) -> dict[str, dict[str, int]]:
    report = coverage_report(store, COUNTY, at=AT)
    return {r.code: dict(r.counts) for r in report.rollups if r.level is Level.TOWNSHIP}


# --- hand counts, one per preset -----------------------------------------------------------


def test_luocheng_seven_roles_hand_count(county: GraphStore) -> None:
    apply_preset(county, "luocheng-seven-roles", COUNTY)
    # 3 village-level places (the community too: the template names no kind) x 7 roles = 21.
    # V1: police filled, judge expiring, adviser vacant, law-literate expired, women chair
    #     over-staffed (2 holders, max 1), youth secretary and governance officer missing.
    # V2: police vacant, the other 6 missing.  V3: police filled, the other 6 missing (the judge
    #     assistant's seat was abolished).
    assert totals(county) == {
        "filled": 2,
        "expiring": 1,
        "over_staffed": 1,
        "vacant": 2,
        "expired": 1,
        "missing": 14,
    }
    # T1 holds V1 and V2 (7 + 7 entries), T2 holds V3 (7 entries).
    assert by_township(county) == {
        T1: {
            "filled": 1,
            "expiring": 1,
            "over_staffed": 1,
            "vacant": 2,
            "expired": 1,
            "missing": 8,
        },
        T2: {"filled": 1, "missing": 6},
    }


def test_baise_five_ones_hand_count_from_the_prefecture(county: GraphStore) -> None:
    apply_preset(county, "baise-five-ones", PREFECTURE)  # an ancestor of the county
    # Villages (V1, V2, V3) x (police assistant, contracted lawyer) = 6:
    #   V1 filled, filled; V2 vacant, missing; V3 filled, missing.
    # Hamlets (4) x (grid worker, law-literate) = 8:
    #   V1-001 filled, filled; V1-002 vacant, missing; V3-001 expiring, missing;
    #   V3-002 missing, missing.
    assert totals(county) == {"filled": 5, "expiring": 1, "vacant": 2, "missing": 6}
    report = coverage_report(county, COUNTY, at=AT)
    per_template = Counter((e.template.rsplit("/", 1)[1], e.status) for e in report.entries)
    assert per_template == {
        ("village", "filled"): 3,
        ("village", "vacant"): 1,
        ("village", "missing"): 2,
        ("hamlet", "filled"): 2,
        ("hamlet", "vacant"): 1,
        ("hamlet", "expiring"): 1,
        ("hamlet", "missing"): 4,
    }


def test_fuxin_community_police_hand_count(county: GraphStore) -> None:
    apply_preset(county, "fuxin-community-police", COUNTY)
    # Only V2 is a 社区: community police filled; auxiliary police 1 holder of the 2 required
    # (two seats, one held, never ended) -> vacant.
    assert totals(county) == {"filled": 1, "vacant": 1}
    entries = coverage_report(county, COUNTY, at=AT).entries
    aux = next(e for e in entries if e.role == "auxiliary_police")
    assert (aux.subject, aux.required, aux.seats, aux.holders) == (V2, 2, 2, 1)


def test_fuxin_village_auxiliary_hand_count(county: GraphStore) -> None:
    apply_preset(county, "fuxin-village-auxiliary", COUNTY)
    # 行政村 only (V1, V3; not the community V2): V1 filled, V3 expired.
    assert totals(county) == {"filled": 1, "expired": 1}


def test_grid_worker_per_micro_grid_hand_count(county: GraphStore) -> None:
    apply_preset(county, "grid-worker-per-micro-grid", COUNTY)
    # Tier-3 grids: GA-1-1 filled, GA-1-2 vacant, GC-1-1 missing.
    assert totals(county) == {"filled": 1, "vacant": 1, "missing": 1}


def test_grid_worker_preset_at_another_tier(county: GraphStore) -> None:
    (t,) = apply_preset(county, "grid-worker-per-micro-grid", COUNTY, grid_tier=2)
    assert (t.grid_tier, t.name) == (2, "一格一员（每个二级网格至少一名网格员）")
    # Tier-2 grids: GA-1 filled, GC-1 missing.
    assert totals(county) == {"filled": 1, "missing": 1}


def test_all_fuxin_and_grid_presets_add_up(county: GraphStore) -> None:
    for name in ("fuxin-community-police", "fuxin-village-auxiliary", "grid-worker-per-micro-grid"):
        apply_preset(county, name, COUNTY)
    # The sums of the three hand counts above.
    assert totals(county) == {"filled": 3, "vacant": 2, "expired": 1, "missing": 1}


def test_preset_not_yet_in_force(county: GraphStore) -> None:
    apply_preset(county, "fuxin-village-auxiliary", COUNTY, valid_from=date(2027, 1, 1))
    assert totals(county) == {}
    later = coverage_report(county, COUNTY, at=date(2027, 1, 1))
    assert len(later.entries) == 2


# --- records, errors, idempotence ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_records_are_consistent(name: str) -> None:
    recs = preset_records(name, COUNTY, valid_from=D0)
    roles = {r.code: r for r in recs if isinstance(r, Role)}
    templates = [t for t in recs if isinstance(t, RoleTemplate)]
    reqs = [r for r in recs if isinstance(r, Requirement)]
    demo_names = {code: name for code, name, _ in ROLES}
    assert {r.role for r in reqs} == set(roles)  # every role used is yielded, no more
    assert all(demo_names[c] == r.name for c, r in roles.items())
    assert {r.template for r in reqs} == {t.code for t in templates}
    if len(templates) == 1:
        assert templates[0].code == f"{name}@{COUNTY}"
    else:
        assert all(t.code.startswith(f"{name}@{COUNTY}/") for t in templates)
    for t in templates:
        assert (t.place_level is None) != (t.grid_tier is None)
        assert t.valid_from == D0 and t.region == COUNTY
    assert preset_records(name, COUNTY, valid_from=D0) == recs  # deterministic


def test_luocheng_preset_matches_the_slogan() -> None:
    recs = preset_records("luocheng-seven-roles", COUNTY)
    (t,) = [r for r in recs if isinstance(r, RoleTemplate)]
    assert "一村一警务助理一法官助理一法律顾问一法律明白人一妇联主席一团支书一综治专员" in t.name
    assert [(r.role, r.min, r.max) for r in recs if isinstance(r, Requirement)] == [
        ("police_assistant", 1, 1),
        ("judge_assistant", 1, 1),
        ("legal_adviser", 1, 1),
        ("law_literate", 1, 1),
        ("women_chair", 1, 1),
        ("youth_secretary", 1, 1),
        ("governance_officer", 1, 1),
    ]


def test_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as err:
        preset_records("fuxin", COUNTY)
    assert err.value.field == "name"
    for name in PRESETS:
        assert name in err.value.message


def test_bad_grid_tier() -> None:
    with pytest.raises(InvalidInput) as err:
        preset_records("grid-worker-per-micro-grid", COUNTY, grid_tier=5)
    assert err.value.field == "gridTier"


def test_unknown_region_writes_nothing(county: GraphStore) -> None:
    before = len(county.audit_log(limit=1000))
    with pytest.raises(NotFound) as err:
        apply_preset(county, "baise-five-ones", "459999000000")
    assert err.value.ids == ("459999000000",)
    assert len(county.audit_log(limit=1000)) == before
    assert county.count(RoleTemplate) == 0


def _templates_and_requirements(store: GraphStore) -> tuple[list[AnyRecord], ...]:
    return list(store.scan(RoleTemplate)), list(store.scan(Requirement)), list(store.scan(Role))


def test_applying_twice_is_idempotent(county: GraphStore) -> None:
    first = apply_preset(county, "baise-five-ones", COUNTY, valid_from=D0)
    once = _templates_and_requirements(county)
    log = len(county.audit_log(limit=1000))
    assert apply_preset(county, "baise-five-ones", COUNTY, valid_from=D0) == first
    assert _templates_and_requirements(county) == once
    assert len(county.audit_log(limit=1000)) == log  # nothing to write the second time
    assert (county.count(RoleTemplate), county.count(Requirement)) == (2, 4)
    # Writing the raw records again upserts the same keys: still no duplicates.
    county.apply(preset_records("baise-five-ones", COUNTY, valid_from=D0))
    assert _templates_and_requirements(county) == once


def test_preset_adds_missing_roles_and_keeps_edited_ones(empty_store: GraphStore) -> None:
    empty_store.apply(
        [
            *(r for r in fixture_records() if isinstance(r, Place)),
            Role(code="grid_worker", name="网格员", description="本县口径"),
        ]
    )
    apply_preset(empty_store, "baise-five-ones", COUNTY)
    roles = {r.code: r for r in empty_store.scan(Role)}
    assert set(roles) == {"grid_worker", "law_literate", "police_assistant", "contracted_lawyer"}
    assert roles["grid_worker"].description == "本县口径"
    assert roles["contracted_lawyer"] == ROLE_RECORDS["contracted_lawyer"]


def test_template_changes_end_what_is_no_longer_listed(county: GraphStore) -> None:
    (t,) = apply_preset(county, "fuxin-community-police", COUNTY, valid_from=D0)
    change = date(2026, 12, 1)
    county.apply(template_changes(county, t, [Need("community_police", 1)], effective=change))
    aux = county.get(Requirement, f"{t.code}|auxiliary_police")
    assert aux is not None and aux.valid_to == date(2026, 11, 30)  # ended, not deleted
    assert totals(county) == {"filled": 1, "vacant": 1}  # AT is before the change
    after = coverage_report(county, COUNTY, at=change)
    assert [e.role for e in after.entries] == ["community_police"]
