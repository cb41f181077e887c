"""The embedded store's graph layout (``registry.store.embedded_store``): what networkx shows,
and the sharing that keeps it within the memory target."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from registry.model import Holding, Organization, Person, Post, Role
from registry.store import EmbeddedStore, open_store
from registry.store.embedded_store import NO_DATA
from registry.testing import VILLAGE, sample_records


def _edges(store: EmbeddedStore) -> set[tuple[str, str, str]]:
    return set(store.graph.edges(keys=True))


@pytest.fixture
def reopened(tmp_path: Path) -> tuple[EmbeddedStore, EmbeddedStore]:
    """The sample registry written in memory, and read back from a SQLite file."""
    memory = open_store("memory://")
    memory.apply(sample_records())
    url = f"sqlite:///{tmp_path / 'layout.db'}"
    open_store(url).apply(sample_records())
    again = open_store(url)
    assert isinstance(memory, EmbeddedStore) and isinstance(again, EmbeddedStore)
    return memory, again


def test_the_graph_holds_the_documented_nodes_and_edge_keys(
    reopened: tuple[EmbeddedStore, EmbeddedStore],
) -> None:
    memory, again = reopened
    assert _edges(memory) == _edges(again)
    edges = _edges(again)
    hamlet, grid = f"place:{VILLAGE}-001", "grid:G451225-001-01"
    assert (hamlet, f"place:{VILLAGE}", "place.parent") in edges
    assert (grid, hamlet, f"coverage:G451225-001-01|{VILLAGE}-001") in edges
    assert ("person:P000001", "post:G451225-001-01-01-grid_worker", "holding:H000001") in edges
    dept, centre = "organization:451225-dept-environment", "organization:451225-centre"
    assert (dept, centre, "stationing:451225-dept-environment|451225-centre") in edges
    assert again.graph.number_of_nodes() == memory.graph.number_of_nodes()
    assert again.graph.number_of_edges() == len(edges)
    assert all(attrs is NO_DATA for _, attrs in again.graph.nodes(data=True))
    assert all(data is NO_DATA for *_, data in again.graph.edges(keys=True, data=True))
    assert again.graph[grid][hamlet][f"coverage:G451225-001-01|{VILLAGE}-001"] is NO_DATA


def test_a_pair_joined_twice_keeps_both_edges(
    reopened: tuple[EmbeddedStore, EmbeddedStore],
) -> None:
    """A reference and a relation between the same two nodes (a department under the centre
    it is stationed at) are two edges; dropping the reference keeps the relation."""
    for store in reopened:
        dept = store.get(Organization, "451225-dept-environment")
        assert dept is not None
        store.apply([replace(dept, parent="451225-centre")])
        u, v = "organization:451225-dept-environment", "organization:451225-centre"
        keys = set(store.graph[u][v])
        assert keys == {"organization.parent", "stationing:451225-dept-environment|451225-centre"}
        store.apply([dept])
        assert set(store.graph[u][v]) == {"stationing:451225-dept-environment|451225-centre"}


def test_shared_mappings_refuse_writes(reopened: tuple[EmbeddedStore, EmbeddedStore]) -> None:
    """Node attributes, edge data and the shared key mappings are read-only: a networkx call
    writing through them fails instead of changing every node or edge."""
    _, store = reopened
    with pytest.raises(TypeError):
        store.graph.nodes[f"place:{VILLAGE}"]["note"] = "x"  # type: ignore[index]
    data = store.graph[f"place:{VILLAGE}-001"][f"place:{VILLAGE}"]["place.parent"]
    with pytest.raises(TypeError):
        data["note"] = "x"  # type: ignore[index]


def test_a_file_read_back_keeps_each_string_once(
    reopened: tuple[EmbeddedStore, EmbeddedStore],
) -> None:
    """Read from a file, a reference is the very string of its target's key, equal values
    are one object, and every adjacency entry reuses its node's id."""
    _, store = reopened
    post = store.get(Post, "G451225-001-01-01-grid_worker")
    role = store.get(Role, "grid_worker")
    holding = store.get(Holding, "H000001")
    person = store.get(Person, "P000001")
    assert post is not None and role is not None and holding is not None and person is not None
    assert post.role is role.code
    assert holding.person is person.id and holding.post is post.id
    ids = {nid: nid for nid in store.graph}
    for u, nbrs in store.graph.adjacency():
        assert u is ids[u]
        for v in nbrs:
            assert v is ids[v], (u, v)
    for v, nbrs in store.graph.pred.items():
        for u in nbrs:
            assert u is ids[u], (v, u)


def test_rewrites_leave_the_graph_a_fresh_load_would_build() -> None:
    """Records moved back and forth (references changed, added, dropped) leave exactly the
    graph that loading the final records builds, its successors and predecessors mirrored."""
    from loaders.demo import demo_records

    records = demo_records()
    store = open_store("memory://")
    assert isinstance(store, EmbeddedStore)
    store.apply(records)
    posts = [r for r in records if isinstance(r, Post)]
    holdings = [r for r in records if isinstance(r, Holding)]
    persons = sorted(r.id for r in records if isinstance(r, Person))
    elsewhere = [replace(p, place=posts[0].place, grid=None, organization=None) for p in posts]
    store.apply(elsewhere)
    store.apply([replace(h, person=persons[0]) for h in holdings])
    store.apply(posts[: len(posts) // 2])  # half of them back
    final = {(r.KIND, r.key): r for r in [*records, *elsewhere]}
    final.update({(r.KIND, r.key): r for r in posts[: len(posts) // 2]})
    final.update({(h.KIND, h.key): replace(h, person=persons[0]) for h in holdings})
    fresh = open_store("memory://")
    assert isinstance(fresh, EmbeddedStore)
    fresh.apply(list(final.values()))
    assert _edges(store) == _edges(fresh)
    succ, pred = store.graph._succ, store.graph._pred
    assert {(u, v) for u in succ for v in succ[u]} == {(u, v) for v in pred for u in pred[v]}
    assert all(pred[v][u] is succ[u][v] for u in succ for v in succ[u])
