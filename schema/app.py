"""The FastAPI application: ``/graphql`` (POST queries; GraphiQL in a browser), ``/healthz``
and the offline explorer's files under ``/graphiql/static/``."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from registry.model import Place
from registry.store.base import GraphStore
from schema.api import schema as default_schema
from schema.context import Context
from schema.errors import format_error
from schema.explorer import STATIC_DIR, graphiql_html

__all__ = ["create_app"]


class GridregRouter(GraphQLRouter[Context, None]):
    """GraphQL over HTTP with orjson, coded errors and the vendored GraphiQL page."""

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html())

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [format_error(e) for e in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response


def create_app(store: GraphStore, *, max_page_size: int = 100, graphiql: bool = True) -> FastAPI:
    """The app serving ``store``."""

    async def get_context() -> Context:
        return Context(store=store, max_page_size=max_page_size)

    app = FastAPI(
        title="gridreg",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    router = GridregRouter(
        default_schema,
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        allow_queries_via_get=False,
    )
    app.include_router(router, prefix="/graphql")
    app.mount("/graphiql/static", StaticFiles(directory=STATIC_DIR), name="graphiql-static")
    app.state.store = store

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "store": _safe_url(store.url), "places": store.count(Place)}

    return app


def _safe_url(url: str) -> str:
    """The store URL without credentials."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url
