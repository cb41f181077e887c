"""One parametrised store fixture: every store test runs on every backend.

Capability fixtures (``durable_store``) select backends by what they can do, never by
``if backend ==``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from registry.store import GraphStore, open_store
from registry.testing import sample_records

BACKENDS = ["memory", "sqlite"]
DURABLE = ["sqlite"]


def _url(backend: str, tmp_path: Path) -> str:
    if backend == "memory":
        return "memory://"
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for a fresh, empty store of each backend."""
    return _url(request.param, tmp_path)


@pytest.fixture
def empty_store(store_url: str) -> Iterator[GraphStore]:
    """A fresh, empty store of each backend."""
    store = open_store(store_url)
    yield store
    store.close()


@pytest.fixture
def store(empty_store: GraphStore) -> GraphStore:
    """A store of each backend holding the sample registry."""
    empty_store.apply(sample_records(), actor="test", operation="load")
    return empty_store


@pytest.fixture(params=DURABLE)
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of each backend that keeps data across reopening."""
    return _url(request.param, tmp_path)


@pytest.fixture
def reopen(durable_url: str) -> Callable[[], GraphStore]:
    """Open (again) the durable store at ``durable_url``."""
    return lambda: open_store(durable_url)
