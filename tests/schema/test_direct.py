"""Resolvers called directly (``schema.direct``) answer exactly as strawberry's own: the same
data and errors for every kind of argument (scalars, nulls, defaults, enums, input objects)
and caller, on every store."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import schema.direct
from registry.auth import AccessRole, Principal
from registry.store import GraphStore
from schema.api import build_schema
from schema.context import Context
from schema.errors import format_error

QUERIES = [
    "{ categories { code name } roles { code name } alliances { code } }",
    '{ search(text: "大塘") { __typename } few: search(text: "村", first: 1) { __typename } }',
    '{ place(code: "451225100201-001") { name ancestors { code level } } }',
    '{ place(code: "451225000000") { descendants(first: 3) { nodes { code } } '
    "villages: descendants(level: VILLAGE, first: 2) { nodes { code name } } } }",
    '{ grid(code: "G451225-001") { ancestors { code } descendants { nodes { code } } } }',
    '{ responsible(place: "451225100201-001", category: "C3.1", at: "2026-11-01") '
    "{ timeLimitMinutes tiers { rank kind seats { roleCode vacant answering { name } } } "
    "escalation { level } alliancePartners { county { code } } } }",
    '{ responsible(place: "nowhere") { timeLimitMinutes } }',
    '{ responsible(point: {lon: 108.9, lat: 24.8}, category: "C3.1") { location { status } } }',
    '{ responsible(place: "451225100201-001", point: {lon: 108.9, lat: 24.8}) { tiers { rank } } }',
    '{ coverage(scope: "451225000000", at: "2026-11-01") { gaps { nodes { roleCode } } '
    "structure { placesPerLevel { level count } } } }",
    '{ coverage(scope: "nowhere") { scope { code } } }',
    '{ person(id: "P000001") { name phone } }',
    "{ auditLog(first: 2) { nodes { operation actor } } }",
]


def _run(built: Any, store: GraphStore, query: str, principal: Principal) -> dict[str, Any]:
    context = Context(store, principal=principal)
    result = asyncio.run(built.execute(query, context_value=context))
    return {
        "data": result.data,
        "errors": [format_error(e) for e in result.errors or []],
    }


@pytest.fixture(scope="module")
def schemas() -> tuple[Any, Any]:
    """(a schema with direct resolvers, one with strawberry's only)."""
    direct = build_schema()
    real = schema.direct.install
    schema.direct.install = lambda _schema: 0
    try:
        plain = build_schema()
    finally:
        schema.direct.install = real
    return direct, plain


def test_direct_resolvers_are_installed_where_they_change_nothing(
    schemas: tuple[Any, Any],
) -> None:
    direct, plain = schemas
    query = direct._schema.query_type.fields
    assert query["responsible"].resolve.__name__ == "_direct_resolver"
    assert query["search"].resolve.__name__ == "_direct_resolver"
    assert plain._schema.query_type.fields["responsible"].resolve.__name__ == "_resolver"
    # async resolvers (DataLoaders) keep strawberry's
    assert query["place"].resolve.__name__ != "_direct_resolver"


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("role", [AccessRole.ADMIN, AccessRole.VIEWER])
def test_direct_answers_are_strawberrys(
    schemas: tuple[Any, Any], store: GraphStore, query: str, role: AccessRole
) -> None:
    direct, plain = schemas
    caller = Principal("tester", role)
    got = _run(direct, store, query, caller)
    assert got == _run(plain, store, query, caller)
    assert got["data"] is not None or got["errors"]
