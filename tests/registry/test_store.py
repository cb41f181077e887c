"""The store contract, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from registry.codes import Level
from registry.model import (
    Coverage,
    Grid,
    Holding,
    Organization,
    Person,
    Place,
    Post,
    Stationing,
)
from registry.store import GraphStore
from registry.testing import VILLAGE, sample_records


def test_store_get_and_get_many(store: GraphStore) -> None:
    assert store.get(Place, VILLAGE) is not None
    assert store.get(Place, "999999999999") is None
    found = store.get_many(Place, [VILLAGE, "nope", "451225100000"])
    assert [p.name if p else None for p in found] == ["东门村", None, "东门镇"]


def test_store_scan_is_sorted_and_counts_match(store: GraphStore) -> None:
    codes = [p.code for p in store.scan(Place)]
    assert codes == sorted(codes)
    assert store.count(Place) == len(codes) == 7
    assert store.count(Grid) == 3


def test_store_referrers_nodes_and_relations(store: GraphStore) -> None:
    assert [p.code for p in store.referrers(Place, "parent", VILLAGE)] == [
        f"{VILLAGE}-001",
        f"{VILLAGE}-002",
    ]
    links = store.referrers(Coverage, "place", f"{VILLAGE}-001")
    assert sorted(c.grid for c in links) == ["G451225-001-01", "G451225-001-01-01"]
    assert [c.key for c in links] == sorted(c.key for c in links)
    assert [h.id for h in store.referrers(Holding, "person", "P000001")] == ["H000001"]
    assert [p.id for p in store.referrers(Post, "place", VILLAGE)] == [
        f"{VILLAGE}-law_literate",
        f"{VILLAGE}-police_assistant",
    ]
    many = store.referrers_many(Place, "parent", [VILLAGE, "451225100000", "none"])
    assert [len(x) for x in many] == [2, 1, 0]


def test_store_upsert_replaces(store: GraphStore) -> None:
    store.apply([Person(id="P000001", name="韦小红", phone="13900000000")])
    person = store.get(Person, "P000001")
    assert person is not None and person.phone == "13900000000"
    assert store.count(Person) == 2


def test_store_audit_records_each_write(store: GraphStore) -> None:
    before = len(store.audit_log(limit=1000))
    store.apply(
        [Person(id="P000009", name="蓝天")],
        actor="tester",
        operation="create_person",
        reason="新任网格员",
    )
    log = store.audit_log(limit=1000)
    assert len(log) == before + 1
    entry = log[0]
    assert (entry.actor, entry.operation, entry.reason, entry.count) == (
        "tester",
        "create_person",
        "新任网格员",
        1,
    )
    assert entry.changes[0]["before"] is None and entry.changes[0]["after"]["name"] == "蓝天"


def test_store_survives_reopen(reopen: Callable[[], GraphStore]) -> None:
    store = reopen()
    store.apply(sample_records())
    store.apply(
        [
            Holding(
                id="H000009",
                person="P000002",
                post=f"{VILLAGE}-law_literate",
                valid_from=date(2026, 1, 1),
            )
        ]
    )
    store.close()
    again = reopen()
    assert again.count(Place) == 7
    assert [h.id for h in again.referrers(Holding, "post", f"{VILLAGE}-law_literate")] == [
        "H000009"
    ]
    assert [p.code for p in again.referrers(Place, "parent", VILLAGE)] == [
        f"{VILLAGE}-001",
        f"{VILLAGE}-002",
    ]
    assert len(again.audit_log()) == 2
    again.close()


def test_store_referrers_follow_every_write(store: GraphStore) -> None:
    """Answers read before a write (and possibly cached) never hide the write."""
    before = store.referrers(Place, "parent", VILLAGE)
    before.clear()  # a caller mutating its answer does not change the store's next answer
    assert [p.code for p in store.referrers(Place, "parent", VILLAGE)] == [
        f"{VILLAGE}-001",
        f"{VILLAGE}-002",
    ]
    hamlet = Place(code=f"{VILLAGE}-003", name="新屯", level=Level.HAMLET, parent=VILLAGE)
    store.apply([hamlet, Coverage(grid="G451225-001", place=hamlet.code)])
    assert hamlet in store.referrers(Place, "parent", VILLAGE)
    links = store.referrers(Coverage, "grid", "G451225-001")
    assert [c.place for c in links] == [VILLAGE, hamlet.code]
    store.apply([Coverage(grid="G451225-001", place=hamlet.code, valid_to=date(2025, 1, 1))])
    assert store.referrers(Coverage, "grid", "G451225-001")[1].valid_to == date(2025, 1, 1)


def test_store_referrers_follow_moved_references(store: GraphStore) -> None:
    """A record written again with other references is found under the new ones only, also
    where one pair of records is joined by a reference and a relation at once."""
    first = store.get(Holding, "H000002")
    assert first is not None
    store.apply([replace(first, person="P000001")])  # a relation record moved
    assert store.referrers(Holding, "person", "P000002") == []
    assert [h.id for h in store.referrers(Holding, "person", "P000001")] == ["H000001", "H000002"]
    post = store.get(Post, f"{VILLAGE}-law_literate")
    assert post is not None
    moved = replace(post, place=f"{VILLAGE}-001")  # a node record moved
    store.apply([moved])
    assert [p.id for p in store.referrers(Post, "place", VILLAGE)] == [
        f"{VILLAGE}-police_assistant"
    ]
    assert store.referrers(Post, "place", f"{VILLAGE}-001") == [moved]
    dept = store.get(Organization, "451225-dept-environment")
    assert dept is not None
    below = replace(dept, parent="451225-centre")  # under the centre it is stationed at
    store.apply([below])
    assert store.referrers(Organization, "parent", "451225-centre") == [below]
    stationed = store.referrers(Stationing, "centre", "451225-centre")
    assert [s.organization for s in stationed] == [dept.code]
    store.apply([replace(below, parent="451225100-centre")])
    assert store.referrers(Organization, "parent", "451225-centre") == []
    assert store.referrers(Stationing, "centre", "451225-centre") == stationed
    assert store.referrers(Stationing, "organization", dept.code) == stationed


def test_referrers_many_in_bulk_equals_one_by_one(empty_store: GraphStore) -> None:
    """Asking for many keys (a scan of the kind on the embedded store) answers exactly as
    asking key by key, including keys with no referrers."""
    from loaders.demo import demo_records

    empty_store.apply(demo_records())
    posts = sorted(p.id for p in empty_store.scan(Post))
    grids = sorted(g.code for g in empty_store.scan(Grid))
    for kind, field, keys in (
        (Holding, "post", [*posts, "no-such-post"]),
        (Post, "grid", grids),
        (Coverage, "grid", grids),
        (Grid, "parent", grids),
    ):
        bulk = empty_store.referrers_many(kind, field, keys)  # type: ignore[type-var]
        assert bulk == [empty_store.referrers(kind, field, k) for k in keys], (kind, field)  # type: ignore[type-var]
        assert any(bulk)
    assert empty_store.referrers_many(Holding, "post", [*posts, "no-such-post"])[-1] == []
    # a few keys once the kind was read in bulk (the embedded store's index), then after a write
    few = [posts[0], posts[-1], "no-such-post"]
    one_by_one = [empty_store.referrers(Holding, "post", k) for k in few]
    assert empty_store.referrers_many(Holding, "post", few) == one_by_one
    person = next(iter(empty_store.scan(Person))).id
    added = Holding(id="H-added", person=person, post=posts[-1], valid_from=date(2099, 1, 1))
    empty_store.apply([added])
    assert empty_store.referrers_many(Holding, "post", few)[1] == sorted(
        [*one_by_one[1], added], key=lambda h: h.key
    )
