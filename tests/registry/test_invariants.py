"""Invariants hold on every write, on every store; a violation writes nothing."""

from __future__ import annotations

import dataclasses

import pytest

from registry.codes import Level
from registry.errors import (
    CodeMismatchError,
    CycleError,
    InvalidInput,
    LevelMismatchError,
    SecondParentError,
    UnknownReferenceError,
)
from registry.model import AnyRecord, Grid, Holding, Place, Post
from registry.store import GraphStore
from registry.testing import COUNTY, VILLAGE


def _snapshot(store: GraphStore) -> tuple[list[Place], list[Grid], list[Post], int]:
    return (
        list(store.scan(Place)),
        list(store.scan(Grid)),
        list(store.scan(Post)),
        len(store.audit_log(limit=10_000)),
    )


def _refused(store: GraphStore, records: list[AnyRecord], error: type[Exception]) -> Exception:
    before = _snapshot(store)
    with pytest.raises(error) as info:
        store.apply(records, actor="test")
    assert _snapshot(store) == before, "a refused write changed the store"
    return info.value


def test_invariants_grid_cycle_refused(store: GraphStore) -> None:
    # Moving the tier-1 grid under its own grandchild is a cycle (and a tier violation).
    top = store.get(Grid, "G451225-001")
    assert top is not None
    err = _refused(
        store, [dataclasses.replace(top, parent="G451225-001-01-01")], LevelMismatchError
    )
    assert "G451225-001" in err.ids  # type: ignore[attr-defined]


def test_invariants_grid_cycle_with_consistent_tiers_refused(empty_store: GraphStore) -> None:
    # Even a batch that would otherwise satisfy tiers cannot close a loop: a->b->a.
    from registry.testing import sample_records

    base = [r for r in sample_records() if isinstance(r, Place)]
    empty_store.apply(base)
    a = Grid(code="A", name="甲", tier=1, county=COUNTY, parent="B")
    b = Grid(code="B", name="乙", tier=1, county=COUNTY, parent="A")
    with pytest.raises((CycleError, LevelMismatchError)):
        empty_store.apply([a, b])
    assert empty_store.count(Grid) == 0


def test_invariants_grid_parent_must_be_one_tier_up(store: GraphStore) -> None:
    err = _refused(
        store,
        [Grid(code="G-X", name="新网格", tier=3, county=COUNTY, parent="G451225-001")],
        LevelMismatchError,
    )
    assert err.ids == ("G-X", "G451225-001")  # type: ignore[attr-defined]


def test_invariants_grid_second_parent_in_one_write_refused(store: GraphStore) -> None:
    g1 = Grid(code="G-Y", name="新网格", tier=2, county=COUNTY, parent="G451225-001")
    g2 = dataclasses.replace(g1, parent="G-Z")
    _refused(
        store, [Grid(code="G-Z", name="另一", tier=1, county=COUNTY), g1, g2], SecondParentError
    )


def test_invariants_tier_change_that_breaks_children_refused(store: GraphStore) -> None:
    mid = store.get(Grid, "G451225-001-01")
    assert mid is not None
    _refused(store, [dataclasses.replace(mid, tier=1, parent=None)], LevelMismatchError)


def test_invariants_place_code_must_agree_with_parent(store: GraphStore) -> None:
    wrong = Place(code="451225101201", name="错村", level=Level.VILLAGE, parent="451225100000")
    err = _refused(store, [wrong], CodeMismatchError)
    assert err.ids == ("451225101201", "451225100000")  # type: ignore[attr-defined]


def test_invariants_place_parent_must_be_next_level(store: GraphStore) -> None:
    wrong = Place(code="451225100202", name="跳级村", level=Level.VILLAGE, parent=COUNTY)
    _refused(store, [wrong], LevelMismatchError)


def test_invariants_place_level_must_match_code(store: GraphStore) -> None:
    wrong = Place(code="451225100202", name="错级", level=Level.TOWNSHIP, parent=COUNTY)
    _refused(store, [wrong], CodeMismatchError)


def test_invariants_bad_division_code_refused(store: GraphStore) -> None:
    _refused(
        store,
        [Place(code="45122510020X", name="坏码", level=Level.VILLAGE, parent="451225100000")],
        InvalidInput,
    )


def test_invariants_unknown_reference_refused(store: GraphStore) -> None:
    err = _refused(
        store,
        [Holding(id="H9", person="P-NOBODY", post=f"{VILLAGE}-law_literate")],
        UnknownReferenceError,
    )
    assert "P-NOBODY" in err.ids  # type: ignore[attr-defined]


def test_invariants_unknown_parent_refused(store: GraphStore) -> None:
    _refused(
        store,
        [
            Place(code="451225100299", name="孤村", level=Level.VILLAGE, parent="451225100000"),
            Place(code="451225109201", name="无镇村", level=Level.VILLAGE, parent="451225109000"),
        ],
        UnknownReferenceError,
    )
    assert store.get(Place, "451225100299") is None  # the valid record was not written either


def test_invariants_post_needs_exactly_one_target(store: GraphStore) -> None:
    _refused(
        store, [Post(id="S-1", role="grid_worker", place=VILLAGE, grid="G451225-001")], InvalidInput
    )


def test_invariants_valid_to_before_valid_from_refused(store: GraphStore) -> None:
    from datetime import date

    _refused(
        store,
        [
            Holding(
                id="H9",
                person="P000001",
                post=f"{VILLAGE}-law_literate",
                valid_from=date(2025, 1, 2),
                valid_to=date(2025, 1, 1),
            )
        ],
        InvalidInput,
    )


def test_invariants_moving_a_grid_updates_both_parents(store: GraphStore) -> None:
    store.apply(
        [
            Grid(code="G451225-002", name="第二一级网格", tier=1, county=COUNTY),
            Grid(
                code="G451225-002-01", name="第二二级", tier=2, county=COUNTY, parent="G451225-002"
            ),
        ]
    )
    leaf = store.get(Grid, "G451225-001-01-01")
    assert leaf is not None
    store.apply([dataclasses.replace(leaf, parent="G451225-002-01")], reason="move")
    assert [g.code for g in store.referrers(Grid, "parent", "G451225-002-01")] == [leaf.code]
    assert store.referrers(Grid, "parent", "G451225-001-01") == []
