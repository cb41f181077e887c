"""Turning exceptions into GraphQL errors with stable codes and no stack traces."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from registry.errors import GridregError, InvalidInput
from schema.guards import guard_code, strip_suggestions

__all__ = ["error_code", "format_error"]

log = logging.getLogger("gridreg.api")


def error_code(err: GraphQLError) -> str:
    """The stable code for an error: the registry's own, a guard's (QUERY_TOO_DEEP, ...),
    GRAPHQL_VALIDATION, or INTERNAL."""
    original = err.original_error
    if isinstance(original, GridregError):
        return original.code
    if original is None:
        return guard_code(err.message) or "GRAPHQL_VALIDATION"
    return "INTERNAL"


def format_error(err: GraphQLError, suggestions: bool = True) -> dict[str, Any]:
    """A client-safe error: message, code, ids/field where known; internal errors are masked;
    without ``suggestions``, "Did you mean ...?" is left out of messages."""
    code = error_code(err)
    original = err.original_error
    out: dict[str, Any] = {
        "message": err.message if suggestions else strip_suggestions(err.message)
    }
    extensions: dict[str, Any] = {"code": code}
    if isinstance(original, GridregError):
        out["message"] = original.message
        if original.ids:
            extensions["ids"] = list(original.ids)
        if isinstance(original, InvalidInput) and original.field:
            extensions["field"] = original.field
    elif code == "INTERNAL":
        log.error("internal error in %s: %s", err.path, type(original).__name__)
        out["message"] = "internal error"
    if err.path is not None:
        out["path"] = err.path
    out["extensions"] = extensions
    return out
