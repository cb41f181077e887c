"""Validation verdicts are cached per document, schema and rules: a repeated document is
held to the guards of the schema that runs it, every time, before any resolver runs."""

from __future__ import annotations

import asyncio

from registry.testing import sample_store
from schema.api import build_schema
from schema.api import schema as default_schema
from schema.context import Context
from schema.guards import Limits

DEEP = '{ place(code: "451225100201-001") { parent { parent { parent { code } } } } }'


def _codes(schema: object, query: str) -> list[str | None]:
    result = asyncio.run(schema.execute(query, context_value=Context(sample_store())))  # type: ignore[attr-defined]
    return [(e.extensions or {}).get("code") or e.message for e in result.errors or []]


def test_each_schema_replays_its_own_verdict_on_a_repeated_document() -> None:
    strict = build_schema(Limits(max_depth=3))
    for _ in range(3):
        assert _codes(default_schema, DEEP) == []
        refused = _codes(strict, DEEP)
        assert len(refused) == 1 and "exceeds maximum operation depth of 3" in str(refused[0])


def test_an_invalid_document_is_refused_every_time() -> None:
    for _ in range(2):
        errors = _codes(default_schema, '{ place(code: "x") { nope } }')
        assert len(errors) == 1 and "nope" in str(errors[0])
