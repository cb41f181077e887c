"""Downloads of the planners' coverage gaps (CSV and XLSX with Chinese headers, and JSON).

``GET /exports/coverage.{csv|xlsx|json}`` with the query parameters

* ``scope`` (required): a place code;
* ``template``: one role template (default: every template applying to the scope);
* ``at``: the day, ``YYYY-MM-DD`` (default today);
* ``expiring_days``: a term ending within this many days is ``expiring`` (default 90);
* ``territory``: ``1``/``true`` adds the territory report (the sheet 网格问题, the JSON's
  ``territory``);

answers the file of ``schema.coverage_export`` as an attachment named
``coverage-<scope>-<at>.<format>`` (``Content-Disposition`` with an ASCII ``filename`` and the
RFC 5987 ``filename*=UTF-8''...``, safe for Chinese names). Errors are JSON
``{"error": {"code": ..., "message": ...}}``: 404 ``NOT_FOUND`` for an unknown scope or
template, 400 ``INVALID_INPUT`` for a bad format, day or number, 503 ``BACKEND_UNAVAILABLE``.

On a remote store the report is computed in a worker thread, so the event loop keeps serving;
in-process stores answer inline (as ``/graphql`` does).

The GraphQL ``CoverageReport.exportUrl`` gives the URL of the same report (``report_export_url``).
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import strawberry
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from registry.errors import BackendUnavailable, GridregError, InvalidInput, NotFound
from registry.queries.coverage import EXPIRING_DAYS, CoverageReport, coverage_report
from registry.queries.territory import territory_report
from registry.store.base import GraphStore
from schema import coverage_export as ce

__all__ = [
    "EXPORTS_PREFIX",
    "ExportFormat",
    "content_disposition",
    "coverage_export_url",
    "exports_router",
    "report_export_url",
]

#: Where ``create_app`` mounts the router.
EXPORTS_PREFIX = "/exports"


@strawberry.enum(description="File format of a download.")
class ExportFormat(Enum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"


def coverage_export_url(
    scope: str,
    at: date,
    fmt: str = "xlsx",
    template: str | None = None,
    expiring_days: int = EXPIRING_DAYS,
) -> str:
    """The relative URL of a coverage export (parameters percent-encoded).

    >>> coverage_export_url("451225000000", date(2026, 11, 1), "csv", template="村 标准/7")
    '/exports/coverage.csv?scope=451225000000&template=%E6%9D%91%20%E6%A0%87%E5%87%86%2F7&at=2026-11-01'
    """
    params: dict[str, str] = {"scope": scope}
    if template is not None:
        params["template"] = template
    params["at"] = at.isoformat()
    if expiring_days != EXPIRING_DAYS:
        params["expiring_days"] = str(expiring_days)
    query = urlencode(params, quote_via=quote, safe="")
    return f"{EXPORTS_PREFIX}/coverage.{ce.parse_format(fmt)}?{query}"


def report_export_url(report: CoverageReport, fmt: str = "xlsx") -> str:
    """The URL that exports exactly ``report``: its scope, day and expiring days, and its
    template when it has exactly one (a report for a chosen template has that one; a report of
    every applicable template with just one is the same report as for that template)."""
    template = report.templates[0].code if len(report.templates) == 1 else None
    return coverage_export_url(report.scope.code, report.at, fmt, template, report.expiring_days)


def content_disposition(filename: str) -> str:
    """An attachment header value: an ASCII ``filename`` fallback and the exact UTF-8 name.

    >>> content_disposition("覆盖 缺口.csv")
    'attachment; filename="__ __.csv"; filename*=UTF-8\\'\\'%E8%A6%86%E7%9B%96%20%E7%BC%BA%E5%8F%A3.csv'
    """
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\;' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _error(exc: GridregError) -> JSONResponse:
    status = 400
    if isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, BackendUnavailable):
        status = 503
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.ids:
        body["ids"] = list(exc.ids)
    if isinstance(exc, InvalidInput) and exc.field:
        body["field"] = exc.field
    return JSONResponse({"error": body}, status_code=status)


def _day(value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"at: {value!r} is not a day (YYYY-MM-DD)", field="at") from None


def _days(value: str | None) -> int:
    if value is None or value == "":
        return EXPIRING_DAYS
    try:
        days = int(value)
    except ValueError:
        days = -1
    if days < 0:
        raise InvalidInput(
            f"expiring_days: {value!r} is not a whole number of days", field="expiring_days"
        )
    return days


def _flag(value: str | None) -> bool:
    if value is None or value.lower() in ("", "0", "false", "no"):
        return False
    if value.lower() in ("1", "true", "yes"):
        return True
    raise InvalidInput(f"territory: {value!r} is not true or false", field="territory")


def _export(
    store: GraphStore,
    fmt: ce.ExportFormat,
    scope: str,
    template: str | None,
    at: date | None,
    expiring_days: int,
    territory: bool,
) -> tuple[bytes, str]:
    report = coverage_report(store, scope, template, at, expiring_days)
    found = territory_report(store, report.scope.code, report.at) if territory else None
    return ce.export_coverage(report, store, fmt, found), ce.export_filename(report, fmt)


def exports_router() -> APIRouter:
    """Routes under ``/exports``: ``/coverage.{csv,xlsx,json}``."""
    router = APIRouter()

    @router.get("/coverage.{fmt}")
    async def coverage(
        request: Request,
        fmt: str,
        scope: str | None = None,
        template: str | None = None,
        at: str | None = None,
        expiring_days: str | None = None,
        territory: str | None = None,
    ) -> Response:
        store: GraphStore = request.app.state.store
        try:
            kind = ce.parse_format(fmt)
            if not scope:
                raise InvalidInput("scope: a place code is required", field="scope")
            args = (store, kind, scope, template or None, _day(at), _days(expiring_days))
            with_territory = _flag(territory)
            if store.remote:
                data, filename = await anyio.to_thread.run_sync(_export, *args, with_territory)
            else:
                data, filename = _export(*args, with_territory)
        except GridregError as exc:
            return _error(exc)
        return Response(
            content=data,
            media_type=ce.CONTENT_TYPES[kind],
            headers={"Content-Disposition": content_disposition(filename)},
        )

    return router
