"""What only the Neo4j store has: its schema, credentials, an unreachable server, the write lock
under concurrent writers, the audit entry in the write's transaction, and its Cypher text.

Server tests use ``$GRIDREG_TEST_NEO4J_URL`` (they fail in CI and are skipped elsewhere when it
is not set); the Cypher unit tests need no server.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from neo4j.exceptions import Neo4jError

from registry.codes import Level
from registry.errors import BackendUnavailable, InvariantViolation, LevelMismatchError
from registry.invariants import check_batch
from registry.model import KINDS, AnyRecord, Grid, Holding, Person, Place, Post, Role
from registry.store import GraphStore, cypher, open_store
from registry.store.neo4j_store import Neo4jStore, creation_batches, split_credentials
from tests.conftest import neo4j_url, open_fresh

pytestmark = pytest.mark.neo4j

PROVINCE, PREFECTURE, COUNTY = "450000000000", "451200000000", "451225000000"
PLACES = [
    Place(code=PROVINCE, name="广西壮族自治区", level=Level.PROVINCE),
    Place(code=PREFECTURE, name="河池市", level=Level.PREFECTURE, parent=PROVINCE),
    Place(code=COUNTY, name="罗城仫佬族自治县", level=Level.COUNTY, parent=PREFECTURE),
]


@pytest.fixture
def url() -> str:
    return neo4j_url()


@pytest.fixture
def opened(url: str) -> Iterator[Callable[..., Neo4jStore]]:
    """Open Neo4j stores at the test server (keyword options as for ``Neo4jStore``)."""
    stores: list[Neo4jStore] = []

    def make(**options: Any) -> Neo4jStore:
        store = open_store(url, **options)
        assert isinstance(store, Neo4jStore)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def neo4j(url: str) -> Iterator[Neo4jStore]:
    """An empty Neo4j store holding the province, prefecture and county."""
    store = open_fresh(url)
    assert isinstance(store, Neo4jStore)
    try:
        store.apply(PLACES)
        yield store
    finally:
        store.close()


def _show(store: Neo4jStore, what: str) -> dict[str, dict[str, Any]]:
    records, _, _ = store.driver.execute_query(f"SHOW {what}", database_=store.database)
    return {r["name"]: dict(r) for r in records}


def _state(store: GraphStore) -> dict[str, list[Any]]:
    return {kind: list(store.scan(cls)) for kind, cls in KINDS.items()}


# --- schema -----------------------------------------------------------------------------------


def test_neo4j_schema_exists_after_opening_and_opening_again_is_harmless(
    neo4j: Neo4jStore, opened: Callable[..., Neo4jStore]
) -> None:
    constraints = _show(neo4j, "CONSTRAINTS")
    for kind, cls in KINDS.items():
        c = constraints.get(f"gridreg_{kind}_key")
        assert c is not None, f"no uniqueness constraint on {kind}"
        assert c["type"] in ("UNIQUENESS", "NODE_PROPERTY_UNIQUENESS"), c
        assert c["labelsOrTypes"] == [cls.__name__] and c["properties"] == ["key"], c
    assert constraints["gridreg_audit_id"]["labelsOrTypes"] == ["AuditEntry"]
    assert constraints["gridreg_lock_name"]["labelsOrTypes"] == ["GridregLock"]
    indexes = _show(neo4j, "INDEXES")
    for kind, cls in KINDS.items():
        for field in cls.REFS:
            index = indexes.get(f"gridreg_{kind}_{field}")
            assert index is not None, f"no index on {kind}.{field}"
            assert index["labelsOrTypes"] == [cls.__name__] and index["properties"] == [field]
            assert index["state"] == "ONLINE", index

    neo4j.apply([Person(id="P1", name="张三")])
    again = opened()  # the schema statements run again on an existing schema and data
    assert _show(again, "CONSTRAINTS").keys() == constraints.keys()
    assert _show(again, "INDEXES").keys() == indexes.keys()
    assert again.get(Person, "P1") == Person(id="P1", name="张三")
    assert again.count(Place) == len(PLACES)
    again.apply([Person(id="P2", name="李四")])  # the write lock is still there
    assert [p.id for p in neo4j.scan(Person)] == ["P1", "P2"]


# --- credentials and an unreachable server ----------------------------------------------------


def test_neo4j_split_credentials() -> None:
    assert split_credentials("bolt://neo4j:s3cret@db.example:7687/x?y=1") == (
        "bolt://db.example:7687/x?y=1",
        "neo4j",
        "s3cret",
    )
    assert split_credentials("neo4j+s://u%40org:p%3Aw%40rd@abc.databases.neo4j.io") == (
        "neo4j+s://abc.databases.neo4j.io",
        "u@org",
        "p:w@rd",
    )
    assert split_credentials("bolt://reader@host:7687") == ("bolt://host:7687", "reader", None)
    assert split_credentials("bolt://host:7687") == ("bolt://host:7687", None, None)


def test_neo4j_credentials_never_reach_the_url(url: str, opened: Callable[..., Neo4jStore]) -> None:
    # The test server runs with authentication off and accepts any credentials.
    clean, _, _ = split_credentials(url)
    scheme, rest = clean.split("://", 1)
    store = open_store(f"{scheme}://neo4j:s3cret-pw@{rest}")
    try:
        assert store.url == clean
        assert "s3cret-pw" not in store.url
        store.count(Place)  # and it works
    finally:
        store.close()
    with_options = opened(user="neo4j", password="s3cret-pw")
    assert with_options.url == clean
    with_options.count(Place)


@pytest.mark.parametrize(
    "target", ["bolt://127.0.0.1:9", "bolt://neo4j:s3cret-pw@127.0.0.1:9", "neo4j://127.0.0.1:9"]
)
def test_neo4j_unreachable_server_is_backend_unavailable(target: str) -> None:
    with pytest.raises(BackendUnavailable) as info:
        Neo4jStore(target, retry_seconds=1, connection_timeout=1)
    message = str(info.value)
    assert split_credentials(target)[0] in message, message
    assert "s3cret-pw" not in message
    with pytest.raises(BackendUnavailable):
        open_store(target, retry_seconds=1, connection_timeout=1)


@pytest.mark.parametrize("target", ["bolt://127.0.0.1:9?policy=x", "bolt://127.0.0.1:notaport"])
def test_neo4j_invalid_url_is_backend_unavailable(target: str) -> None:
    with pytest.raises(BackendUnavailable) as info:
        Neo4jStore(target, retry_seconds=1, connection_timeout=1)
    assert target in str(info.value)


# --- the write lock under concurrent writers --------------------------------------------------


def _race(stores: list[Neo4jStore], batches: list[list[Any]]) -> list[Exception | None]:
    """Apply ``batches[i]`` with ``stores[i]`` in threads released at the same moment."""
    barrier = threading.Barrier(len(batches))
    outcome: list[Exception | None] = [None] * len(batches)

    def write(i: int) -> None:
        barrier.wait()
        try:
            stores[i].apply(batches[i], actor=f"writer{i}")
        except Exception as exc:
            outcome[i] = exc

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return outcome


def _grid_tiers_hold(store: GraphStore) -> list[Grid]:
    grids = {g.code: g for g in store.scan(Grid)}
    for g in grids.values():
        if g.parent is not None:
            assert grids[g.parent].tier == g.tier - 1, f"{g.code} (tier {g.tier}) under {g.parent}"
    return list(grids.values())


def test_neo4j_concurrent_writers_cannot_break_grid_tiers_together(
    neo4j: Neo4jStore, opened: Callable[..., Neo4jStore]
) -> None:
    """Adding a tier-3 grid under P and making P a tier-1 grid are each valid alone; together
    the new grid would sit under a tier-1 grid. The write lock lets exactly one through."""
    stores = [opened(), opened()]
    rounds, first = 20, {"child": 0, "promote": 0}
    for r in range(rounds):
        top = Grid(code=f"T{r}", name=f"一级{r}", tier=1, county=COUNTY)
        mid = Grid(code=f"P{r}", name=f"二级{r}", tier=2, county=COUNTY, parent=top.code)
        neo4j.apply([top, mid])
        child = Grid(code=f"C{r}", name=f"三级{r}", tier=3, county=COUNTY, parent=mid.code)
        promote = dataclasses.replace(mid, tier=1, parent=None)
        audits = len(neo4j.audit_log(limit=10_000))
        outcome = _race(stores, [[child], [promote]])

        failures = [e for e in outcome if e is not None]
        assert len(failures) == 1, f"round {r}: expected exactly one refusal, got {outcome}"
        assert isinstance(failures[0], LevelMismatchError), failures[0]
        won = "child" if outcome[0] is None else "promote"
        first[won] += 1
        stored_mid = neo4j.get(Grid, mid.code)
        assert stored_mid == (mid if won == "child" else promote), r
        assert (neo4j.get(Grid, child.code) is not None) == (won == "child"), r
        assert len(neo4j.audit_log(limit=10_000)) == audits + 1, r
        _grid_tiers_hold(neo4j)
    assert sum(first.values()) == rounds
    check_batch(_grid_tiers_hold(neo4j), neo4j)  # every grid invariant, against what is stored


def test_neo4j_concurrent_writers_get_distinct_audit_entries(
    neo4j: Neo4jStore, opened: Callable[..., Neo4jStore]
) -> None:
    stores = [opened() for _ in range(4)]
    before = len(neo4j.audit_log(limit=10_000))
    batches = [[Person(id=f"P{w}-{i}", name=f"人{w}{i}") for i in range(5)] for w in range(4)]
    assert _race(stores, batches) == [None] * 4
    log = neo4j.audit_log(limit=10_000)
    assert len(log) == before + 4
    ids = [e.id for e in log]
    assert len(set(ids)) == len(ids) and ids == sorted(ids, reverse=True)
    assert sorted(e.actor for e in log[:4]) == ["writer0", "writer1", "writer2", "writer3"]
    assert neo4j.count(Person) == 20


# --- the audit entry is part of the write -----------------------------------------------------


def test_neo4j_refused_write_leaves_audit_and_data_unchanged(neo4j: Neo4jStore) -> None:
    neo4j.apply([Grid(code="G1", name="一级", tier=1, county=COUNTY)])
    before, log = _state(neo4j), neo4j.audit_log(limit=10_000)
    bad = [
        Person(id="P9", name="新人"),  # valid, but in the same batch as a violation
        Grid(code="G3", name="三级", tier=3, county=COUNTY, parent="G1"),
    ]
    with pytest.raises(InvariantViolation):
        neo4j.apply(bad)
    assert _state(neo4j) == before
    assert neo4j.audit_log(limit=10_000) == log


def test_neo4j_accepted_write_adds_one_audit_entry_with_before_and_after(
    neo4j: Neo4jStore,
) -> None:
    neo4j.apply([Person(id="P1", name="张三")])
    log = neo4j.audit_log(limit=10_000)
    result = neo4j.apply(
        [Person(id="P1", name="张三", phone="110"), Person(id="P2", name="李四")],
        actor="tester",
        operation="edit",
        reason="换号",
    )
    after = neo4j.audit_log(limit=10_000)
    assert after[1:] == log
    entry = after[0]
    assert entry.id == result.audit_id and entry.id > log[0].id
    assert (entry.actor, entry.operation, entry.reason, entry.count) == (
        "tester",
        "edit",
        "换号",
        2,
    )
    changes = {c["key"]: c for c in entry.changes}
    assert changes["P1"]["kind"] == "person"
    assert changes["P1"]["before"]["phone"] in (None, "")
    assert changes["P1"]["after"]["phone"] == "110"
    assert changes["P2"]["before"] is None and changes["P2"]["after"]["name"] == "李四"


@pytest.mark.parametrize("failing", ["AUDIT_WRITE", "link", "create"])
def test_neo4j_data_and_audit_commit_together(
    neo4j: Neo4jStore, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A write failing at its last statement (the audit entry) or half way (creating or linking
    records) leaves neither data nor an audit entry: the records and the audit are one
    transaction."""
    neo4j.apply([Grid(code="G1", name="一级", tier=1, county=COUNTY)])
    before, log = _state(neo4j), neo4j.audit_log(limit=10_000)
    if failing == "AUDIT_WRITE":
        monkeypatch.setattr(cypher, "AUDIT_WRITE", "THIS IS NOT CYPHER")
    elif failing == "link":
        monkeypatch.setattr(cypher, "link", lambda kind, field: "THIS IS NOT CYPHER")
    else:  # creating the person fails: the grid (an earlier kind) is created by then
        create = cypher.create
        monkeypatch.setattr(
            cypher,
            "create",
            lambda kind, fields=(): "NOT" if kind == "person" else create(kind, fields),
        )
    with pytest.raises(Neo4jError) as info:
        neo4j.apply(
            [
                Person(id="P1", name="张三"),
                Grid(code="G2", name="二级", tier=2, county=COUNTY, parent="G1"),
            ]
        )
    assert not isinstance(info.value, InvariantViolation)
    monkeypatch.undo()
    assert _state(neo4j) == before
    assert neo4j.audit_log(limit=10_000) == log
    neo4j.apply([Person(id="P1", name="张三")])  # and the store still writes
    assert len(neo4j.audit_log(limit=10_000)) == len(log) + 1


# --- relationships follow the reference properties --------------------------------------------


def _links(store: Neo4jStore) -> list[tuple[str, str, str, str]]:
    """Every relationship between records: (label, key, type, target key), sorted."""
    records, _, _ = store.driver.execute_query(
        "MATCH (n)-[r]->(t) WHERE n.key IS NOT NULL "
        "RETURN labels(n)[0] AS label, n.key AS key, type(r) AS type, t.key AS target",
        database_=store.database,
    )
    return sorted((r["label"], r["key"], r["type"], r["target"]) for r in records)


def _references(store: Neo4jStore) -> list[tuple[str, str, str, str]]:
    """What the relationships must be: one per reference field set, to the record it names."""
    found = []
    for cls in KINDS.values():
        for rec in store.scan(cls):
            for field in cls.REFS:
                ref = getattr(rec, field)
                if ref is not None:
                    found.append((cls.__name__, rec.key, field.upper(), ref))
    return sorted(found)


def test_neo4j_relationships_follow_references_through_creates_and_changes(
    neo4j: Neo4jStore,
) -> None:
    """New records are created with their relationships (to records of the same write, of
    their own kind, or stored before); a changed reference moves its relationship, a cleared
    one drops it, an unchanged record keeps its own: always exactly one relationship per
    reference set, and a write of records equal to the stored ones changes nothing."""
    town = "451225100000"
    first: list[AnyRecord] = [
        Place(code=town, name="东门镇", level=Level.TOWNSHIP, parent=COUNTY),
        Role(code="grid_worker", name="网格员"),
        Grid(code="G1", name="一级", tier=1, county=COUNTY),
        Grid(code="G2", name="二级", tier=2, county=COUNTY, parent="G1"),
        Post(id="S1", role="grid_worker", grid="G2"),
        Post(id="S2", role="grid_worker", place=town),
        Person(id="P1", name="张三"),
        Person(id="P2", name="李四"),
        Holding(id="H1", person="P1", post="S1"),
        Holding(id="H2", person="P2", post="S2"),
    ]
    neo4j.apply(first)
    assert ("Holding", "H1", "POST", "S1") in _links(neo4j)
    assert ("Grid", "G2", "PARENT", "G1") in _links(neo4j)
    assert _links(neo4j) == _references(neo4j)
    neo4j.apply(
        [
            Post(id="S1", role="grid_worker", place=town, label="改设在镇"),  # grid → place
            Holding(id="H1", person="P2", post="S1"),  # another person
            Holding(id="H2", person="P2", post="S2", valid_to=date(2026, 1, 1)),  # no ref change
            Grid(code="G2", name="二级", tier=2, county=COUNTY, parent="G1"),  # unchanged
            Grid(code="G3", name="三级", tier=3, county=COUNTY, parent="G2"),
        ]
    )
    links = _links(neo4j)
    assert ("Post", "S1", "PLACE", town) in links
    assert ("Post", "S1", "GRID", "G2") not in links
    assert ("Holding", "H1", "PERSON", "P2") in links
    assert ("Holding", "H1", "PERSON", "P1") not in links
    assert links == _references(neo4j)
    state = _state(neo4j)
    neo4j.apply(first[:2])  # equal to the stored records: written (audited) but unchanged
    assert _state(neo4j) == state
    assert _links(neo4j) == links


def test_neo4j_creation_batches_alone_make_what_a_write_of_new_records_makes(
    neo4j: Neo4jStore,
) -> None:
    """``creation_batches`` (the import benchmark's baseline) run in one transaction, with no
    lock, checks or audit, leave the same records and relationships as ``apply`` of the same
    new records: it measures the statements a write runs, not a cheaper stand-in."""
    town = "451225100000"
    records: list[AnyRecord] = [
        Place(code=town, name="东门镇", level=Level.TOWNSHIP, parent=COUNTY),
        Role(code="grid_worker", name="网格员"),
        Grid(code="G1", name="一级", tier=1, county=COUNTY),
        Grid(code="G2", name="二级", tier=2, county=COUNTY, parent="G1"),  # own kind: linked after
        Post(id="S1", role="grid_worker", grid="G2"),
        Post(id="S2", role="grid_worker", place=town),
        Person(id="P1", name="张三", phone="13800000000"),
        Holding(id="H1", person="P1", post="S1", valid_from=date(2024, 1, 1)),
    ]
    neo4j.apply(records)
    written, links = _state(neo4j), _links(neo4j)
    batches = creation_batches(records)
    assert [s.split(" ")[-1] for s, _ in batches][-1] != "created"  # the parent link comes last
    assert sum(len(rows) for s, rows in batches if "CREATE (n:" in s) == len(records)
    neo4j.erase_all_data()
    neo4j.apply(PLACES)

    def work(tx: Any) -> None:
        for statement, rows in batches:
            tx.run(statement, rows=rows).consume()

    with neo4j.driver.session(database=neo4j.database) as session:
        session.execute_write(work)
    assert _state(neo4j) == written
    assert _links(neo4j) == links


# --- the Cypher text (no server) --------------------------------------------------------------


def test_cypher_labels_and_relationship_types() -> None:
    for kind, cls in KINDS.items():
        assert cypher.label(kind) == cls.__name__
    assert cypher.label("role_template") == "RoleTemplate"
    assert cypher.rel_type("parent") == "PARENT"
    assert cypher.rel_type("organization") == "ORGANIZATION"
    for bad in ("a b", "x]->(y", "", "1st"):
        with pytest.raises(ValueError):
            cypher.rel_type(bad)
    with pytest.raises(KeyError):
        cypher.label("nonsense")


def test_cypher_link_and_referrers_only_take_reference_fields() -> None:
    for kind, cls in KINDS.items():
        for field, target in cls.REFS.items():
            text = cypher.link(kind, field)
            assert f"(n:{cls.__name__} {{key: row.key}})" in text
            assert f"[old:{field.upper()}]" in text and f"[:{field.upper()}]" in text
            assert f"(target:{KINDS[target].__name__} {{key: row.ref}})" in text
            assert f"n.{field} IN $keys" in cypher.referrers_many(kind, field)
    for kind, field in [("place", "name"), ("grid", "tier"), ("person", "parent"), ("post", "id")]:
        with pytest.raises(ValueError):
            cypher.link(kind, field)
        with pytest.raises(ValueError):
            cypher.referrers_many(kind, field)


def test_cypher_schema_statements_cover_every_kind() -> None:
    statements = cypher.schema_statements()
    assert all(" IF NOT EXISTS " in s for s in statements)
    names = [s.split()[2] for s in statements]
    assert len(set(names)) == len(names)
    for kind, cls in KINDS.items():
        unique = f"FOR (n:{cls.__name__}) REQUIRE n.key IS UNIQUE"
        assert sum(unique in s for s in statements) == 1, kind
        for field in cls.REFS:
            index = f"FOR (n:{cls.__name__}) ON (n.{field})"
            assert sum(index in s for s in statements) == 1, (kind, field)
    assert any("(a:AuditEntry) REQUIRE a.id IS UNIQUE" in s for s in statements)
    assert any("(l:GridregLock) REQUIRE l.name IS UNIQUE" in s for s in statements)


def test_cypher_statements_interpolate_only_known_kinds() -> None:
    for make in (
        cypher.get_many,
        cypher.scan,
        cypher.count,
        cypher.create,
        cypher.update,
        cypher.ancestors,
    ):
        with pytest.raises(KeyError):
            make("Place) DETACH DELETE (n")
        assert ":Place" in make("place")


def test_neo4j_erase_moves_the_data_version_on_and_keeps_the_lock(neo4j: Neo4jStore) -> None:
    """Versions never repeat across an erase, so answers kept at an earlier version (of the data
    before the erase) are never taken as current; the lock is never deleted, so no reader sees the
    version fall back to 0 in the middle."""
    neo4j.apply([Person(id="P1", name="张三")])
    before = neo4j.data_version()
    neo4j.erase_all_data()
    assert neo4j.data_version() >= before + 2
    assert _state(neo4j) == {kind: [] for kind in KINDS}
    assert "GridregLock" not in cypher.ERASE_RELATIONSHIPS + cypher.ERASE_NODES
