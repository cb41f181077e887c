"""One exception tree for gridreg.

Every error carries a stable ``code`` (used by the API and the command line) and, where it
concerns stored data, the ids it is about.

>>> err = CycleError("grid", ["G1", "G2", "G1"])
>>> err.code, err.ids
('INVARIANT_VIOLATION', ('G1', 'G2', 'G1'))
>>> isinstance(err, InvariantViolation) and isinstance(err, GridregError)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BackendUnavailable",
    "CodeMismatchError",
    "CycleError",
    "Forbidden",
    "GridregError",
    "InvalidInput",
    "InvariantViolation",
    "LevelMismatchError",
    "LoadError",
    "LoadIssue",
    "NotFound",
    "SecondParentError",
    "TimeBudgetExceeded",
    "Unauthenticated",
    "UnknownReferenceError",
]


class GridregError(Exception):
    """Base of all gridreg errors; ``code`` is stable and safe to show to users."""

    code = "INTERNAL"

    def __init__(self, message: str, ids: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.ids: tuple[str, ...] = tuple(ids)


class NotFound(GridregError):
    """A requested record does not exist."""

    code = "NOT_FOUND"


class InvalidInput(GridregError):
    """A value is malformed (bad division code, unknown enum value, bad date, ...)."""

    code = "INVALID_INPUT"

    def __init__(self, message: str, ids: Iterable[str] = (), field: str | None = None) -> None:
        super().__init__(message, ids)
        self.field = field


class InvariantViolation(GridregError):
    """A write would break an invariant of the registry; nothing was written."""

    code = "INVARIANT_VIOLATION"


class CycleError(InvariantViolation):
    """A write would create a cycle in the place tree or the grid tree."""

    def __init__(self, kind: str, path: Sequence[str]) -> None:
        super().__init__(f"{kind} cycle: {' -> '.join(path)}", path)


class SecondParentError(InvariantViolation):
    """Two different parents were given for one node in one write."""


class LevelMismatchError(InvariantViolation):
    """A parent is not exactly one level (place) or one tier (grid) up."""


class CodeMismatchError(InvariantViolation):
    """A division code or hamlet id does not agree with its parent's code."""


class UnknownReferenceError(InvariantViolation):
    """A record refers to an id that does not exist."""

    code = "UNKNOWN_REFERENCE"


class Unauthenticated(GridregError):
    """No valid credential: a missing one where anonymous access is off, or an unknown, revoked,
    expired or malformed token (the service answers HTTP 401)."""

    code = "UNAUTHENTICATED"


class Forbidden(GridregError):
    """The caller's role or scope does not allow this; nothing was written."""

    code = "FORBIDDEN"


class BackendUnavailable(GridregError):
    """The store cannot be reached or failed; the write was not acknowledged."""

    code = "BACKEND_UNAVAILABLE"


class TimeBudgetExceeded(GridregError):
    """The request's time budget ran out before this part of the answer was computed."""

    code = "TIME_BUDGET_EXCEEDED"


@dataclass(frozen=True, slots=True)
class LoadIssue:
    """One problem found in an input file, located by file, row and column.

    ``row`` is 1-based and counts the header line as row 1, like a spreadsheet.
    """

    file: str
    row: int | None
    column: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: [{self.code}] {self.message}"


class LoadError(GridregError):
    """An import was refused; ``issues`` lists every problem found. Nothing was written.

    >>> e = LoadError([LoadIssue("places.csv", 3, "parent", "UNKNOWN_REFERENCE", "no place 45")])
    >>> str(e)
    'places.csv, row 3, column parent: [UNKNOWN_REFERENCE] no place 45'
    """

    code = "LOAD_ERROR"

    def __init__(self, issues: Sequence[LoadIssue]) -> None:
        self.issues = tuple(issues)
        text = "\n".join(str(i) for i in self.issues[:50])
        if len(self.issues) > 50:
            text += f"\n... and {len(self.issues) - 50} more"
        super().__init__(text)
