"""Guards on every GraphQL request, checked before any resolver runs.

* **depth**: an operation nested deeper than ``max_depth`` is refused (``QUERY_TOO_DEEP``);
* **aliases**: more than ``max_aliases`` aliased fields are refused (``TOO_MANY_ALIASES``);
* **tokens**: a document of more than ``max_tokens`` tokens is not even parsed
  (``QUERY_TOO_LARGE``);
* **introspection** can be switched off (``INTROSPECTION_DISABLED``), and so can the "Did you
  mean ...?" suggestions in validation messages;
* **page size**: ``first`` above the maximum page size is refused (``schema.pagination``);
* **time budget**: long operations (``responsibleMany``, the planners' on-demand reports) check
  the request's deadline and stop, marking the answer ``incomplete`` (``extensions.incomplete``
  in the response) rather than truncating silently.

The validation rules are built once per schema (``Guard.rules``); each request only gets a small
extension object that adds them (extensions hold per-request state, so they are never shared).

>>> limits = Limits(max_depth=3)
>>> guard = Guard.factory(limits)()
>>> len(guard.rules), guard.max_tokens
(2, 5000)
>>> guard_code("'q' exceeds maximum operation depth of 3.")
'QUERY_TOO_DEEP'
>>> strip_suggestions("Cannot query field 'nam' on type 'Place'. Did you mean 'name'?")
"Cannot query field 'nam' on type 'Place'."
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import ASTValidationRule
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

__all__ = ["Budget", "Guard", "Limits", "guard_code", "strip_suggestions"]


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits every request is held to (from ``registry.settings.Settings``)."""

    max_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 5000
    budget_ms: int = 10_000
    introspection: bool = True
    suggestions: bool = True


class Budget:
    """A request's time budget: ``spent()`` becomes true once the deadline has passed, and
    whoever stops early because of it calls ``stop()`` so the answer says ``incomplete``."""

    def __init__(self, ms: int) -> None:
        self.deadline = time.monotonic() + ms / 1000.0
        self.incomplete = False

    def spent(self) -> bool:
        """True when the deadline has passed."""
        return time.monotonic() > self.deadline

    def stop(self) -> None:
        """Mark the answer incomplete."""
        self.incomplete = True


class Guard(SchemaExtension):
    """Adds the prebuilt rules and the token limit to one request's execution."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...], max_tokens: int) -> None:
        self.rules = rules
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.validation_rules = (*ctx.validation_rules, *self.rules)
        ctx.parse_options["max_tokens"] = self.max_tokens
        yield

    @staticmethod
    def factory(limits: Limits) -> Callable[[], Guard]:
        """A factory of per-request guards sharing rules built once, now."""
        rules: list[type[ASTValidationRule]] = [
            depth_rule(limits.max_depth, None, None),
            aliases_rule(limits.max_aliases),
        ]
        if not limits.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        built = tuple(rules)
        return lambda: Guard(built, limits.max_tokens)


_CODES = (
    (re.compile(r"exceeds maximum operation depth"), "QUERY_TOO_DEEP"),
    (re.compile(r"aliases found\. Allowed"), "TOO_MANY_ALIASES"),
    (re.compile(r"Document contains more than \d+ tokens"), "QUERY_TOO_LARGE"),
    (re.compile(r"introspection (has been|is) disabled", re.IGNORECASE), "INTROSPECTION_DISABLED"),
)
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def guard_code(message: str) -> str | None:
    """The stable code of a guard's error message (None for other messages)."""
    for pattern, code in _CODES:
        if pattern.search(message):
            return code
    return None


def strip_suggestions(message: str) -> str:
    """``message`` without "Did you mean ...?" suggestions."""
    return _SUGGESTION.sub("", message)
