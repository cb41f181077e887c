"""The fast execution of plain fields (``schema.execution``) answers exactly what graphql-core's
generic execution answers: the same data in the same order, the same errors with the same
messages and paths; fields with resolvers (a masked phone number) still run them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from graphql import FieldNode, OperationDefinitionNode, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from registry.auth import AccessRole, Principal
from registry.store import GraphStore
from registry.testing import SAMPLE_TODAY
from schema.api import build_schema
from schema.api import schema as fast_schema
from schema.context import Context
from schema.execution import FastExecutionContext, compile_field

AT = SAMPLE_TODAY.isoformat()
SEATS = "seats { roleCode status vacant found holders { id name phone } answering { name } }"
QUERIES = [
    # the benchmark's query
    f'{{ responsible(place: "451225100201-001", category: "C3.1", at: "{AT}") {{ '
    "timeLimitMinutes tiers { rank kind found grid { code name } place { code name } "
    "organization { code name } seats { roleCode status holders { name } } } } }",
    # everything, with resolvers (vacant, answering, phone, parent) inside plain fields
    f'{{ responsible(place: "451225100201-001", category: "C3.1", at: "{AT}") {{ __typename '
    "at emergency place { code name level parent { code } } category { code name } tiers { "
    "__typename rank kind found lead timeLimitMinutes grid { code name tier } organization { "
    f"code name kind }} {SEATS} }} escalation {{ rank kind level timeLimitMinutes "
    f"cumulativeMinutes organization {{ code }} {SEATS} }} alliancePartners {{ scope bordering "
    "functions } } }",
    # aliases, merged fields, fragments and directives
    f'query Q($skip: Boolean = true) {{ r: responsible(grid: "G451225-001-01-01", at: "{AT}") '
    "{ t: tiers { n: rank rank kind @skip(if: $skip) ...T seats { roleCode } seats { status } } "
    "tiers { rank } } } fragment T on ResponsibleTier { found grid { code } }",
    # errors
    f'{{ responsible(place: "nowhere", at: "{AT}") {{ tiers {{ rank }} }} }}',
    f'{{ responsible(place: "451225100201-001", category: "C0.404", at: "{AT}") {{ at }} }}',
]


def _generic_schema() -> strawberry.Schema:
    return build_schema(execution_context_class=StrawberryGraphQLCoreExecutionContext)


def _run(schema: strawberry.Schema, query: str, context: Any = None) -> tuple[Any, list[Any]]:
    result = asyncio.run(schema.execute(query, context_value=context))
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
def test_answers_and_errors_are_graphql_cores(store: GraphStore, query: str) -> None:
    viewer = Principal("viewer", AccessRole.VIEWER)  # phone numbers are masked for viewers
    generic = _generic_schema()
    for principal in (viewer, None):
        fast = _run(fast_schema, query, Context(store, principal=principal))
        slow = _run(generic, query, Context(store, principal=principal))
        assert fast == slow
        assert list(_keys(fast[0])) == list(_keys(slow[0]))  # the same order, too
    data, errors = _run(fast_schema, QUERIES[0], Context(store))
    assert not errors and len(data["responsible"]["tiers"]) == 7


def _keys(value: Any) -> Any:
    """Every key of a nested answer, in order."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v)


@strawberry.type
class Leaf:
    name: str
    size: int | None


@strawberry.type
class Root:
    @strawberry.field
    def leaves(self) -> list[Leaf]:
        return [Leaf(name="a", size=1), Leaf(name=None, size=2), Leaf(name="c", size="x")]  # type: ignore[arg-type]

    @strawberry.field
    def maybe(self) -> Leaf | None:
        return Leaf(name="m", size=None)


@pytest.mark.parametrize(
    ("query", "paths"),
    [
        ("{ leaves { name size } }", [["leaves", 1, "name"]]),
        ("{ leaves { size } maybe { name size } }", [["leaves", 2, "size"]]),
        ("{ maybe { name size __typename } }", []),
    ],
)
def test_a_value_the_plan_cannot_complete_gets_graphql_cores_error(
    query: str, paths: list[list[Any]]
) -> None:
    """A null for a non-null field and an Int refusing "x" abandon the plan."""
    fast = strawberry.Schema(query=Root, execution_context_class=FastExecutionContext)
    slow = strawberry.Schema(query=Root)
    got, want = _run(fast, query), _run(slow, query)
    assert got == want
    assert [path for _, path in got[1]] == paths


def test_fields_with_resolvers_are_not_compiled() -> None:
    types = fast_schema._schema.type_map
    doc = parse("{ a { name phone holdings { id } } }")
    operation = doc.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    outer = operation.selection_set.selections[0]
    assert isinstance(outer, FieldNode) and outer.selection_set is not None
    name, phone, holdings = outer.selection_set.selections
    person = types["Person"]
    assert compile_field(person, name) is not None  # type: ignore[arg-type]
    assert compile_field(person, phone) is None  # type: ignore[arg-type]  # masking resolver
    assert compile_field(person, holdings) is None  # type: ignore[arg-type]  # a resolver
