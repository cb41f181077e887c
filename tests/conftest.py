"""One parametrised store fixture: every store test runs on every backend.

Backends: ``memory``, ``sqlite`` (a file in the test's temporary folder) and ``neo4j`` (the
server at ``$GRIDREG_TEST_NEO4J_URL``, marked ``neo4j``; without that variable its tests fail in
CI and are skipped elsewhere).

A fresh store is empty on every backend: ``open_fresh`` erases a store that offers
``erase_all_data`` (Neo4j Community has one database, shared by every test, so opening a fresh
Neo4j store empties the stores opened before it). Fixtures select backends by what they can do,
never by ``if backend ==``; every store they open is closed when the test ends.

Fixtures: ``store_url`` (each backend's URL), ``fresh_store`` (a factory of empty stores),
``empty_store``, ``store`` (the sample registry), ``durable_url`` and ``reopen`` (backends that
keep data across reopening; the store starts empty).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from registry.store import GraphStore, open_store
from registry.testing import sample_records

NEO4J_URL_VARIABLE = "GRIDREG_TEST_NEO4J_URL"

BACKENDS = ["memory", "sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]
DURABLE = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]


def neo4j_url() -> str:
    """The test server's URL; fails in CI and skips elsewhere when it is not set."""
    url = os.environ.get(NEO4J_URL_VARIABLE)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{NEO4J_URL_VARIABLE} is not set in CI: run the suite with scripts/test")
        pytest.skip(f"no Neo4j server: set {NEO4J_URL_VARIABLE} (scripts/test does)")
    return url


def backend_url(backend: str, folder: Path, name: str = "registry") -> str:
    """The URL of ``backend``'s store; SQLite files are named ``name`` in ``folder``."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{folder / f'{name}.db'}"
    return neo4j_url()


def open_fresh(url: str) -> GraphStore:
    """Open the store at ``url`` and make sure it is empty (erasing it when it can be erased)."""
    store = open_store(url)
    erase = getattr(store, "erase_all_data", None)
    if erase is not None:
        try:
            erase()
        except BaseException:
            store.close()
            raise
    return store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend's name (for building URLs in fixtures, never for branching in tests)."""
    name: str = request.param
    return name


@pytest.fixture
def store_url(backend: str, tmp_path: Path) -> str:
    """A URL of each backend; open it with ``open_fresh`` for an empty store."""
    return backend_url(backend, tmp_path)


@pytest.fixture
def fresh_store(backend: str, tmp_path: Path) -> Iterator[Callable[[], GraphStore]]:
    """A factory of empty stores of each backend, all closed when the test ends.

    Each call gives a new store (a new SQLite file); on Neo4j each call erases the one database,
    so use a store before asking for the next one.
    """
    opened: list[GraphStore] = []

    def make() -> GraphStore:
        store = open_fresh(backend_url(backend, tmp_path, f"fresh{len(opened)}"))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def empty_store(fresh_store: Callable[[], GraphStore]) -> GraphStore:
    """A fresh, empty store of each backend."""
    return fresh_store()


@pytest.fixture
def store(empty_store: GraphStore) -> GraphStore:
    """A store of each backend holding the sample registry."""
    empty_store.apply(sample_records(), actor="test", operation="load")
    return empty_store


@pytest.fixture(params=DURABLE)
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of each backend that keeps data across reopening; its store starts empty."""
    url = backend_url(request.param, tmp_path)
    open_fresh(url).close()
    return url


@pytest.fixture
def reopen(durable_url: str) -> Iterator[Callable[[], GraphStore]]:
    """Open (again) the durable store at ``durable_url``; stores left open are closed after."""
    opened: list[GraphStore] = []

    def again() -> GraphStore:
        store = open_store(durable_url)
        opened.append(store)
        return store

    yield again
    for store in opened:
        store.close()
