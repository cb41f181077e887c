"""The demo county (罗城): exact figures, planted gaps, determinism, loadable in one write."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest

from loaders.demo import (
    DEMO_TODAY,
    DemoGaps,
    demo_gaps,
    demo_records,
    find_gaps,
    load_demo,
)
from registry.codes import Level, code_agrees_with_parent
from registry.model import (
    Alliance,
    AllianceFunction,
    AnyRecord,
    Border,
    Category,
    Coverage,
    Grid,
    GridTier,
    Handling,
    Holding,
    Jurisdiction,
    Membership,
    Organization,
    OrgKind,
    Person,
    Place,
    Post,
    Requirement,
    RoleTemplate,
    Stationing,
    StationMode,
    in_force,
)
from registry.store import GraphStore, open_store

COUNTY = "451225000000"
TOWNSHIPS = {
    "451225100000": "东门镇",
    "451225101000": "龙岸镇",
    "451225102000": "黄金镇",
    "451225103000": "小长安镇",
    "451225105000": "四把镇",
    "451225106000": "天河镇",
    "451225107000": "怀群镇",
    "451225200000": "宝坛乡",
    "451225202000": "乔善乡",
    "451225203000": "纳翁乡",
    "451225204000": "兼爱乡",
}
VILLAGE_ROLES = (
    "police_assistant",
    "judge_assistant",
    "legal_adviser",
    "law_literate",
    "women_chair",
    "youth_secretary",
    "governance_officer",
)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def records() -> list[AnyRecord]:
    return demo_records()


@pytest.fixture(scope="module")
def store() -> Iterator[GraphStore]:
    s = open_store("memory://")
    load_demo(s)
    yield s
    s.close()


@pytest.fixture(scope="module")
def gaps() -> DemoGaps:
    return demo_gaps()


# --- helpers --------------------------------------------------------------------------------


def _villages(store: GraphStore) -> list[Place]:
    return [v for t in TOWNSHIPS for v in store.referrers(Place, "parent", t)]


def _in_force(store: GraphStore, post: str) -> list[Holding]:
    return [h for h in store.referrers(Holding, "post", post) if in_force(h, DEMO_TODAY)]


def _grids(store: GraphStore, tier: int) -> list[Grid]:
    return [g for g in store.scan(Grid) if g.tier == tier]


def _village_seat_holders(store: GraphStore) -> Counter[str]:
    """Persons by the number of village seats they hold on DEMO_TODAY."""
    held: Counter[str] = Counter()
    for v in _villages(store):
        for post in store.referrers(Post, "place", v.code):
            held.update(h.person for h in _in_force(store, post.id))
    return held


def _grid_worker_holdings(store: GraphStore) -> list[Holding]:
    """Holdings of tier-3 grid-worker posts in force on DEMO_TODAY, via the store API."""
    found = []
    for h in store.scan(Holding):
        post = store.get(Post, h.post)
        assert post is not None
        if post.role != "grid_worker" or not in_force(h, DEMO_TODAY) or post.grid is None:
            continue
        grid = store.get(Grid, post.grid)
        assert grid is not None and grid.tier == 3
        found.append(h)
    return found


# --- places ---------------------------------------------------------------------------------


def test_demo_places_chain_and_townships(store: GraphStore) -> None:
    county = store.get(Place, COUNTY)
    assert county is not None and county.name == "罗城仫佬族自治县"
    assert county.parent == "451200000000"
    hechi = store.get(Place, "451200000000")
    assert hechi is not None and hechi.name == "河池市" and hechi.parent == "450000000000"
    townships = store.referrers(Place, "parent", COUNTY)
    assert {t.code: t.name for t in townships} == TOWNSHIPS
    assert {t.kind for t in townships} == {"镇", "乡"}


def test_demo_has_142_villages_with_communities(store: GraphStore) -> None:
    villages = _villages(store)
    assert len(villages) == 142
    assert all(v.level is Level.VILLAGE and v.synthetic for v in villages)
    kinds = Counter(v.kind for v in villages)
    assert set(kinds) == {"社区", "行政村"}
    dongmen = [v for v in villages if v.parent == "451225100000" and v.kind == "社区"]
    assert len(dongmen) >= 3  # the county seat has several communities
    for v in villages:
        number = int(v.code[9:])
        assert (number < 100) if v.kind == "社区" else (201 <= number < 300), v.code
        assert v.name.endswith(v.kind if v.kind == "社区" else "村")


def test_demo_village_names_unique_within_township(store: GraphStore) -> None:
    for t in TOWNSHIPS:
        names = [v.name for v in store.referrers(Place, "parent", t)]
        assert len(names) == len(set(names)), t


def test_demo_hamlets(store: GraphStore) -> None:
    for v in _villages(store):
        hamlets = store.referrers(Place, "parent", v.code)
        assert 4 <= len(hamlets) <= 10, v.code
        assert [h.code for h in hamlets] == [
            f"{v.code}-{i:03d}" for i in range(1, 1 + len(hamlets))
        ]
        assert len({h.name for h in hamlets}) == len(hamlets)
        expected_kind = "居民小组" if v.kind == "社区" else "屯"
        assert all(h.kind == expected_kind and h.name.endswith(expected_kind) for h in hamlets)
        assert all(h.households and h.households > 0 for h in hamlets)
        assert v.households == sum(h.households or 0 for h in hamlets)


def test_demo_codes_agree_with_parents(records: list[AnyRecord]) -> None:
    places = [r for r in records if isinstance(r, Place) and r.parent is not None]
    assert places
    assert all(code_agrees_with_parent(p.code, p.parent or "") for p in places)


# --- grids ----------------------------------------------------------------------------------


def test_demo_grid_tiers(store: GraphStore) -> None:
    tiers = store.referrers(GridTier, "county", COUNTY)
    assert [(t.tier, t.level, t.name) for t in tiers] == [
        (1, Level.VILLAGE, "一级网格"),
        (2, Level.HAMLET, "二级网格"),
        (3, Level.HAMLET, "三级网格（微网格）"),
    ]


def test_demo_grid_counts_and_codes(store: GraphStore) -> None:
    counts = Counter(g.tier for g in store.scan(Grid))
    assert counts == {1: 143, 2: 725, 3: 1696}
    for g in store.scan(Grid):
        assert g.county == COUNTY and g.households and g.households > 0
        if g.tier == 1:
            assert g.parent is None and re.fullmatch(r"G451225-\d{3}", g.code)
            continue
        parent = store.get(Grid, g.parent or "")
        assert parent is not None and parent.tier == g.tier - 1
        assert re.fullmatch(re.escape(parent.code) + r"-\d{2}", g.code)
    assert [g.code for g in _grids(store, 1)] == [f"G451225-{i:03d}" for i in range(1, 144)]


def test_demo_tier1_grids_cover_villages(store: GraphStore) -> None:
    covered: Counter[str] = Counter()
    for g in _grids(store, 1):
        places = [c.place for c in store.referrers(Coverage, "grid", g.code)]
        assert len(places) == 1
        covered[places[0]] += 1
    assert set(covered) == {v.code for v in _villages(store)}
    assert sorted(covered.values())[-2:] == [1, 2]  # one big village has two tier-1 grids


def test_demo_tier2_grids_cover_one_or_two_hamlets(store: GraphStore) -> None:
    hamlets = set()
    for g in _grids(store, 2):
        places = [c.place for c in store.referrers(Coverage, "grid", g.code)]
        assert len(places) in (1, 2)
        levels = {getattr(store.get(Place, p), "level", None) for p in places}
        assert levels == {Level.HAMLET}
        hamlets.update(places)
        assert store.referrers(Grid, "parent", g.code), g.code  # every tier-2 grid has micro-grids
    all_hamlets = {
        h.code for v in _villages(store) for h in store.referrers(Place, "parent", v.code)
    }
    assert hamlets == all_hamlets


def test_demo_micro_grids_cover_every_hamlet_but_the_planted(
    store: GraphStore, gaps: DemoGaps
) -> None:
    covered = set()
    for g in _grids(store, 3):
        places = [c.place for c in store.referrers(Coverage, "grid", g.code)]
        assert len(places) == 1
        parent_places = {c.place for c in store.referrers(Coverage, "grid", g.parent or "")}
        assert places[0] in parent_places
        covered.add(places[0])
    hamlets = {h.code for v in _villages(store) for h in store.referrers(Place, "parent", v.code)}
    assert len(gaps.uncovered_hamlets) == 2
    assert tuple(sorted(hamlets - covered)) == gaps.uncovered_hamlets


# --- seats ----------------------------------------------------------------------------------


def test_demo_grid_workers_in_force(store: GraphStore) -> None:
    holdings = _grid_worker_holdings(store)
    assert len({h.person for h in holdings}) == 1720
    assert {re.sub(r"-grid_worker(-2)?$", "", h.post) for h in holdings} <= {
        g.code for g in _grids(store, 3)
    }


def test_demo_vacant_grid_posts_and_double_worker(store: GraphStore, gaps: DemoGaps) -> None:
    assert len(gaps.vacant_grid_posts) == 3
    for post_id in gaps.vacant_grid_posts:
        post = store.get(Post, post_id)
        assert post is not None and post.role == "grid_worker"
        assert store.referrers(Holding, "post", post_id) == []
        assert store.referrers(Post, "grid", post.grid or "") == [post]  # nobody else works it
    per_person = Counter(h.person for h in _grid_worker_holdings(store))
    assert [p for p, n in per_person.items() if n > 1] == [gaps.double_grid_worker]
    assert per_person[gaps.double_grid_worker] == 2


def test_demo_every_micro_grid_has_a_worker_post(store: GraphStore) -> None:
    for g in _grids(store, 3):
        posts = store.referrers(Post, "grid", g.code)
        assert f"{g.code}-grid_worker" in {p.id for p in posts}
        assert {p.role for p in posts} == {"grid_worker"}


def test_demo_grid_leaders(store: GraphStore) -> None:
    for g in [*_grids(store, 1), *_grids(store, 2)]:
        post = store.get(Post, f"{g.code}-grid_leader")
        assert post is not None and post.role == "grid_leader" and post.grid == g.code
        assert _in_force(store, post.id), post.id


def test_demo_village_seat_gaps(store: GraphStore, gaps: DemoGaps) -> None:
    assert len(gaps.missing_seats) == 3
    assert len(gaps.vacant_posts) == 6
    assert len(gaps.expired_posts) == 4
    for village, role in gaps.missing_seats:
        assert role not in {p.role for p in store.referrers(Post, "place", village)}
        assert store.get(Post, f"{village}-{role}") is None
    for post_id in gaps.vacant_posts:
        assert store.get(Post, post_id) is not None
        assert store.referrers(Holding, "post", post_id) == []
    for post_id in gaps.expired_posts:
        holdings = store.referrers(Holding, "post", post_id)
        assert holdings and all(h.valid_to and h.valid_to < DEMO_TODAY for h in holdings)


def test_demo_other_village_seats_are_filled(store: GraphStore, gaps: DemoGaps) -> None:
    missing = set(gaps.missing_seats)
    unfilled = {*gaps.vacant_posts, *gaps.expired_posts}
    for v in _villages(store):
        posts = {p.role: p for p in store.referrers(Post, "place", v.code)}
        assert set(posts) == {r for r in VILLAGE_ROLES if (v.code, r) not in missing}
        for role, post in posts.items():
            assert post.id == f"{v.code}-{role}" and CJK.search(post.label)
            assert bool(_in_force(store, post.id)) == (post.id not in unfilled), post.id


def test_demo_double_holder(store: GraphStore, gaps: DemoGaps) -> None:
    held = _village_seat_holders(store)
    assert [p for p, n in held.items() if n > 1] == [gaps.double_holder]
    assert held[gaps.double_holder] == 2
    seats = [
        store.get(Post, h.post) for h in store.referrers(Holding, "person", gaps.double_holder)
    ]
    assert {s.role for s in seats if s is not None} == {"legal_adviser"}
    villages = sorted(s.place or "" for s in seats if s is not None)
    assert villages[0][:9] == villages[1][:9]  # neighbouring villages of one township


def test_demo_role_templates(store: GraphStore) -> None:
    village = store.get(RoleTemplate, "luocheng-village-7")
    assert village is not None and village.region == COUNTY
    assert village.place_level is Level.VILLAGE
    assert village.name == (
        "罗城一村七岗（一村一警务助理一法官助理一法律顾问一法律明白人一妇联主席一团支书一综治专员）"
    )
    reqs = store.referrers(Requirement, "template", village.code)
    assert sorted((r.role, r.min, r.max) for r in reqs) == sorted((r, 1, 1) for r in VILLAGE_ROLES)
    grid = store.get(RoleTemplate, "grid-worker-per-microgrid")
    assert grid is not None and grid.grid_tier == 3
    [req] = store.referrers(Requirement, "template", grid.code)
    assert (req.role, req.min) == ("grid_worker", 1)


def test_demo_persons(store: GraphStore) -> None:
    persons = list(store.scan(Person))
    assert len(persons) > 3000
    assert all(re.fullmatch(r"P\d{6}", p.id) for p in persons)
    assert all(re.fullmatch(r"1[3589]\d{9}", p.phone or "") for p in persons)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", p.name) for p in persons)
    assert all(re.fullmatch(r"H\d{6}", h.id) for h in store.scan(Holding))
    # everyone holds something
    assert all(store.referrers(Holding, "person", p.id) for p in persons)


# --- organizations --------------------------------------------------------------------------


def test_demo_centres(store: GraphStore, gaps: DemoGaps) -> None:
    county = store.get(Organization, "451225-centre")
    assert county is not None and county.kind is OrgKind.CENTRE
    assert (county.level, county.place, county.name) == (
        Level.COUNTY,
        COUNTY,
        "罗城仫佬族自治县社会治安综合治理中心",
    )
    township_centres = {
        o.place: o
        for o in store.scan(Organization)
        if o.kind is OrgKind.CENTRE and o.level is Level.TOWNSHIP
    }
    assert gaps.township_without_centre in TOWNSHIPS
    assert set(TOWNSHIPS) - set(township_centres) == {gaps.township_without_centre}
    assert township_centres["451225100000"].name == "东门镇综治中心" or (
        gaps.township_without_centre == "451225100000"
    )
    for centre in [county, *township_centres.values()]:
        assert _in_force(store, f"{centre.code}-centre_director"), centre.code
    for centre in township_centres.values():
        mediators = [
            p for p in store.referrers(Post, "organization", centre.code) if p.role == "mediator"
        ]
        assert mediators and all(_in_force(store, p.id) for p in mediators)
    for v in _villages(store):
        centres = [
            o for o in store.referrers(Organization, "place", v.code) if o.kind is OrgKind.CENTRE
        ]
        assert len(centres) == 1 and centres[0].level is Level.VILLAGE


def test_demo_departments_stationed_at_county_centre(store: GraphStore) -> None:
    depts = {o.function: o for o in store.referrers(Organization, "place", COUNTY) if o.function}
    assert set(depts) == {
        "public_security", "court", "procuratorate", "justice", "petitions",
        "human_resources", "civil_affairs", "housing", "environment", "urban_management",
        "traffic_police", "trade_union", "women_federation", "youth_league", "hotline",
        "supervision",
    }  # fmt: skip
    assert depts["hotline"].kind is OrgKind.HOTLINE
    assert depts["court"].kind is OrgKind.COURT
    assert depts["traffic_police"].parent == depts["public_security"].code
    stationed = store.referrers(Stationing, "centre", "451225-centre")
    assert {s.organization for s in stationed} == {d.code for d in depts.values()}
    assert {s.mode for s in stationed} == set(StationMode)


def test_demo_township_units(store: GraphStore, gaps: DemoGaps) -> None:
    stations = [o for o in store.scan(Organization) if o.kind is OrgKind.POLICE_STATION]
    assert all(o.parent == "451225-dept-public_security" for o in stations)
    covered = Counter(
        j.place for o in stations for j in store.referrers(Jurisdiction, "organization", o.code)
    )
    assert covered == Counter(list(TOWNSHIPS))  # every township by exactly one station
    assert len(stations) < len(TOWNSHIPS)  # one station covers two townships
    for kind, parent in (
        (OrgKind.JUSTICE_OFFICE, "451225-dept-justice"),
        (OrgKind.MEDIATION_COMMITTEE, None),
    ):
        units = [o for o in store.scan(Organization) if o.kind is kind]
        assert sorted(o.place for o in units) == sorted(TOWNSHIPS)
        assert parent is None or all(o.parent == parent for o in units)
    tribunals = [o for o in store.scan(Organization) if o.parent == "451225-dept-court"]
    assert tribunals and all(o.kind is OrgKind.COURT for o in tribunals)
    for code in set(TOWNSHIPS) - {gaps.township_without_centre}:
        kinds = set()
        for s in store.referrers(Stationing, "centre", f"{code[:9]}-centre"):
            org = store.get(Organization, s.organization)
            assert org is not None
            kinds.add(org.kind)
            if org.kind is OrgKind.POLICE_STATION:
                assert code in {
                    j.place for j in store.referrers(Jurisdiction, "organization", org.code)
                }
        assert {OrgKind.POLICE_STATION, OrgKind.JUSTICE_OFFICE} <= kinds


# --- categories and the alliance --------------------------------------------------------------


def _handlers(store: GraphStore, category: str) -> dict[str, Handling]:
    """Handling rules of ``category`` by the function of the handling department."""
    found = {}
    for h in store.referrers(Handling, "category", category):
        if h.organization is None:  # a rule naming a kind of organization
            continue
        org = store.get(Organization, h.organization)
        assert org is not None
        found[org.function] = h
    return found


def test_demo_categories(store: GraphStore) -> None:
    classes = {c.code: c.name for c in store.scan(Category) if c.parent is None}
    assert classes == {"C1": "民生服务", "C2": "矛盾纠纷", "C3": "违法违规", "C4": "应急处置"}
    for c in store.scan(Category):
        handlers = store.referrers(Handling, "category", c.code)
        assert sum(h.lead for h in handlers) == 1, c.code
        assert c.time_limit_minutes and set(c.roles) <= set(VILLAGE_ROLES)
        assert c.emergency == (c.code.split(".")[0] == "C4")
        if c.code.startswith("C2"):
            assert AllianceFunction.JOINT_MEDIATION in c.functions
            assert {"governance_officer", "law_literate", "police_assistant"} <= set(c.roles)
        if c.code.startswith("C3"):
            assert {AllianceFunction.JOINT_PATROL, AllianceFunction.JOINT_CRIME_FIGHTING} <= set(
                c.functions
            )
        if c.code.startswith("C4"):
            assert {AllianceFunction.JOINT_SAFETY, AllianceFunction.GRID_LINKAGE} <= set(
                c.functions
            )
    wages = _handlers(store, "C2.1")
    assert set(wages) == {"human_resources", "court", "justice", "trade_union"}
    assert wages["human_resources"].lead
    assert _handlers(store, "C3.1")["environment"].time_limit_minutes == 60
    assert _handlers(store, "C1.1")["traffic_police"].time_limit_minutes == 4320
    assert _handlers(store, "C1.2")["urban_management"].time_limit_minutes == 20
    assert "urban_management" in _handlers(store, "C3.2")
    assert "human_resources" in _handlers(store, "C1.3")
    riot = store.get(Category, "C4.2")
    assert riot is not None and riot.emergency and "public_security" in _handlers(store, "C4.2")


def test_demo_alliance(store: GraphStore) -> None:
    members = {m.place for m in store.referrers(Membership, "alliance", "luoping-pact")}
    assert members == {"530324000000", "522301000000", "451030000000", COUNTY}
    alliance = store.get(Alliance, "luoping-pact")
    assert alliance is not None and set(alliance.functions) == set(AllianceFunction)
    luoping = store.referrers(Place, "parent", "530324000000")
    assert len(luoping) == 13 and all(t.level is Level.TOWNSHIP for t in luoping)
    assert {(b.place, b.other) for b in store.scan(Border)} == {
        ("522301000000", "530324000000"),
        ("451030000000", "530324000000"),
    }
    for county in members - {COUNTY}:
        [centre] = store.referrers(Organization, "place", county)
        assert centre.kind is OrgKind.CENTRE and centre.level is Level.COUNTY
        assert _in_force(store, f"{centre.code}-centre_director")


# --- the generator itself -------------------------------------------------------------------


def test_demo_is_deterministic(records: list[AnyRecord]) -> None:
    assert demo_records() == records
    assert demo_records(seed=1) != records
    assert demo_gaps() == demo_gaps()


def test_demo_records_parents_first(records: list[AnyRecord]) -> None:
    seen: set[tuple[str, str]] = set()
    for r in records:
        parent = getattr(r, "parent", None)
        if parent is not None:
            assert (r.KIND, parent) in seen, r.key
        seen.add((r.KIND, r.key))
    assert len(seen) == len(records)  # no key twice


def test_demo_names_are_chinese(records: list[AnyRecord]) -> None:
    for r in records:
        for field in ("name", "label"):
            value = getattr(r, field, None)
            if value is not None:
                assert CJK.search(value), (r.KIND, r.key, value)


def test_demo_load_is_one_audited_write(records: list[AnyRecord]) -> None:
    s = open_store("memory://")
    result = load_demo(s)
    assert result.written == len(records)
    [entry] = s.audit_log()
    assert (entry.actor, entry.operation, entry.reason) == ("demo", "load_demo", "demo county")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_demo_other_seeds_plant_the_same_gaps(seed: int) -> None:
    records = demo_records(seed)
    gaps = find_gaps(records)
    sizes = (
        len(gaps.missing_seats),
        len(gaps.vacant_posts),
        len(gaps.expired_posts),
        len(gaps.uncovered_hamlets),
        len(gaps.vacant_grid_posts),
    )
    assert sizes == (3, 6, 4, 2, 3)
    assert Counter(g.tier for g in records if isinstance(g, Grid)) == {1: 143, 2: 725, 3: 1696}
    open_store("memory://").apply(records)  # passes every invariant
