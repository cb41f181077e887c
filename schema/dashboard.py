"""The planners' dashboard at ``/dashboard``."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["dashboard_router"]


def dashboard_router() -> APIRouter:
    """Routes under ``/dashboard`` (filled in with the dashboard pages)."""
    return APIRouter()
