"""Downloads of the planners' coverage gaps (CSV and XLSX with Chinese headers)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["exports_router"]


def exports_router() -> APIRouter:
    """Routes under ``/exports`` (filled in with the coverage exports)."""
    return APIRouter()
