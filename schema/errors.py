"""Turning exceptions into GraphQL errors with stable codes and no stack traces.

Personal data never reaches a log: the ``gridreg.api`` logger's records of internal errors keep
the exception's type and stack frames but never its message (which may quote input, such as a
phone number), see ``RedactExceptions``."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from graphql import GraphQLError

from registry.errors import GridregError, InvalidInput
from schema.guards import guard_code, strip_suggestions

__all__ = ["RedactExceptions", "error_code", "format_error"]


class RedactExceptions(logging.Filter):
    """Replaces a record's exception by its type and frames (file, line, function): the
    message and the arguments of the exception are left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = record.exc_info
        if info and info[1] is not None:
            exc = info[1]
            frames = "".join(traceback.format_tb(exc.__traceback__))
            record.exc_info = None
            record.exc_text = f"Traceback (most recent call last):\n{frames}{type(exc).__name__}"
        return True


log = logging.getLogger("gridreg.api")
if not any(isinstance(f, RedactExceptions) for f in log.filters):
    log.addFilter(RedactExceptions())


def error_code(err: GraphQLError) -> str:
    """The stable code for an error: the registry's own, a guard's (QUERY_TOO_DEEP, ...),
    GRAPHQL_VALIDATION (also for a variable's value its type refuses: graphql-core wraps the
    scalar's own error), or INTERNAL."""
    original = err.original_error
    if isinstance(original, GridregError):
        return original.code
    if isinstance(original, GraphQLError):
        return error_code(original)
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
