"""The schema: domain query and mutation types merged in one place, with caches on."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema import direct
from schema.audit import AuditQuery
from schema.coverage import CoverageQuery
from schema.errors import error_code
from schema.execution import FastExecutionContext
from schema.geo import GeoQuery
from schema.guards import Guard, Limits
from schema.lookups import LookupQuery
from schema.mutations import Mutation
from schema.prepared import Preparer
from schema.routing import RoutingQuery
from schema.validation_cache import DocumentValidationCache

__all__ = ["SDL_PATH", "Query", "build_schema", "schema"]

log = logging.getLogger("gridreg.api")
SDL_PATH = Path(__file__).with_name("schema.graphql")

Query = merge_types("Query", (LookupQuery, RoutingQuery, CoverageQuery, GeoQuery, AuditQuery))


class GridregSchema(strawberry.Schema):
    """Logs errors by code only: no stack traces, no personal data in logs."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for err in errors:
            code = error_code(err)
            if code == "INTERNAL":
                log.error("internal error at %s", err.path, exc_info=err.original_error)
            else:
                log.info("request error %s at %s", code, err.path)


def build_schema(limits: Limits | None = None, **options: Any) -> strawberry.Schema:
    """A new schema with the request guards (``schema.guards``, rules built once, here),
    parser and validation caches (module-level LRU caches shared by every request, validation
    keyed by the parsed document's identity; the factories only build the per-request
    extension objects), the fast execution of plain fields (``schema.execution``), resolvers
    called without strawberry's per-call argument conversion where it changes nothing
    (``schema.direct``) and the preparation of queries for direct execution over HTTP
    (``schema.prepared``)."""
    options.setdefault("execution_context_class", FastExecutionContext)
    built = GridregSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            Guard.factory(limits or Limits()),
            lambda: ParserCache(maxsize=1024),
            lambda: DocumentValidationCache(maxsize=1024),
            Preparer,
        ],
        **options,
    )
    direct.install(built)
    return built


schema = build_schema()
