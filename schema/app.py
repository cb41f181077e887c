"""The FastAPI application: ``/graphql`` (POST queries; GraphiQL in a browser), ``/healthz``
and the offline explorer's files under ``/graphiql/static/``.

On a remote store (Neo4j) each GraphQL operation runs in a worker thread with its own event
loop, so a request waiting on the database never blocks the service's event loop and concurrent
requests are served concurrently (up to ``workers`` at once). In-process stores answer inline.

Every request is authenticated (``registry.auth.Authenticator``, see docs/security.md) from its
``Authorization: Bearer <token>`` header: an API token or, when configured, a JWT. A missing
credential (where anonymous access is off) or an invalid, revoked or expired one is answered
with HTTP 401 and the code UNAUTHENTICATED, before any operation runs; the exports and the
dashboard need a credential too when anonymous access is off.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import anyio
import orjson
from cross_web import HTTPException
from fastapi import BackgroundTasks, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from registry.auth import ANONYMOUS, Authenticator, Principal
from registry.errors import BackendUnavailable, Unauthenticated
from registry.model import Place
from registry.store.base import GraphStore
from schema.api import build_schema
from schema.api import schema as default_schema
from schema.context import Context
from schema.dashboard import dashboard_router
from schema.errors import format_error
from schema.explorer import STATIC_DIR, graphiql_html
from schema.exports import exports_router
from schema.guards import Budget, Limits
from schema.prepared import PREPARED, execute_prepared, request_fields

__all__ = ["create_app"]

T = TypeVar("T")


class GridregRouter(GraphQLRouter[Context, None]):
    """GraphQL over HTTP with orjson, coded errors and the vendored GraphiQL page.

    With ``limiter`` set, operations run in worker threads (see the module docstring).
    """

    limiter: anyio.CapacityLimiter | None = None
    _loops = threading.local()

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        return await self.run_operation(super().execute_single(*args, **kwargs))

    async def run_operation(self, operation: Coroutine[Any, Any, T]) -> T:
        """Await ``operation`` here, or with ``limiter`` set on a worker thread's own loop."""
        if self.limiter is None:
            return await operation
        return await anyio.to_thread.run_sync(_run_in_thread_loop, operation, limiter=self.limiter)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_sub_response(self, request: Request) -> Response:
        # the request's own (``post_graphql``), else the one FastAPI injected (GET)
        sub: Response | None = getattr(request.state, "sub_response", None)
        return sub if sub is not None else await super().get_sub_response(request)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html())

    suggestions: bool = True

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [format_error(e, self.suggestions) for e in result.errors]
        extensions = dict(result.extensions or {})
        budget = getattr(request.state, "budget", None)
        if budget is not None and budget.incomplete:
            extensions["incomplete"] = True
        if extensions:
            response["extensions"] = extensions
        return response


def _run_in_thread_loop(operation: Any) -> Any:
    """Run a coroutine to completion on this worker thread's own event loop."""
    loops = GridregRouter._loops
    loop = getattr(loops, "loop", None)
    if loop is None:
        loop = loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(operation)


def create_app(
    store: GraphStore,
    *,
    max_page_size: int = 100,
    graphiql: bool = True,
    workers: int = 32,
    limits: Limits | None = None,
    auth: Authenticator | None = None,
    prepared: bool = True,
) -> FastAPI:
    """The app serving ``store`` (``workers``: concurrent operations on a remote store;
    ``limits``: the request guards, see ``schema.guards``; ``auth``: who may do what, by
    default anonymous callers are viewers and no JWT is accepted; ``prepared``: queries seen
    before are executed directly, see ``schema.prepared``)."""
    limits = limits or Limits()
    the_schema = default_schema if limits == Limits() else build_schema(limits)
    authenticator = auth or Authenticator()

    async def principal_of(request: Request) -> Principal:
        header = request.headers.get("authorization")
        if store.remote and authenticator.needs_store(header):
            return await anyio.to_thread.run_sync(authenticator.authenticate, store, header)
        return authenticator.authenticate(store, header)

    async def get_context(request: Request) -> Context:
        if request.method == "GET" and not request.headers.get("authorization"):
            # GET serves only the GraphiQL page (queries over GET are refused): no data.
            principal = authenticator.anonymous or ANONYMOUS
        else:
            principal = await principal_of(request)
        budget = Budget(limits.budget_ms)
        request.state.budget = budget
        return Context(store=store, max_page_size=max_page_size, budget=budget, principal=principal)

    async def require_credential(request: Request) -> None:
        # the same principal as GraphQL's: the dashboard masks phone numbers by it
        request.state.principal = await principal_of(request)

    app = FastAPI(
        title="gridreg",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    router = GridregRouter(
        the_schema,
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        allow_queries_via_get=False,
    )
    router.suggestions = limits.suggestions
    if store.remote:
        router.limiter = anyio.CapacityLimiter(workers)

    async def post_graphql(request: Request) -> Response:
        """POST /graphql: the router's own view, context and errors, without FastAPI's
        dependency resolution per request (the router still serves GET: GraphiQL)."""
        context = await get_context(request)
        sub = Response()
        del sub.headers["content-length"]
        sub.status_code = None  # type: ignore[assignment]  # as FastAPI's injected response
        tasks = BackgroundTasks()
        context.request, context.response, context.background_tasks = request, sub, tasks
        request.state.sub_response = sub
        response = await prepared_response(request, context, sub) if prepared else None
        if response is None:
            try:
                response = await router.run(request=request, context=context, root_value=None)
            except HTTPException as exc:
                return PlainTextResponse(exc.reason, status_code=exc.status_code)
        if tasks.tasks:
            response.background = tasks
        return response

    async def prepared_response(
        request: Request, context: Context, sub: Response
    ) -> Response | None:
        """The answer to a query prepared earlier (``schema.prepared``), or None when the
        request must go strawberry's way."""
        headers = request.headers
        if headers.get("content-type", "").partition(";")[0].strip().lower() != _JSON:
            return None
        accept = headers.get("accept")
        if accept is not None and any(s in accept for s in _STREAMING):
            return None
        try:
            fields = request_fields(orjson.loads(await request.body()))
        except orjson.JSONDecodeError:
            return None
        if fields is None:
            return None
        query, variables, name = fields
        ready = PREPARED.get(the_schema, query, name)
        if ready is None:
            return None
        operation = execute_prepared(the_schema, ready, context, variables)
        try:
            result = await router.run_operation(operation)
        except Exception:  # a query has no side effects: strawberry runs it again, its way
            return None
        data = await router.process_result(request, result)
        return router.create_response(response_data=data, sub_response=sub)

    app.add_route("/graphql", post_graphql, methods=["POST"], include_in_schema=False)
    app.include_router(router, prefix="/graphql")
    app.mount("/graphiql/static", StaticFiles(directory=STATIC_DIR), name="graphiql-static")
    app.include_router(
        exports_router(), prefix="/exports", dependencies=[Depends(require_credential)]
    )
    app.include_router(
        dashboard_router(), prefix="/dashboard", dependencies=[Depends(require_credential)]
    )
    app.state.store = store
    app.state.auth = authenticator

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        return _refusal(exc, 401, {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(BackendUnavailable)
    async def unavailable(request: Request, exc: BackendUnavailable) -> JSONResponse:
        # only authentication runs outside GraphQL's own error handling (a token lookup)
        return _refusal(exc, 503)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            places = store.count(Place)
        except BackendUnavailable as exc:
            body = {"status": "unavailable", "store": _safe_url(store.url), "error": exc.message}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "store": _safe_url(store.url), "places": places})

    return app


_JSON = "application/json"
#: ``Accept`` values asking for a streamed answer (strawberry's multipart and SSE transports).
_STREAMING = ("multipart/mixed", "text/event-stream")


def _refusal(
    exc: Unauthenticated | BackendUnavailable, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A request refused before any operation ran, in the shape of a GraphQL answer."""
    body = {"data": None, "errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
    return JSONResponse(body, status_code=status, headers=headers)


def _safe_url(url: str) -> str:
    """The store URL without credentials."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url
