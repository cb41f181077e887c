"""Stores, opened by URL.

``memory://`` (tests), ``sqlite:///path/to/file.db`` (the embedded default); Neo4j URLs
(``bolt://``, ``neo4j://``, ``neo4j+s://``, ...) open the Neo4j store when its extra is installed.

>>> store = open_store("memory://")
>>> store.url
'memory://'
>>> open_store("ftp://x")
Traceback (most recent call last):
...
registry.errors.InvalidInput: unknown store URL scheme 'ftp' (use memory://, sqlite:///PATH, bolt:// or neo4j://)
"""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import urlsplit

from registry.errors import InvalidInput
from registry.store.base import AuditEntry, GraphStore, WriteResult
from registry.store.embedded_store import EmbeddedStore

__all__ = ["AuditEntry", "EmbeddedStore", "GraphStore", "WriteResult", "open_store"]

NEO4J_SCHEMES = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})


def open_store(url: str, **options: Any) -> GraphStore:
    """Open the store named by ``url``; Neo4j options (user, password, database) by keyword."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return EmbeddedStore(None)
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise InvalidInput(f"expected sqlite:///PATH, got {url!r}", field="store")
        return EmbeddedStore(path, url=url)
    if scheme in NEO4J_SCHEMES:
        try:
            module = importlib.import_module("registry.store.neo4j_store")
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise InvalidInput(
                f"the Neo4j store needs its extra: pip install 'gridreg[neo4j]' ({exc})",
                field="store",
            ) from exc
        store: GraphStore = module.Neo4jStore(url, **options)
        return store
    raise InvalidInput(
        f"unknown store URL scheme {scheme!r} (use memory://, sqlite:///PATH, bolt:// or neo4j://)",
        field="store",
    )
