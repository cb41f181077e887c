"""Staffing standards over GraphQL: apply a preset, create, edit and end role templates, on every
backend (the sample registry: county 451225000000, one village 451225100201 with two hamlets,
one grid per tier, the template ``sample-village``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.model import Requirement, Role, RoleTemplate
from registry.store import GraphStore
from registry.testing import COUNTY
from tests.schema.conftest import Gql

COVERAGE = """query($at: Date) { coverage(scope: "451225000000", at: $at) {
    templates { code name placeLevel gridTier requirements(at: $at) { roleCode min max } }
    totals { filled vacant missing total } } }"""

TEMPLATES = """query($at: Date) { roleTemplates { code requirements(at: $at) {
    roleCode min max } } }"""

APPLY = """mutation($name: String!, $region: String!, $tier: Int! = 3, $from: Date) {
    applyPreset(name: $name, region: $region, gridTier: $tier, validFrom: $from, reason: "test") {
    code name regionCode placeLevel placeKind gridTier requirements { roleCode min max } } }"""

UPSERT = """mutation($input: RoleTemplateInput!, $from: Date) {
    upsertRoleTemplate(input: $input, effectiveFrom: $from, reason: "test") {
    code name regionCode placeLevel placeKind gridTier } }"""

END = """mutation($code: String!, $to: Date!) {
    endRoleTemplate(code: $code, validTo: $to, reason: "test") { code } }"""


def state(store: GraphStore) -> tuple[Any, ...]:
    """Everything a template mutation may write, and the audit log's length."""
    return (
        list(store.scan(RoleTemplate)),
        list(store.scan(Requirement)),
        list(store.scan(Role)),
        len(store.audit_log(limit=10_000)),
    )


def templates_at(gql: Gql, at: str) -> dict[str, list[tuple[str, int, int | None]]]:
    body = gql(TEMPLATES, at=at)
    assert "errors" not in body, body
    return {
        t["code"]: [(r["roleCode"], r["min"], r["max"]) for r in t["requirements"]]
        for t in body["data"]["roleTemplates"]
    }


def hamlet_template(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": "t-hamlet",
        "name": "每屯一网格员一法律明白人",
        "region": COUNTY,
        "placeLevel": "HAMLET",
        "validFrom": "2026-01-01",
        "requirements": [
            {"role": "grid_worker", "min": 1},
            {"role": "law_literate", "min": 1, "max": 2},
        ],
    }
    values.update(changes)
    return values


# --- applyPreset -----------------------------------------------------------------------------


def test_apply_preset_then_coverage_shows_it(gql: Gql, store: GraphStore) -> None:
    body = gql(APPLY, name="luocheng-seven-roles", region=COUNTY)
    assert "errors" not in body, body
    (t,) = body["data"]["applyPreset"]
    assert t["code"] == f"luocheng-seven-roles@{COUNTY}"
    assert t["name"].startswith("罗城一村七岗（一村一警务助理一法官助理")
    assert (t["regionCode"], t["placeLevel"], t["gridTier"]) == (COUNTY, "VILLAGE", None)
    reqs = {(r["roleCode"], r["min"], r["max"]) for r in t["requirements"]}  # in key order
    assert len(reqs) == 7 and ("police_assistant", 1, 1) in reqs
    cov = gql(COVERAGE, at="2026-11-01")["data"]["coverage"]
    codes = [x["code"] for x in cov["templates"]]
    assert set(codes) == {"sample-village", t["code"]}
    # sample-village: 3 entries (1 filled, 1 vacant, 1 missing); the preset adds 7 at the one
    # village: police assistant filled, law-literate vacant, the 5 others have no seat.
    assert cov["totals"] == {"filled": 2, "vacant": 2, "missing": 6, "total": 10}
    # Roles the preset needs were added; the sample's own roles are kept as they were.
    assert store.get(Role, "judge_assistant") is not None
    assert store.get(Role, "police_assistant") == Role(code="police_assistant", name="警务助理")


def test_apply_preset_twice_writes_nothing_more(gql: Gql, store: GraphStore) -> None:
    first = gql(APPLY, name="baise-five-ones", region=COUNTY, **{"from": "2026-01-01"})
    assert [t["code"] for t in first["data"]["applyPreset"]] == [
        f"baise-five-ones@{COUNTY}/village",
        f"baise-five-ones@{COUNTY}/hamlet",
    ]
    once = state(store)
    again = gql(APPLY, name="baise-five-ones", region=COUNTY, **{"from": "2026-01-01"})
    assert again["data"] == first["data"]
    assert state(store) == once


def test_apply_preset_grid_tier(gql: Gql) -> None:
    body = gql(APPLY, name="grid-worker-per-micro-grid", region=COUNTY, tier=2)
    (t,) = body["data"]["applyPreset"]
    assert (t["gridTier"], t["placeLevel"], t["name"]) == (
        2,
        None,
        "一格一员（每个二级网格至少一名网格员）",
    )


def test_apply_preset_audit_entry(gql: Gql, store: GraphStore) -> None:
    gql(APPLY, name="fuxin-village-auxiliary", region=COUNTY)
    entry = store.audit_log(limit=1)[0]
    assert (entry.operation, entry.reason, entry.actor) == ("apply_preset", "test", "api")
    # the auxiliary police role, the template and its requirement
    assert entry.count == 3


# --- upsertRoleTemplate / endRoleTemplate ------------------------------------------------------


def test_upsert_creates_then_edits_ending_removed_requirements(gql: Gql, store: GraphStore) -> None:
    created = gql(UPSERT, input=hamlet_template())
    assert "errors" not in created, created
    assert created["data"]["upsertRoleTemplate"] == {
        "code": "t-hamlet",
        "name": "每屯一网格员一法律明白人",
        "regionCode": COUNTY,
        "placeLevel": "HAMLET",
        "placeKind": None,
        "gridTier": None,
    }
    # New template without effectiveFrom: its requirements start with it.
    req = store.get(Requirement, "t-hamlet|law_literate")
    assert req is not None and (req.valid_from, req.valid_to, req.max) == (
        date(2026, 1, 1),
        None,
        2,
    )
    one = gql(
        'query { coverage(scope: "451225000000", template: "t-hamlet", at: "2026-11-01") '
        "{ totals { missing total } } }"
    )
    assert one["data"]["coverage"]["totals"] == {"missing": 4, "total": 4}  # 2 hamlets x 2 roles

    edited = gql(
        UPSERT,
        input=hamlet_template(
            name="每屯两名网格员", requirements=[{"role": "grid_worker", "min": 2}]
        ),
        **{"from": "2026-12-01"},
    )
    assert "errors" not in edited, edited
    ended = store.get(Requirement, "t-hamlet|law_literate")
    assert ended is not None and ended.valid_to == date(2026, 11, 30)  # ended, not deleted
    # Before the change both roles are required; from it only the grid worker (the count of a
    # role still listed is updated in place: one version per requirement).
    assert templates_at(gql, "2026-11-30")["t-hamlet"] == [
        ("grid_worker", 2, None),
        ("law_literate", 1, 2),
    ]
    assert templates_at(gql, "2026-12-01")["t-hamlet"] == [("grid_worker", 2, None)]
    entry = store.audit_log(limit=1)[0]
    assert (entry.operation, entry.count) == ("upsert_role_template", 3)


def test_upsert_without_requirements_keeps_them(gql: Gql, store: GraphStore) -> None:
    gql(UPSERT, input=hamlet_template())
    reqs = list(store.referrers(Requirement, "template", "t-hamlet"))
    body = gql(UPSERT, input=hamlet_template(name="改名", requirements=None))
    assert body["data"]["upsertRoleTemplate"]["name"] == "改名"
    assert list(store.referrers(Requirement, "template", "t-hamlet")) == reqs


def test_upsert_readds_an_ended_requirement(gql: Gql, store: GraphStore) -> None:
    gql(UPSERT, input=hamlet_template())
    only_worker = [{"role": "grid_worker", "min": 1}]
    gql(UPSERT, input=hamlet_template(requirements=only_worker), **{"from": "2026-06-01"})
    gql(UPSERT, input=hamlet_template(), **{"from": "2026-09-01"})
    req = store.get(Requirement, "t-hamlet|law_literate")
    assert req is not None and (req.valid_from, req.valid_to) == (date(2026, 9, 1), None)
    assert [r[0] for r in templates_at(gql, "2026-07-01")["t-hamlet"]] == ["grid_worker"]


def test_upsert_grid_tier_template(gql: Gql) -> None:
    body = gql(
        UPSERT,
        input={
            "code": "t-grid",
            "name": "每个三级网格两名网格员",
            "region": COUNTY,
            "gridTier": 3,
            "requirements": [{"role": "grid_worker", "min": 2}],
        },
    )
    assert body["data"]["upsertRoleTemplate"]["gridTier"] == 3
    cov = gql(
        'query { coverage(scope: "451225000000", template: "t-grid", at: "2026-11-01") '
        "{ totals { vacant total } } }"
    )
    assert cov["data"]["coverage"]["totals"] == {"vacant": 1, "total": 1}  # 1 holder of 2


def test_end_role_template(gql: Gql, store: GraphStore) -> None:
    body = gql(END, code="sample-village", to="2026-10-31")
    assert body["data"]["endRoleTemplate"] == {"code": "sample-village"}
    t = store.get(RoleTemplate, "sample-village")
    assert t is not None and t.valid_to == date(2026, 10, 31)
    reqs = store.referrers(Requirement, "template", "sample-village")
    assert len(reqs) == 3 and all(r.valid_to == date(2026, 10, 31) for r in reqs)
    after = gql(COVERAGE, at="2026-11-01")["data"]["coverage"]
    assert after["templates"] == [] and after["totals"]["total"] == 0
    before = gql(COVERAGE, at="2026-10-31")["data"]["coverage"]
    assert [t["code"] for t in before["templates"]] == ["sample-village"]
    assert len(before["templates"][0]["requirements"]) == 3
    assert store.audit_log(limit=1)[0].operation == "end_role_template"


# --- errors: the right code, nothing written --------------------------------------------------

UNKNOWN_REGION = "451225999000"


def _sample_village(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": "sample-village",
        "name": "示例村级岗位",
        "region": COUNTY,
        "placeLevel": "VILLAGE",
        "requirements": [{"role": "police_assistant"}],
    }
    values.update(changes)
    return values


ERRORS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "unknown preset",
        APPLY,
        {"name": "fuxin", "region": COUNTY},
        {"code": "INVALID_INPUT", "field": "name", "ids": ["fuxin"]},
    ),
    (
        "preset: unknown region",
        APPLY,
        {"name": "baise-five-ones", "region": UNKNOWN_REGION},
        {"code": "NOT_FOUND", "ids": [UNKNOWN_REGION]},
    ),
    (
        "preset: bad grid tier",
        APPLY,
        {"name": "grid-worker-per-micro-grid", "region": COUNTY, "tier": 7},
        {"code": "INVALID_INPUT", "field": "gridTier"},
    ),
    (
        "unknown region",
        UPSERT,
        {"input": hamlet_template(region=UNKNOWN_REGION)},
        {"code": "NOT_FOUND", "ids": [UNKNOWN_REGION]},
    ),
    (
        "both place level and grid tier",
        UPSERT,
        {"input": hamlet_template(gridTier=3)},
        {"code": "INVALID_INPUT", "field": "placeLevel", "ids": ["t-hamlet"]},
    ),
    (
        "neither place level nor grid tier",
        UPSERT,
        {"input": hamlet_template(placeLevel=None)},
        {"code": "INVALID_INPUT", "field": "placeLevel", "ids": ["t-hamlet"]},
    ),
    (
        "place kind on a grid template",
        UPSERT,
        {"input": hamlet_template(placeLevel=None, gridTier=3, placeKind="社区")},
        {"code": "INVALID_INPUT", "field": "placeKind", "ids": ["t-hamlet"]},
    ),
    (
        "bad grid tier",
        UPSERT,
        {"input": hamlet_template(placeLevel=None, gridTier=0)},
        {"code": "INVALID_INPUT", "field": "gridTier"},
    ),
    (
        "negative min",
        UPSERT,
        {"input": hamlet_template(requirements=[{"role": "grid_worker", "min": -1}])},
        {"code": "INVALID_INPUT", "field": "requirements", "ids": ["t-hamlet", "grid_worker"]},
    ),
    (
        "max below min",
        UPSERT,
        {"input": hamlet_template(requirements=[{"role": "grid_worker", "min": 2, "max": 1}])},
        {"code": "INVALID_INPUT", "field": "requirements", "ids": ["t-hamlet", "grid_worker"]},
    ),
    (
        "a role listed twice",
        UPSERT,
        {"input": hamlet_template(requirements=[{"role": "grid_worker"}] * 2)},
        {"code": "INVALID_INPUT", "field": "requirements", "ids": ["t-hamlet", "grid_worker"]},
    ),
    (
        "unknown role (the store refuses; the template is not written either)",
        UPSERT,
        {"input": hamlet_template(requirements=[{"role": "grid_worker"}, {"role": "astronaut"}])},
        {"code": "UNKNOWN_REFERENCE", "ids": ["t-hamlet|astronaut", "astronaut"]},
    ),
    (
        "validTo before validFrom",
        UPSERT,
        {"input": hamlet_template(validTo="2025-12-31")},
        {"code": "INVALID_INPUT", "field": "validTo", "ids": ["t-hamlet"]},
    ),
    (
        "empty name",
        UPSERT,
        {"input": hamlet_template(name=" ")},
        {"code": "INVALID_INPUT", "field": "name", "ids": ["t-hamlet"]},
    ),
    (
        "a requirement starting after the template ends",
        UPSERT,
        {"input": hamlet_template(validTo="2026-06-30"), "from": "2026-07-01"},
        {"code": "INVALID_INPUT", "field": "effectiveFrom", "ids": ["t-hamlet", "grid_worker"]},
    ),
    (
        "an edit with an unknown role: the roles it drops are not ended either",
        UPSERT,
        {"input": _sample_village(requirements=[{"role": "police_assistant"}, {"role": "nope"}])},
        {"code": "UNKNOWN_REFERENCE", "ids": ["sample-village|nope", "nope"]},
    ),
    (
        "end an unknown template",
        END,
        {"code": "no-such-template", "to": "2026-10-31"},
        {"code": "NOT_FOUND", "ids": ["no-such-template"]},
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "extensions"),
    [pytest.param(q, v, e, id=name) for name, q, v, e in ERRORS],
)
def test_errors_leave_the_store_unchanged(
    gql: Gql, store: GraphStore, query: str, variables: dict[str, Any], extensions: dict[str, Any]
) -> None:
    before = state(store)
    body = gql(query, **variables)
    assert body["data"] is None
    (err,) = body["errors"]
    assert err["extensions"] == extensions, err
    assert state(store) == before


def test_removing_a_requirement_that_never_took_effect_is_refused(
    gql: Gql, store: GraphStore
) -> None:
    gql(UPSERT, input=hamlet_template(validFrom="2027-01-01"))
    before = state(store)
    body = gql(
        UPSERT,
        input=hamlet_template(validFrom="2027-01-01", requirements=[{"role": "grid_worker"}]),
        **{"from": "2026-12-01"},
    )
    assert body["errors"][0]["extensions"]["field"] == "effectiveFrom"
    assert state(store) == before


@pytest.mark.parametrize(
    ("to", "message"), [("2023-12-31", "starts on"), ("2026-12-31", "already ended")]
)
def test_end_role_template_bad_day(gql: Gql, store: GraphStore, to: str, message: str) -> None:
    gql(UPSERT, input=hamlet_template(validFrom="2024-01-01"))
    gql(END, code="t-hamlet", to="2026-10-31")
    before: tuple[Any, ...] = state(store)
    body = gql(END, code="t-hamlet", to=to)
    (err,) = body["errors"]
    assert err["extensions"] == {"code": "INVALID_INPUT", "field": "validTo", "ids": ["t-hamlet"]}
    assert message in err["message"]
    assert state(store) == before
