"""Validation results cached by document identity.

strawberry's ``ValidationCache`` keys an ``lru_cache`` by the schema, the document and the
rules; hashing a graphql-core document hashes its whole tree on every request (the nodes are
dataclasses). The parser cache already returns the same document object for the same query
text, so this cache keys by the document's identity instead (keeping the document alive with
its entry, so an identity is never reused while it is cached), plus the schema and the rules:
the guards' rules (``schema.guards``) are part of the key, so a document is validated against
them once and their verdict is replayed on every later request, before any resolver runs.

>>> cache = DocumentValidationCache(maxsize=2)
>>> cache.maxsize
2
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

__all__ = ["DocumentValidationCache"]

_Key = tuple[int, int, tuple[Any, ...]]
_ENTRIES: OrderedDict[_Key, tuple[Any, Any, list[GraphQLError]]] = OrderedDict()
_LOCK = threading.Lock()


class DocumentValidationCache(SchemaExtension):
    """Replays the validation errors of a document already validated (LRU, ``maxsize``)."""

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        schema, document, rules = ctx.schema._schema, ctx.graphql_document, ctx.validation_rules
        if document is None:  # nothing parsed: strawberry reports it
            yield
            return
        key = (id(schema), id(document), tuple(rules))
        with _LOCK:
            hit = _ENTRIES.get(key)
            if hit is not None and hit[0] is schema and hit[1] is document:
                _ENTRIES.move_to_end(key)
        if hit is not None and hit[0] is schema and hit[1] is document:
            errors = hit[2]
        else:
            errors = validate_document(schema, document, rules)
            with _LOCK:
                _ENTRIES[key] = (schema, document, errors)
                while len(_ENTRIES) > self.maxsize:
                    _ENTRIES.popitem(last=False)
        ctx.pre_execution_errors = errors
        yield
