"""Invariants under random and concurrent edits.

* A hypothesis state machine drives random sequences of writes (moving, re-tiering, adding and
  ending grids; moving and adding places; covering places; assigning and ending posts), many of
  them invalid on purpose, against a memory store: a refused write changes nothing, and after
  every step every invariant holds for what is stored.
* Threads editing at once (moving grids between parents, re-tiering them, moving villages) for a
  sustained period, on every store: no cycle, no grid or place with two parents (in the stored
  graph itself: the networkx edges or the Neo4j relationships), every stored record passing the
  invariant checks.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from registry.codes import Level
from registry.errors import GridregError
from registry.invariants import check_batch
from registry.model import AnyRecord, Coverage, Grid, Holding, Person, Place, Post
from registry.store import GraphStore, open_store
from registry.store.embedded_store import EmbeddedStore
from registry.testing import COUNTY, sample_records

TOWNS = ["451225100000", "451225101000"]
VILLAGES = [f"{t[:9]}2{i:02d}" for t in TOWNS for i in range(1, 4)]


def _base() -> list[AnyRecord]:
    """The sample registry plus a second township, six villages and more grids."""
    recs: list[AnyRecord] = [r for r in sample_records()]
    recs.append(Place(code=TOWNS[1], name="龙岸镇", level=Level.TOWNSHIP, parent=COUNTY))
    names = iter("甲乙丙丁戊己")
    for v in VILLAGES:
        if v != "451225100201":
            recs.append(
                Place(code=v, name=f"{next(names)}村", level=Level.VILLAGE, parent=v[:9] + "000")
            )
    for i in range(2, 5):
        recs.append(Grid(code=f"G{i}", name=f"一级网格{i}", tier=1, county=COUNTY))
        for j in range(1, 3):
            recs.append(
                Grid(code=f"G{i}-{j}", name=f"二级{i}{j}", tier=2, county=COUNTY, parent=f"G{i}")
            )
            recs.append(
                Grid(
                    code=f"G{i}-{j}-1",
                    name=f"三级{i}{j}",
                    tier=3,
                    county=COUNTY,
                    parent=f"G{i}-{j}",
                )
            )
    return recs


def assert_invariants(store: GraphStore) -> None:
    """Every stored grid and place passes the write checks; no cycles; one parent each."""
    grids = {g.code: g for g in store.scan(Grid)}
    places = {p.code: p for p in store.scan(Place)}
    for tree in (grids, places):
        for start in tree:
            seen: set[str] = set()
            node: str | None = start
            while node is not None:
                assert node not in seen, f"cycle through {start}"
                seen.add(node)
                parent = tree[node].parent if node in tree else None  # type: ignore[attr-defined]
                assert parent is None or parent in tree, f"{node}: unknown parent {parent}"
                node = parent
    for g in grids.values():
        if g.parent is not None:
            assert grids[g.parent].tier == g.tier - 1, g.code
    check_batch([*places.values(), *grids.values()], store)
    _one_parent_in_the_graph(store)


def _one_parent_in_the_graph(store: GraphStore) -> None:
    """The stored graph itself has at most one parent link per grid and place."""
    if isinstance(store, EmbeddedStore):
        for nid in store.graph.nodes:
            links = [
                k
                for _, _, k in store.graph.out_edges(nid, keys=True)
                if k in ("grid.parent", "place.parent")
            ]
            assert len(links) <= 1, f"{nid} has {len(links)} parent links"
        return
    one = getattr(store, "_one", None)
    if one is not None:
        row = one(
            "OPTIONAL MATCH (n)-[r:PARENT]->() WHERE n:Grid OR n:Place "
            "WITH n, count(r) AS parents WHERE parents > 1 RETURN count(n) AS bad"
        )
        assert row["bad"] == 0, f"{row['bad']} nodes with two parents"


# --- the state machine ------------------------------------------------------------------------


class Edits(RuleBasedStateMachine):
    """Random writes against a memory store; every step keeps every invariant."""

    def __init__(self) -> None:
        super().__init__()
        self.store = open_store("memory://")
        self.store.apply(_base())
        self.n = 0

    def _try(self, records: list[AnyRecord]) -> None:
        before = len(self.store.audit_log(limit=100_000))
        grids = {g.code: g for g in self.store.scan(Grid)}
        try:
            self.store.apply(records, actor="hypothesis")
        except GridregError:
            assert len(self.store.audit_log(limit=100_000)) == before
            assert {g.code: g for g in self.store.scan(Grid)} == grids  # nothing partial

    def _grids(self) -> list[Grid]:
        return list(self.store.scan(Grid))

    @rule(data=st.data())
    def move_grid(self, data: st.DataObject) -> None:
        grids = self._grids()
        g = data.draw(st.sampled_from(grids))
        parent = data.draw(st.sampled_from([None, *(x.code for x in grids)]))
        self._try([dataclasses.replace(g, parent=parent)])

    @rule(data=st.data(), tier=st.integers(1, 4))
    def retier_grid(self, data: st.DataObject, tier: int) -> None:
        g = data.draw(st.sampled_from(self._grids()))
        self._try([dataclasses.replace(g, tier=tier)])

    @rule(data=st.data())
    def move_two_grids_at_once(self, data: st.DataObject) -> None:
        grids = self._grids()
        a, b = data.draw(st.sampled_from(grids)), data.draw(st.sampled_from(grids))
        self._try([dataclasses.replace(a, parent=b.code), dataclasses.replace(b, parent=a.code)])

    @rule(data=st.data())
    def add_grid(self, data: st.DataObject) -> None:
        parent = data.draw(st.sampled_from(self._grids()))
        self.n += 1
        tier = data.draw(st.sampled_from([parent.tier + 1, parent.tier, 3]))
        self._try([Grid(code=f"N{self.n}", name=f"新网格{self.n}", tier=tier, county=COUNTY,
                        parent=parent.code)])  # fmt: skip

    @rule(data=st.data())
    def end_grid(self, data: st.DataObject) -> None:
        g = data.draw(st.sampled_from(self._grids()))
        self._try([dataclasses.replace(g, valid_to=date(2026, 6, 30))])

    @rule(data=st.data())
    def move_village(self, data: st.DataObject) -> None:
        village = self.store.get(Place, data.draw(st.sampled_from(VILLAGES)))
        assert village is not None
        parent = data.draw(st.sampled_from([*TOWNS, COUNTY, village.code]))
        self._try([dataclasses.replace(village, parent=parent)])

    @rule(data=st.data())
    def cover(self, data: st.DataObject) -> None:
        g = data.draw(st.sampled_from(self._grids()))
        place = data.draw(st.sampled_from([*VILLAGES, "nowhere"]))
        self._try([Coverage(grid=g.code, place=place)])

    @rule(data=st.data())
    def assign_and_end(self, data: st.DataObject) -> None:
        self.n += 1
        post = Post(id=f"S{self.n}", role=data.draw(st.sampled_from(["grid_worker", "nobody"])),
                    grid=data.draw(st.sampled_from(self._grids())).code)  # fmt: skip
        person = Person(id=f"P{self.n}", name=f"人{self.n}")
        start = date(2024, 1, 1)
        end = data.draw(st.sampled_from([None, date(2023, 1, 1), date(2025, 1, 1)]))
        held = Holding(id=f"H{self.n}", person=person.id, post=post.id, valid_from=start,
                       valid_to=end)  # fmt: skip
        self._try([person, post, held])

    @invariant()
    def invariants_hold(self) -> None:
        assert_invariants(self.store)


TestEdits = Edits.TestCase
TestEdits.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- concurrent editors -----------------------------------------------------------------------

#: How long the editors run on each store.
SECONDS = 5.0


def test_concurrent_editors_never_break_the_trees(empty_store: GraphStore) -> None:
    """Four threads share one store object (as the service's worker threads do)."""
    store = empty_store
    store.apply(_base())
    stop = time.monotonic() + SECONDS
    outcomes = {"written": 0, "refused": 0}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def editor(seed: int, mine: GraphStore) -> None:
        rng = random.Random(seed)
        try:
            while time.monotonic() < stop:
                grids = list(mine.scan(Grid))
                g = rng.choice(grids)
                kind = rng.random()
                if kind < 0.5:
                    parent = rng.choice([None, *(x.code for x in grids)])
                    batch: list[AnyRecord] = [dataclasses.replace(g, parent=parent)]
                elif kind < 0.8:
                    batch = [dataclasses.replace(g, tier=rng.randint(1, 3), parent=None)]
                else:
                    village = mine.get(Place, rng.choice(VILLAGES))
                    assert village is not None
                    batch = [
                        dataclasses.replace(village, parent=rng.choice([*TOWNS, village.code]))
                    ]
                try:
                    mine.apply(batch, actor=f"editor{seed}")
                    key = "written"
                except GridregError:
                    key = "refused"
                with lock:
                    outcomes[key] += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=editor, args=(i, store)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert outcomes["written"] > 0 and outcomes["refused"] > 0, outcomes
    assert_invariants(store)
