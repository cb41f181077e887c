"""Routing on the demo county and on small fixtures, on every backend: vacancy fallback,
handling by organization kind and level, emergencies, escalation, alliance partners, ``at``,
points and batches."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from loaders.demo import DEMO_TODAY, demo_gaps, demo_records, load_demo
from loaders.demo_data import ESCALATION_LIMITS
from registry.codes import Level
from registry.errors import InvalidInput, NotFound
from registry.geo import parse_geometry
from registry.model import (
    Alliance,
    AllianceFunction,
    AnyRecord,
    Border,
    Boundary,
    Category,
    Handling,
    Holding,
    Membership,
    Organization,
    OrgKind,
    Person,
    Place,
    Post,
    Role,
)
from registry.queries import TierKind, locate, responsible_for
from registry.queries.responsibility import (
    MAX_BATCH,
    Point,
    Responsibility,
    RoutingRequest,
    responsible_many,
)
from registry.store import GraphStore
from registry.testing import SAMPLE_TODAY, CountingStore, sample_records, sample_store
from tests.conftest import BACKENDS, backend_url, open_fresh

VILLAGE = "451225100201"
TOWN = "451225100000"
COUNTY = "451225000000"
LUOPING = "530324000000"
XILIN = "451030000000"


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    store = open_fresh(backend_url(request.param, tmp_path_factory.mktemp("routing"), "demo"))
    try:
        load_demo(store)
        yield store
    finally:
        store.close()


def _seat(ans: Responsibility, role: str) -> object:
    village = next(t for t in ans.tiers if t.kind is TierKind.VILLAGE)
    return next(s for s in village.seats if s.role_code == role)


# --- vacancy fallback -------------------------------------------------------------------------


def test_vacant_village_seat_falls_back_to_the_township_holder(demo: GraphStore) -> None:
    vacant = [p for p in demo_gaps().vacant_posts if p.endswith("-governance_officer")]
    assert vacant, "the demo plants a vacant governance officer seat"
    village = vacant[0].split("-")[0]
    township = village[:9] + "000"
    ans = responsible_for(demo, place=village, category="C2.2", at=DEMO_TODAY)
    seat = _seat(ans, "governance_officer")
    assert seat.status == "vacant" and seat.holders == ()  # type: ignore[attr-defined]
    assert seat.found == "inherited"  # type: ignore[attr-defined]
    assert seat.inherited_from.place == township  # type: ignore[attr-defined]
    held = [
        h
        for h in demo.referrers(Holding, "post", f"{township}-governance_officer")
        if h.valid_from is not None and h.valid_from <= DEMO_TODAY
    ]
    assert [p.id for p in seat.answering] == [h.person for h in held]  # type: ignore[attr-defined]


def test_missing_village_seat_falls_back_too(demo: GraphStore) -> None:
    village, role = next(
        (v, r) for v, r in demo_gaps().missing_seats if r in ("judge_assistant", "police_assistant")
    )
    category = "C2.1"  # involves the judge and police assistants
    ans = responsible_for(demo, place=village, category=category, at=DEMO_TODAY)
    seat = _seat(ans, role)
    assert seat.status == "missing"  # type: ignore[attr-defined]
    if role == "judge_assistant":  # townships have a judge assistant; not a police assistant
        assert seat.inherited_from.id == f"{village[:9]}000-{role}"  # type: ignore[attr-defined]
    else:
        assert seat.inherited_from is None  # type: ignore[attr-defined]


def test_a_role_without_fallback_stays_unanswered(demo: GraphStore) -> None:
    role = demo.get(Role, "law_literate")
    assert role is not None and not role.fallback
    expired = next(p for p in demo_gaps().expired_posts if p.endswith("-law_literate"))
    ans = responsible_for(demo, place=expired.split("-")[0], category="C2.2", at=DEMO_TODAY)
    seat = _seat(ans, "law_literate")
    assert seat.status == "vacant" and seat.found == "none"  # type: ignore[attr-defined]
    assert seat.answering == ()  # type: ignore[attr-defined]


def test_fallback_can_be_switched_off_per_role(empty_store: GraphStore) -> None:
    records = sample_records()
    town_post = Post(id=f"{TOWN}-law_literate", role="law_literate", place=TOWN)
    records += [
        town_post,
        Person(id="P9", name="莫文"),
        Holding(id="H9", person="P9", post=town_post.id, valid_from=date(2024, 1, 1)),
    ]
    empty_store.apply(records)
    ans = responsible_for(empty_store, place=VILLAGE, category="C3.1", at=SAMPLE_TODAY)
    assert _seat(ans, "law_literate").inherited_from == town_post  # type: ignore[attr-defined]
    empty_store.apply([Role(code="law_literate", name="法律明白人", fallback=False)])
    ans = responsible_for(empty_store, place=VILLAGE, category="C3.1", at=SAMPLE_TODAY)
    assert _seat(ans, "law_literate").inherited_from is None  # type: ignore[attr-defined]


# --- handling rules, emergencies, escalation --------------------------------------------------


def test_public_order_goes_to_the_police_station_with_jurisdiction(demo: GraphStore) -> None:
    # 纳翁乡 has no police station of its own: the 乔善 station's jurisdiction covers it.
    village = next(
        p.code for p in demo.referrers(Place, "parent", "451225203000") if p.level is Level.VILLAGE
    )
    ans = responsible_for(demo, place=village, category="C3.4", at=DEMO_TODAY)
    (police,) = [t for t in ans.tiers if t.kind is TierKind.DEPARTMENT]
    assert police.organization is not None
    assert police.organization.code == "451225202-police" and police.found == "unit"
    assert police.organization.kind is OrgKind.POLICE_STATION
    assert police.time_limit_minutes == 60 and police.lead


def test_neighbour_dispute_reaches_the_township_mediation_committee(demo: GraphStore) -> None:
    ans = responsible_for(demo, place=VILLAGE, category="C2.2", at=DEMO_TODAY)
    depts = {
        t.organization.code: t for t in ans.tiers if t.organization and t.kind.value == "department"
    }
    committee = depts[f"{TOWN[:9]}-mediation"]
    assert committee.found == "kind" and committee.time_limit_minutes == 3 * 24 * 60
    assert depts[f"{TOWN[:9]}-police"].found == "unit"
    assert depts["451225-dept-justice"].found == "handling" and depts["451225-dept-justice"].lead


def test_emergency_puts_the_nearest_force_first(demo: GraphStore) -> None:
    ans = responsible_for(demo, place=VILLAGE, category="C4.2", at=DEMO_TODAY)
    assert ans.emergency and ans.time_limit_minutes == 10
    first = ans.tiers[0]
    assert first.kind is TierKind.DEPARTMENT and first.organization is not None
    assert first.organization.kind is OrgKind.POLICE_STATION
    assert [t.rank for t in ans.tiers] == list(range(1, len(ans.tiers) + 1))
    calm = responsible_for(demo, place=VILLAGE, category="C3.4", at=DEMO_TODAY)
    assert not calm.emergency and calm.tiers[0].kind is TierKind.GRID


def test_escalation_climbs_village_township_county_then_supervision(demo: GraphStore) -> None:
    ans = responsible_for(demo, place=VILLAGE, category="C2.1", at=DEMO_TODAY)
    steps = ans.escalation
    assert [s.kind for s in steps] == ["centre", "centre", "centre", "supervision"]
    assert [s.level for s in steps[:3]] == [Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY]
    limits = ESCALATION_LIMITS["C2"]  # C2.1 has no centre rules: its class's apply
    assert [s.time_limit_minutes for s in steps] == [*limits, None]
    assert [s.cumulative_minutes for s in steps] == [
        limits[0],
        limits[0] + limits[1],
        sum(limits),
        sum(limits),
    ]
    assert steps[3].organization.function == "supervision"
    assert steps[3].seats[0].status == "filled"
    centres = [t for t in ans.tiers if t.kind is TierKind.CENTRE]
    assert [t.time_limit_minutes for t in centres] == list(limits)


def test_escalation_skips_a_missing_township_centre(demo: GraphStore) -> None:
    township = demo_gaps().township_without_centre
    village = next(p.code for p in demo.referrers(Place, "parent", township))
    steps = responsible_for(demo, place=village, category="C1.3", at=DEMO_TODAY).escalation
    assert [s.level for s in steps] == [Level.VILLAGE, Level.COUNTY, Level.COUNTY]
    assert steps[1].cumulative_minutes == sum(ESCALATION_LIMITS["C1"][::2])


def test_escalation_steps_are_shared_only_by_categories_with_the_same_limits(
    demo: GraphStore,
) -> None:
    """The steps are kept between calls per start, county and centre limits: a category of
    another class, asked in between, gets its own limits, and one of the same class equal
    steps."""
    labour = responsible_for(demo, place=VILLAGE, category="C1.3", at=DEMO_TODAY).escalation
    dispute = responsible_for(demo, place=VILLAGE, category="C2.1", at=DEMO_TODAY).escalation
    again = responsible_for(demo, place=VILLAGE, category="C1.3", at=DEMO_TODAY).escalation
    sibling = responsible_for(demo, place=VILLAGE, category="C2.2", at=DEMO_TODAY).escalation
    assert ESCALATION_LIMITS["C1"] != ESCALATION_LIMITS["C2"]
    assert tuple(s.time_limit_minutes for s in labour[:3]) == ESCALATION_LIMITS["C1"]
    assert tuple(s.time_limit_minutes for s in dispute[:3]) == ESCALATION_LIMITS["C2"]
    assert again == labour and sibling == dispute
    hamlet = responsible_for(demo, place=f"{VILLAGE}-001", category="C2.2", at=DEMO_TODAY)
    assert hamlet.escalation == dispute  # a hamlet's steps start at its village's centre


def test_escalation_without_category_has_no_limits(demo: GraphStore) -> None:
    steps = responsible_for(demo, place=VILLAGE, at=DEMO_TODAY).escalation
    assert len(steps) == 4 and all(s.cumulative_minutes is None for s in steps)


# --- alliance partners ------------------------------------------------------------------------


def test_demo_alliance_partners_for_a_labour_dispute(demo: GraphStore) -> None:
    ans = responsible_for(demo, place=f"{VILLAGE}-001", category="C2.1", at=DEMO_TODAY)
    partners = {p.county.name: p for p in ans.alliance_partners}
    assert set(partners) == {"罗平县", "兴义市", "西林县"}
    assert partners["罗平县"].cross_province and not partners["西林县"].cross_province
    assert all(p.functions == (AllianceFunction.JOINT_MEDIATION,) for p in partners.values())
    assert [p.county.name for p in ans.alliance_partners][-1] == "西林县"  # same province last
    for p in partners.values():
        (centre,) = p.centres
        assert centre.organization.kind is OrgKind.CENTRE
        assert centre.seats[0].role_code == "centre_director" and centre.seats[0].holders
    before = responsible_for(demo, place=VILLAGE, category="C2.1", at=date(2024, 1, 1))
    assert before.alliance_partners == ()  # the demo county joined on 2024-03-01


def _allied(store: GraphStore) -> None:
    """The sample registry plus an alliance with a county across the border in Yunnan."""
    d = date(2023, 5, 18)
    records: list[AnyRecord] = [
        *sample_records(),
        Place(code="530000000000", name="云南省", level=Level.PROVINCE),
        Place(code="530300000000", name="曲靖市", level=Level.PREFECTURE, parent="530000000000"),
        Place(code=LUOPING, name="罗平县", level=Level.COUNTY, parent="530300000000"),
        Place(code="530324100000", name="罗雄街道", level=Level.TOWNSHIP, parent=LUOPING),
        Place(code="530324100201", name="腊者村", level=Level.VILLAGE, parent="530324100000"),
        Place(code="451000000000", name="百色市", level=Level.PREFECTURE, parent="450000000000"),
        Place(code=XILIN, name="西林县", level=Level.COUNTY, parent="451000000000"),
        Border(place=VILLAGE, other="530324100201"),
        Organization(
            code="530324-centre",
            name="罗平县综治中心",
            kind=OrgKind.CENTRE,
            place=LUOPING,
            level=Level.COUNTY,
        ),
        Role(code="centre_director", name="综治中心主任"),
        Post(id="530324-centre-director", role="centre_director", organization="530324-centre"),
        Person(id="P100", name="李明"),
        Holding(id="H100", person="P100", post="530324-centre-director", valid_from=d),
        Alliance(
            code="A1",
            name="滇黔桂毗邻县跨域治理盟约",
            functions=(AllianceFunction.JOINT_MEDIATION, AllianceFunction.JOINT_PATROL),
            valid_from=d,
            valid_to=date(2027, 12, 31),
        ),
        Membership(alliance="A1", place=COUNTY, valid_from=d),
        Membership(alliance="A1", place=LUOPING, valid_from=d),
        Membership(alliance="A1", place=XILIN, valid_from=d),
        Category(code="C2", name="矛盾纠纷", functions=(AllianceFunction.JOINT_MEDIATION,)),
        Category(code="C2.1", name="劳资纠纷", parent="C2", time_limit_minutes=10080),
        Category(code="C1", name="民生服务", functions=(AllianceFunction.GRID_LINKAGE,)),
    ]
    store.apply(records)


def test_labour_dispute_in_a_border_village_lists_the_partner_counties(
    empty_store: GraphStore,
) -> None:
    _allied(empty_store)
    ans = responsible_for(empty_store, place=f"{VILLAGE}-002", category="C2.1", at=SAMPLE_TODAY)
    luoping, xilin = ans.alliance_partners
    assert (luoping.county.code, xilin.county.code) == (LUOPING, XILIN)
    assert luoping.bordering and luoping.cross_province
    assert luoping.province is not None and luoping.province.name == "云南省"
    assert not xilin.bordering and not xilin.cross_province
    assert luoping.functions == (AllianceFunction.JOINT_MEDIATION,)
    assert [p.name for p in luoping.centres[0].seats[0].holders] == ["李明"]
    assert xilin.centres == ()
    # a category whose functions the alliance does not cover; an alliance no longer in force
    assert responsible_for(empty_store, place=VILLAGE, category="C1", at=SAMPLE_TODAY)
    assert (
        responsible_for(
            empty_store, place=VILLAGE, category="C1", at=SAMPLE_TODAY
        ).alliance_partners
        == ()
    )
    late = responsible_for(empty_store, place=VILLAGE, category="C2.1", at=date(2028, 1, 1))
    assert late.alliance_partners == ()


def test_an_ended_membership_drops_the_partner(empty_store: GraphStore) -> None:
    _allied(empty_store)
    empty_store.apply(
        [
            Membership(
                alliance="A1", place=XILIN, valid_from=date(2023, 5, 18), valid_to=date(2025, 1, 1)
            )
        ]
    )
    ans = responsible_for(empty_store, place=VILLAGE, category="C2.1", at=SAMPLE_TODAY)
    assert [p.county.code for p in ans.alliance_partners] == [LUOPING]


# --- at: answers true at a moment -------------------------------------------------------------


def _changed_hands() -> tuple[Post, Holding, Holding]:
    """A village seat of the demo that changed hands: (post, old term, new term)."""
    records = demo_records()
    posts = {r.id: r for r in records if isinstance(r, Post) and r.place is not None}
    terms: dict[str, list[Holding]] = {}
    for r in records:
        if isinstance(r, Holding) and r.post in posts:
            terms.setdefault(r.post, []).append(r)
    for post_id, held in sorted(terms.items()):
        ended = [h for h in held if h.valid_to is not None]
        for old in ended:
            new = [h for h in held if h.valid_from == old.valid_to + timedelta(days=1)]  # type: ignore[operator]
            if new and posts[post_id].role in ("police_assistant", "governance_officer"):
                return posts[post_id], old, new[0]
    raise AssertionError("the demo has no seat that changed hands")


def test_at_before_and_after_a_post_changed_hands(demo: GraphStore) -> None:
    post, old, new = _changed_hands()
    assert old.valid_to is not None and new.valid_from is not None
    answers = {}
    for moment in (old.valid_to, new.valid_from):
        ans = responsible_for(demo, place=post.place, category="C2.2", at=moment)
        assert ans.at == moment
        seat = _seat(ans, post.role)
        answers[moment] = [p.id for p in seat.holders]  # type: ignore[attr-defined]
    assert answers == {old.valid_to: [old.person], new.valid_from: [new.person]}


# --- points and batches -----------------------------------------------------------------------


def test_responsible_by_point_is_geometric(demo: GraphStore) -> None:
    ans = responsible_for(demo, point=Point(108.9, 24.78), category="C2.2", at=DEMO_TODAY)
    assert ans.location is not None and ans.location.status == "inside"
    assert ans.grid is not None and ans.tiers[0].grid == ans.grid
    assert ans.tiers[0].found == "geometric"
    assert ans.place is not None and ans.place.level is Level.HAMLET
    by_place = responsible_for(demo, place=ans.place.code, category="C2.2", at=DEMO_TODAY)
    assert by_place.escalation == ans.escalation

    def rest(a: Responsibility) -> list[tuple[object, ...]]:  # village, centres, departments
        return [(t.kind, t.place, t.organization, t.seats) for t in a.tiers if t.grid is None]

    assert rest(by_place) == rest(ans) and len(rest(ans)) > 3


def test_points_inside_every_micro_grid_route_to_that_grid(demo: GraphStore) -> None:
    rng = random.Random(4)
    micro = [b for b in demo.scan(Boundary) if b.grid is not None and b.grid.count("-") == 3]
    assert len(micro) == 1696
    for boundary in micro:
        west, south, east, north = parse_geometry(boundary.geometry).bounds
        lon = west + (east - west) * rng.uniform(0.02, 0.98)
        lat = south + (north - south) * rng.uniform(0.02, 0.98)
        loc = locate(demo, lon, lat, at=DEMO_TODAY)
        assert loc.grid is not None and loc.grid.code == boundary.grid, (lon, lat)
        assert loc.status in ("inside", "border")
    boundary = micro[0]
    west, south, east, north = parse_geometry(boundary.geometry).bounds
    point = Point((west + east) / 2, (south + north) / 2)
    ans = responsible_for(demo, point=point, category="C2.2", at=DEMO_TODAY)
    assert ans.grid is not None and ans.grid.code == boundary.grid
    assert ans.tiers[0].found == "geometric" and ans.tiers[0].grid == ans.grid


def test_responsible_by_point_outside_every_grid(demo: GraphStore) -> None:
    ans = responsible_for(demo, point=Point(100.0, 30.0), category="C2.2", at=DEMO_TODAY)
    assert ans.location is not None and ans.location.status == "uncovered"
    assert len(ans.location.nearest) == 3 and ans.tiers == () and ans.place is None


def test_exactly_one_subject(demo: GraphStore) -> None:
    with pytest.raises(InvalidInput):
        responsible_for(demo, place=VILLAGE, point=Point(108.9, 24.78))
    with pytest.raises(InvalidInput):
        responsible_for(demo)


def test_responsible_many_equals_singles_with_typed_errors(demo: GraphStore) -> None:
    requests = [
        RoutingRequest(place=VILLAGE, category="C2.1", at=DEMO_TODAY),
        RoutingRequest(place="451225999999", at=DEMO_TODAY),
        RoutingRequest(grid="G451225-001-01", category="C3.4", at=DEMO_TODAY),
        RoutingRequest(place=VILLAGE, grid="G451225-001", at=DEMO_TODAY),
        RoutingRequest(place=f"{VILLAGE}-001", category="nope", at=DEMO_TODAY),
        RoutingRequest(point=Point(108.9, 24.78), category="C4.2", at=DEMO_TODAY),
        RoutingRequest(place=f"{VILLAGE}-001", category="C2.1", at=date(2024, 1, 1)),
    ]
    out = responsible_many(demo, requests)
    assert len(out) == len(requests)
    assert isinstance(out[1], NotFound) and out[1].code == "NOT_FOUND"
    assert isinstance(out[3], InvalidInput)
    assert isinstance(out[4], NotFound) and out[4].ids == ("nope",)
    for i in (0, 2, 5, 6):
        r = requests[i]
        single = responsible_for(
            demo, place=r.place, grid=r.grid, point=r.point, category=r.category, at=r.at
        )
        assert out[i] == single


def test_responsible_many_refuses_more_than_the_maximum() -> None:
    with pytest.raises(InvalidInput, match=str(MAX_BATCH)):
        responsible_many(sample_store(), [RoutingRequest(place=VILLAGE)] * (MAX_BATCH + 1))


def test_responsible_many_shares_the_work() -> None:
    store = sample_store()
    store.apply(
        [
            Handling(
                category="C3.1", org_kind=OrgKind.CENTRE, level=Level.TOWNSHIP, time_limit_minutes=5
            )
        ]
    )
    request = RoutingRequest(place=f"{VILLAGE}-001", category="C3.1", at=SAMPLE_TODAY)
    one = CountingStore(store)
    single = responsible_for(one, place=request.place, category=request.category, at=request.at)
    many = CountingStore(store)
    answers = responsible_many(many, [request] * 50)
    assert all(a == single for a in answers)
    assert many.total < 50 * one.total / 2, (many.total, one.total)
