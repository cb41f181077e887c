"""Queries prepared once, executed straight on graphql-core on every later request.

Strawberry takes every request through its HTTP view (content negotiation, body parsing,
request data objects) and ``Schema.execute`` (an execution context, the schema extensions'
hooks around parsing, validation and execution) before graphql-core executes anything. For a
query it has already parsed and validated under the same schema (so the same guards), every
one of those steps gives the same outcome on every request: the parser cache returns the same
document and the validation cache the same empty list of errors. Routing systems send the same
few query texts all day, and those steps cost about a quarter of the service's CPU per request.

``Preparer`` (a schema extension) remembers a query text and operation name with their parsed
document when strawberry starts executing them as a query, which it only does once parsing,
validation and every guard have passed. ``execute_prepared`` then runs later requests for the
same text and operation name directly: the same schema, execution context class, context,
variables and operation name as strawberry would pass, and the same error processing
(``Schema.process_errors``), so the answer is byte for byte the one strawberry gives (tests
compare both ways on queries with and without errors, variables and masked fields). A request
with anything else (another content type, a streaming ``Accept``, a batch, ``extensions``,
variables that are not an object) goes strawberry's way, and so does a prepared query whose
execution raises instead of reporting errors (a query has no side effects, so running it again
the generic way is safe).

>>> from graphql import parse
>>> prepared = PreparedQueries(maxsize=2)
>>> doc = parse("{ a }")
>>> prepared.remember(object, "{ a }", None, Prepared(doc, None))
>>> prepared.get(object, "{ a }", None).document is doc, prepared.get(object, "{ a }", "A")
(True, None)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Iterator
from typing import Any, NamedTuple, cast

from graphql import DocumentNode, execute
from graphql import ExecutionResult as CoreResult
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

__all__ = [
    "PREPARED",
    "Prepared",
    "PreparedQueries",
    "Preparer",
    "execute_prepared",
    "request_fields",
]

_Key = tuple[int, str, str | None]


class Prepared(NamedTuple):
    """A query ready to execute: its document and the operation name strawberry executes
    it with (the request's, else the document's first operation's)."""

    document: DocumentNode
    operation_name: str | None


class PreparedQueries:
    """Documents of queries that passed parsing, validation and the guards; the oldest is
    dropped beyond ``maxsize`` (a dropped query is prepared again by its next request)."""

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[_Key, tuple[Any, Prepared]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(
        self, schema: Any, query: str, operation_name: str | None, prepared: Prepared
    ) -> None:
        """Keep ``prepared`` for ``query`` and ``operation_name`` under ``schema``."""
        with self._lock:
            self._entries[(id(schema), query, operation_name)] = (schema, prepared)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def get(self, schema: Any, query: str, operation_name: str | None) -> Prepared | None:
        """What was prepared for ``query`` and ``operation_name`` under ``schema``."""
        hit = self._entries.get((id(schema), query, operation_name))
        if hit is None or hit[0] is not schema:  # the key holds the schema: ids are not reused
            return None
        return hit[1]


#: Shared by every schema of the process (keys hold the schema).
PREPARED = PreparedQueries()


class Preparer(SchemaExtension):
    """Remembers a query once strawberry is about to execute it (so it passed every check)."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document, query = ctx.graphql_document, ctx.query
        if (
            document is not None
            and isinstance(query, str)
            and ctx.operation_type is OperationType.QUERY
            and not ctx.pre_execution_errors
        ):
            # keyed by the name the request gave; executed with the one strawberry uses
            prepared = Prepared(document, ctx.operation_name)
            PREPARED.remember(ctx.schema, query, ctx._provided_operation_name, prepared)
        yield


def request_fields(data: object) -> tuple[str, dict[str, Any] | None, str | None] | None:
    """``(query, variables, operationName)`` of a plain single request's JSON body, or None
    for anything strawberry must see (a batch, ``extensions``, unexpected types or keys).

    >>> request_fields({"query": "{ a }", "variables": None})
    ('{ a }', None, None)
    >>> request_fields([{"query": "{ a }"}]) is None, request_fields({"query": 1}) is None
    (True, True)
    """
    if type(data) is not dict:
        return None
    query = data.get("query")
    variables = data.get("variables")
    name = data.get("operationName")
    if (
        type(query) is not str
        or (variables is not None and type(variables) is not dict)
        or (name is not None and type(name) is not str)
        or not data.keys() <= _PLAIN_KEYS
    ):
        return None
    return query, variables, name


_PLAIN_KEYS = frozenset({"query", "variables", "operationName"})


async def execute_prepared(
    schema: Any, prepared: Prepared, context: Any, variables: dict[str, Any] | None
) -> ExecutionResult:
    """What ``schema.execute`` returns for a prepared query (``schema``: the strawberry
    schema). Raises what the execution raises (the caller then goes strawberry's way)."""
    result = execute(
        schema._schema,
        prepared.document,
        root_value=None,
        context_value=context,
        variable_values=variables,
        operation_name=prepared.operation_name,
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]  # as strawberry's
        executor_class=schema.execution_context_class,
        operation_extensions=None,
    )
    if optimized_is_awaitable(result):
        result = await cast(Awaitable[CoreResult], result)
    assert isinstance(result, CoreResult)
    if result.errors:
        schema.process_errors(result.errors)
    return ExecutionResult(data=result.data, errors=result.errors, extensions={})
