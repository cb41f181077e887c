"""The GraphQL API over HTTP, on every backend."""

from __future__ import annotations

from fastapi.testclient import TestClient

from registry.model import Grid, Holding, Person
from registry.store import GraphStore
from registry.testing import VILLAGE
from tests.schema.conftest import Gql


def test_api_place_lookup_and_navigation(gql: Gql) -> None:
    body = gql(
        """query($c: String!) { place(code: $c) { name level parent { name }
        ancestors { code } children { totalCount nodes { code coveringGrids { tier } } }
        posts { id vacant holders { name } } } }""",
        c=VILLAGE,
    )
    place = body["data"]["place"]
    assert place["name"] == "东门村" and place["level"] == "VILLAGE"
    assert place["parent"]["name"] == "东门镇"
    assert [a["code"] for a in place["ancestors"]][-1] == "450000000000"
    assert place["children"]["totalCount"] == 2
    assert [len(c["coveringGrids"]) for c in place["children"]["nodes"]] == [2, 0]
    assert {p["id"]: p["vacant"] for p in place["posts"]} == {
        f"{VILLAGE}-law_literate": True,
        f"{VILLAGE}-police_assistant": False,
    }


def test_api_unknown_place_is_null(gql: Gql) -> None:
    assert gql('{ place(code: "999999999999") { name } }')["data"]["place"] is None


def test_api_grid_navigation(gql: Gql) -> None:
    body = gql("""{ grid(code: "G451225-001") { tier county { name }
        descendants { totalCount nodes { code tier } } coveredPlaces { name } } }""")
    grid = body["data"]["grid"]
    assert grid["county"]["name"] == "罗城仫佬族自治县"
    assert [n["tier"] for n in grid["descendants"]["nodes"]] == [2, 3]
    assert grid["coveredPlaces"] == [{"name": "东门村"}]


def test_api_descendants_filtered_by_level(gql: Gql) -> None:
    body = gql('{ place(code: "451225000000") { descendants(level: HAMLET) { totalCount } } }')
    assert body["data"]["place"]["descendants"]["totalCount"] == 2


def test_api_page_size_limit(gql: Gql) -> None:
    ok = gql(
        '{ place(code: "450000000000") { descendants(first: 5) { totalCount '
        "pageInfo { hasNextPage endCursor } } } }"
    )
    conn = ok["data"]["place"]["descendants"]
    assert conn["totalCount"] == 6 and conn["pageInfo"]["hasNextPage"] is True
    rest = gql(
        'query($a: String) { place(code: "450000000000") { descendants(first: 5, after: $a)'
        " { nodes { code } pageInfo { hasNextPage } } } }",
        a=conn["pageInfo"]["endCursor"],
    )
    assert len(rest["data"]["place"]["descendants"]["nodes"]) == 1
    too_big = gql('{ place(code: "450000000000") { descendants(first: 6) { totalCount } } }')
    assert too_big["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "first"}


def test_api_search_chinese_and_code(gql: Gql) -> None:
    names = gql('{ search(text: "大塘") { ... on Place { code } ... on Grid { code } } }')
    assert {"code": f"{VILLAGE}-001"} in names["data"]["search"]
    codes = gql('{ search(text: "４５１２２５１００２０１") { __typename ... on Place { code } } }')
    assert codes["data"]["search"][0] == {"__typename": "Place", "code": VILLAGE}


def test_api_responsible_tiers(gql: Gql) -> None:
    body = gql("""{ responsible(place: "451225100201-001", category: "C3.1", at: "2026-11-01") {
        timeLimitMinutes tiers { rank kind found organization { name } timeLimitMinutes
        seats { roleCode status holders { name } } } } }""")
    ans = body["data"]["responsible"]
    kinds = [t["kind"] for t in ans["tiers"]]
    assert kinds == ["GRID", "GRID", "GRID", "VILLAGE", "CENTRE", "CENTRE", "DEPARTMENT"]
    assert ans["tiers"][0]["seats"][0]["holders"] == [{"name": "韦小红"}]
    village = ans["tiers"][3]["seats"]
    assert [(s["roleCode"], s["status"]) for s in village] == [
        ("police_assistant", "FILLED"),
        ("law_literate", "VACANT"),
    ]
    assert ans["tiers"][-1]["timeLimitMinutes"] == 60


def test_api_responsible_needs_place_or_grid(gql: Gql) -> None:
    body = gql('{ responsible(category: "C3.1") { at } }')
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    body = gql('{ responsible(place: "999999999999") { at } }')
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_api_coverage_report(gql: Gql) -> None:
    body = gql("""{ coverage(scope: "451225000000", at: "2026-11-01") {
        totals { filled vacant missing } gridsPerTier { tier count }
        uncoveredPlaces { code } rollups { code counts { total } }
        entries(status: MISSING) { nodes { subjectCode roleCode } } } }""")
    cov = body["data"]["coverage"]
    assert cov["totals"] == {"filled": 1, "vacant": 1, "missing": 1}
    assert cov["uncoveredPlaces"] == [{"code": f"{VILLAGE}-002"}]
    assert cov["entries"]["nodes"] == [{"subjectCode": VILLAGE, "roleCode": "governance_officer"}]
    assert {r["code"] for r in cov["rollups"]} == {"451225000000", "451225100000"}


def test_api_mutation_assign_and_end_post(gql: Gql, store: GraphStore) -> None:
    post = f"{VILLAGE}-law_literate"
    body = gql(
        """mutation($p: ID!) { assignPost(post: $p, person: "P000002",
        validFrom: "2026-01-01", reason: "任命") { id person { name } post { vacant(at: "2026-06-01") } } }""",
        p=post,
    )
    held = body["data"]["assignPost"]
    assert held["person"]["name"] == "覃志强" and held["post"]["vacant"] is False
    assert len(store.referrers(Holding, "post", post)) == 1
    ended = gql(
        'mutation($p: ID!) { endPost(post: $p, validTo: "2026-06-30") { validTo } }', p=post
    )
    assert ended["data"]["endPost"] == [{"validTo": "2026-06-30"}]
    check = gql(
        'query($p: String!) { place(code: $p) { posts(at: "2026-07-01") { id vacant(at: "2026-07-01") } } }',
        p=VILLAGE,
    )
    assert {"id": post, "vacant": True} in check["data"]["place"]["posts"]
    assert store.audit_log(limit=2)[0].operation == "end_post"


def test_api_mutation_invariant_violation_is_coded_and_writes_nothing(
    gql: Gql, store: GraphStore
) -> None:
    body = gql(
        'mutation { updateGrid(code: "G451225-001", patch: {parent: "G451225-001-01-01"}) '
        "{ code } }"
    )
    err = body["errors"][0]
    assert err["extensions"]["code"] == "INVARIANT_VIOLATION"
    assert err["extensions"]["ids"] == ["G451225-001", "G451225-001-01-01"]
    assert "Traceback" not in str(body)
    grid = store.get(Grid, "G451225-001")
    assert grid is not None and grid.parent is None


def test_api_mutation_create_and_update(gql: Gql, store: GraphStore) -> None:
    made = gql('mutation { createPerson(input: {name: "莫小燕", phone: "15977001234"}) { id } }')
    pid = made["data"]["createPerson"]["id"]
    gql('mutation($i: ID!) { updatePerson(id: $i, patch: {phone: "15977009999"}) { id } }', i=pid)
    person = store.get(Person, pid)
    assert person is not None and person.phone == "15977009999" and person.name == "莫小燕"
    dup = gql(
        'mutation { createPlace(input: {code: "451225100201", name: "重复", level: VILLAGE, '
        'parent: "451225100000"}) { code } }'
    )
    assert dup["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    bad = gql(
        'mutation { createPlace(input: {code: "451225100209", name: "新村", level: VILLAGE, '
        'parent: "451225101000"}) { code } }'
    )
    assert bad["errors"][0]["extensions"]["code"] in {"UNKNOWN_REFERENCE", "INVARIANT_VIOLATION"}
    moved = gql(
        'mutation { createGrid(input: {code: "G451225-009", name: "新一级网格", tier: 1, '
        'county: "451225000000"}) { code } updateGrid(code: "G451225-001-01", '
        'patch: {parent: "G451225-009"}) { parent { code } } }'
    )
    assert moved["data"]["updateGrid"]["parent"]["code"] == "G451225-009"


def test_api_graphiql_served_offline(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "http://" not in page.text and "https://" not in page.text
    for src in ("/graphiql/static/graphiql.min.js", "/graphiql/static/react.production.min.js"):
        assert src in page.text
        asset = client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 1000


def test_api_get_queries_refused_and_healthz(client: TestClient) -> None:
    assert client.get("/graphql", params={"query": "{ roles { code } }"}).status_code != 200
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["places"] == 7


def test_api_internal_error_is_masked(gql: Gql, store: GraphStore, monkeypatch: object) -> None:
    import pytest

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("secret 13807781234")

    mp.setattr(type(store), "scan", boom)
    body = gql("{ roles { code } }")
    assert body["errors"][0] == {
        "message": "internal error",
        "path": ["roles"],
        "extensions": {"code": "INTERNAL"},
    }
    assert "13807781234" not in str(body)
