"""``responsible`` and ``responsibleMany`` over HTTP, on every store."""

from __future__ import annotations

from datetime import date

from registry.codes import Level
from registry.model import Handling, Holding, OrgKind, Person, Post
from registry.queries.responsibility import MAX_BATCH
from registry.store import GraphStore
from registry.testing import TOWN, VILLAGE, square
from tests.schema.conftest import Gql

SEAT = "roleCode status found post { id } holders { name } inheritedFrom { id } answering { name }"
RESPONSIBLE = f"""
query ($place: String, $grid: String, $point: PointInput, $category: String, $at: Date) {{
  responsible(place: $place, grid: $grid, point: $point, category: $category, at: $at) {{
    at emergency timeLimitMinutes
    place {{ code }} grid {{ code }} category {{ code }}
    location {{ status grid {{ code }} }}
    tiers {{ rank kind found timeLimitMinutes grid {{ code }} organization {{ code }}
             seats {{ {SEAT} }} }}
    escalation {{ rank kind level organization {{ code }} timeLimitMinutes cumulativeMinutes }}
    alliancePartners {{ county {{ code }} }}
  }}
}}
"""
MANY = """
query ($requests: [RoutingRequestInput!]!) {
  responsibleMany(requests: $requests) {
    index
    responsibility { place { code } at tiers { rank } }
    error { index code message ids }
  }
}
"""
D = date(2024, 1, 1)


def _stand_in(store: GraphStore) -> None:
    """A township holder of the law-literate role and township centre time limits."""
    store.apply(
        [
            Post(id=f"{TOWN}-law_literate", role="law_literate", place=TOWN),
            Person(id="P9", name="莫文"),
            Holding(id="H9", person="P9", post=f"{TOWN}-law_literate", valid_from=D),
            Handling(
                category="C3",
                org_kind=OrgKind.CENTRE,
                level=Level.TOWNSHIP,
                time_limit_minutes=120,
            ),
            Handling(
                category="C3", org_kind=OrgKind.CENTRE, level=Level.COUNTY, time_limit_minutes=240
            ),
        ]
    )


def test_responsible_full_answer(store: GraphStore, gql: Gql) -> None:
    _stand_in(store)
    body = gql(RESPONSIBLE, place=VILLAGE, category="C3.1", at="2026-11-01")
    assert "errors" not in body, body
    ans = body["data"]["responsible"]
    assert ans["at"] == "2026-11-01" and ans["emergency"] is False
    village = next(t for t in ans["tiers"] if t["kind"] == "VILLAGE")
    seats = {s["roleCode"]: s for s in village["seats"]}
    assert seats["law_literate"]["status"] == "VACANT"
    assert seats["law_literate"]["found"] == "inherited"
    assert seats["law_literate"]["inheritedFrom"] == {"id": f"{TOWN}-law_literate"}
    assert seats["law_literate"]["answering"] == [{"name": "莫文"}]
    assert seats["police_assistant"]["answering"] == seats["police_assistant"]["holders"]
    steps = ans["escalation"]
    assert [(s["kind"], s["level"]) for s in steps] == [
        ("centre", "TOWNSHIP"),
        ("centre", "COUNTY"),
    ]
    assert [s["cumulativeMinutes"] for s in steps] == [120, 360]
    assert ans["alliancePartners"] == []


def test_responsible_at_is_echoed_and_changes_the_answer(store: GraphStore, gql: Gql) -> None:
    _stand_in(store)
    before = gql(RESPONSIBLE, place=VILLAGE, category="C3.1", at="2023-06-01")["data"]
    village = next(t for t in before["responsible"]["tiers"] if t["kind"] == "VILLAGE")
    assert before["responsible"]["at"] == "2023-06-01"
    seats = {s["roleCode"]: s for s in village["seats"]}
    assert seats["police_assistant"]["holders"] == []  # the holding starts 2024-01-01
    assert seats["law_literate"]["inheritedFrom"] is None


def test_responsible_by_point(store: GraphStore, gql: Gql) -> None:
    store.apply(
        [
            square("B-v", 108.90, 24.80, 108.92, 24.82, place=f"{VILLAGE}-001"),
            square("B-g", 108.90, 24.80, 108.92, 24.82, grid="G451225-001-01-01"),
        ]
    )
    point = {"lon": 108.91, "lat": 24.81}
    ans = gql(RESPONSIBLE, point=point, category="C3.1", at="2026-11-01")["data"]["responsible"]
    assert ans["location"] == {"status": "INSIDE", "grid": {"code": "G451225-001-01-01"}}
    assert ans["tiers"][0]["found"] == "geometric"
    assert ans["place"] == {"code": f"{VILLAGE}-001"}
    far = gql(RESPONSIBLE, point={"lon": 100.0, "lat": 30.0}, at="2026-11-01")["data"]
    assert far["responsible"]["location"]["status"] == "UNCOVERED"
    assert far["responsible"]["tiers"] == []


def test_responsible_errors(gql: Gql) -> None:
    both = gql(RESPONSIBLE, place=VILLAGE, grid="G451225-001")
    assert both["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    unknown = gql(RESPONSIBLE, place="451225999999")
    assert unknown["errors"][0]["extensions"] == {"code": "NOT_FOUND", "ids": ["451225999999"]}


def test_responsible_many_one_result_or_error_per_item(gql: Gql) -> None:
    requests = [
        {"place": VILLAGE, "category": "C3.1", "at": "2026-11-01"},
        {"place": "451225999999"},
        {"grid": "G451225-001", "category": "nope"},
        {"place": VILLAGE, "grid": "G451225-001"},
        {"point": {"lon": 100.0, "lat": 30.0}, "at": "2026-11-01"},
    ]
    body = gql(MANY, requests=requests)
    assert "errors" not in body, body
    out = body["data"]["responsibleMany"]
    assert [r["index"] for r in out] == list(range(5))
    assert out[0]["error"] is None and out[0]["responsibility"]["place"] == {"code": VILLAGE}
    assert out[0]["responsibility"]["tiers"][0]["rank"] == 1
    assert out[1]["responsibility"] is None
    assert out[1]["error"]["code"] == "NOT_FOUND" and out[1]["error"]["index"] == 1
    assert out[2]["error"]["code"] == "NOT_FOUND" and out[2]["error"]["ids"] == ["nope"]
    assert out[3]["error"]["code"] == "INVALID_INPUT"
    assert out[4]["error"] is None and out[4]["responsibility"]["tiers"] == []


def test_responsible_many_maximum(gql: Gql) -> None:
    at_limit = gql(MANY, requests=[{"place": VILLAGE}] * MAX_BATCH)
    assert "errors" not in at_limit and len(at_limit["data"]["responsibleMany"]) == MAX_BATCH
    past = gql(MANY, requests=[{"place": VILLAGE}] * (MAX_BATCH + 1))
    assert past["data"] is None
    assert past["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "requests"}


def test_category_handlers_show_kind_and_level_rules(store: GraphStore, gql: Gql) -> None:
    _stand_in(store)
    query = """{ category(code: "C3") { handlers {
        organization { code } orgKind level timeLimitMinutes lead } } }"""
    body = gql(query)
    assert "errors" not in body, body
    rules = sorted(body["data"]["category"]["handlers"], key=lambda r: r["timeLimitMinutes"])
    assert rules == [
        {
            "organization": None,
            "orgKind": "CENTRE",
            "level": "TOWNSHIP",
            "timeLimitMinutes": 120,
            "lead": True,
        },
        {
            "organization": None,
            "orgKind": "CENTRE",
            "level": "COUNTY",
            "timeLimitMinutes": 240,
            "lead": True,
        },
    ]
