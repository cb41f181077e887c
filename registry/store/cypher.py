"""Every Cypher statement gridreg sends to Neo4j, in one place.

Statements are parameterised; the only text interpolated is a label or relationship type taken
from the record kinds of ``registry.model`` (never from input). Each lookup is one statement
returning one row (lists are collected on the server).

Graph layout: every record is a node labelled with its kind (``Place``, ``Grid``, ``Post``,
``Holding``, ``Coverage``, ...; relation records are nodes too, so they keep their own key and
validity), with its fields as properties plus ``key``. Every reference field is both a property
(the key it refers to, indexed) and a relationship from the record to its target, typed by the
field's name in capitals: ``(:Place)-[:PARENT]->(:Place)``, ``(:Holding)-[:POST]->(:Post)``,
``(:Holding)-[:PERSON]->(:Person)``, ``(:Coverage)-[:GRID]->(:Grid)``. Audit entries are
``(:AuditEntry)`` nodes; the write lock is the single ``(:GridregLock {name: 'write'})`` node.

>>> label("role_template"), rel_type("parent")
('RoleTemplate', 'PARENT')
>>> print(get_many("place"))
UNWIND $keys AS k MATCH (n:Place {key: k}) RETURN collect(properties(n)) AS rows
>>> print(referrers_many("post", "place"))
MATCH (n:Post) WHERE n.place IN $keys RETURN collect(properties(n)) AS rows
"""

from __future__ import annotations

from registry.model import KINDS

__all__ = [
    "AUDIT_READ",
    "AUDIT_WRITE",
    "DATA_VERSION",
    "ENSURE_LOCK",
    "ERASE_BATCH",
    "KEEP_SEQ",
    "LOCK",
    "PING",
    "RESPONSIBLE_NEIGHBOURHOOD",
    "SUBTREE",
    "ancestors",
    "count",
    "get_many",
    "label",
    "link",
    "referrers_many",
    "rel_type",
    "scan",
    "schema_statements",
    "upsert",
]


def label(kind: str) -> str:
    """The node label of a record kind (its class name)."""
    return KINDS[kind].__name__


def rel_type(field: str) -> str:
    """The relationship type of a reference field."""
    if not field.isidentifier():
        raise ValueError(f"not a field name: {field!r}")
    return field.upper()


def _ref_field(kind: str, field: str) -> str:
    if field not in KINDS[kind].REFS:
        raise ValueError(f"{kind} has no reference field {field!r}")
    return field


def schema_statements() -> list[str]:
    """Constraints and indexes, idempotent: a unique ``key`` per kind, an index per reference."""
    out = []
    for kind, cls in KINDS.items():
        out.append(
            f"CREATE CONSTRAINT gridreg_{kind}_key IF NOT EXISTS "
            f"FOR (n:{label(kind)}) REQUIRE n.key IS UNIQUE"
        )
        for field in cls.REFS:
            out.append(
                f"CREATE INDEX gridreg_{kind}_{field} IF NOT EXISTS "
                f"FOR (n:{label(kind)}) ON (n.{field})"
            )
    out.append(
        "CREATE CONSTRAINT gridreg_audit_id IF NOT EXISTS FOR (a:AuditEntry) REQUIRE a.id IS UNIQUE"
    )
    out.append(
        "CREATE CONSTRAINT gridreg_lock_name IF NOT EXISTS "
        "FOR (l:GridregLock) REQUIRE l.name IS UNIQUE"
    )
    return out


PING = "RETURN 1 AS one"

#: The write lock: every write transaction starts by taking it, so writers run one after another
#: and each sees everything committed before it (the invariants need that); readers never wait.
ENSURE_LOCK = "MERGE (l:GridregLock {name: 'write'}) ON CREATE SET l.seq = 0"
LOCK = "MATCH (l:GridregLock {name: 'write'}) SET l.seq = l.seq + 1 RETURN l.seq AS seq"
#: The data version: the write lock's sequence (every committed write increments it). -1 when
#: the lock is missing (erased by another process and not yet put back).
DATA_VERSION = "OPTIONAL MATCH (l:GridregLock {name: 'write'}) RETURN coalesce(l.seq, -1) AS seq"
#: After an erase, the sequence continues where it was, so data versions never repeat.
KEEP_SEQ = "MATCH (l:GridregLock {name: 'write'}) SET l.seq = CASE WHEN l.seq < $seq THEN $seq ELSE l.seq END"

AUDIT_WRITE = (
    "CREATE (:AuditEntry {id: $id, at: $at, actor: $actor, operation: $operation, "
    "reason: $reason, count: $count, changes: $changes})"
)
AUDIT_READ = (
    "MATCH (a:AuditEntry) WHERE $since IS NULL OR a.at >= $since "
    "WITH a ORDER BY a.id DESC LIMIT $limit RETURN collect(properties(a)) AS rows"
)
#: Test and admin helper: delete everything gridreg stored, a batch at a time.
ERASE_BATCH = (
    "MATCH (n) WHERE n:GridregLock OR n:AuditEntry OR any(l IN labels(n) WHERE l IN $labels) "
    "WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted"
)


def get_many(kind: str) -> str:
    """Records of ``kind`` for ``$keys`` (one row; missing keys are absent)."""
    return f"UNWIND $keys AS k MATCH (n:{label(kind)} {{key: k}}) RETURN collect(properties(n)) AS rows"


def scan(kind: str) -> str:
    """Every record of ``kind``, one row each (streamed)."""
    return f"MATCH (n:{label(kind)}) RETURN properties(n) AS row"


def count(kind: str) -> str:
    """How many records of ``kind`` (from the count store)."""
    return f"MATCH (n:{label(kind)}) RETURN count(n) AS n"


def referrers_many(kind: str, field: str) -> str:
    """Records of ``kind`` whose reference ``field`` is one of ``$keys`` (one row)."""
    f = _ref_field(kind, field)
    return f"MATCH (n:{label(kind)}) WHERE n.{f} IN $keys RETURN collect(properties(n)) AS rows"


def upsert(kind: str) -> str:
    """Create or replace records of ``kind`` from ``$rows`` (each row holds ``key``)."""
    return f"UNWIND $rows AS row MERGE (n:{label(kind)} {{key: row.key}}) SET n = row"


def link(kind: str, field: str) -> str:
    """Replace the ``field`` relationship of each ``$rows`` record (``{key, ref}``)."""
    f = _ref_field(kind, field)
    target = label(KINDS[kind].REFS[f])
    t = rel_type(f)
    return (
        f"UNWIND $rows AS row MATCH (n:{label(kind)} {{key: row.key}}) "
        f"OPTIONAL MATCH (n)-[old:{t}]->() DELETE old "
        f"WITH DISTINCT n, row WHERE row.ref IS NOT NULL "
        f"MATCH (target:{target} {{key: row.ref}}) CREATE (n)-[:{t}]->(target)"
    )


def ancestors(kind: str) -> str:
    """Ancestors of the records of ``kind`` at ``$keys`` (one row)."""
    lb = label(kind)
    return (
        f"UNWIND $keys AS k MATCH (:{lb} {{key: k}})-[:PARENT*1..16]->(a:{lb}) "
        f"RETURN collect(DISTINCT properties(a)) AS rows"
    )


#: A place and every place below it (one row).
SUBTREE = (
    "MATCH (:Place {key: $key})<-[:PARENT*0..16]-(p:Place) RETURN collect(properties(p)) AS rows"
)

#: Everything ``responsible_for`` reads, in one round trip and one row. Keep in step with
#: ``registry.queries.responsibility``: what is fetched and which ``referrers`` answers are
#: complete (the ``*_keys`` lists) is what that module reads. A read the prefetch misses still
#: answers correctly (it goes to the store), and the conformance tests count round trips.
RESPONSIBLE_NEIGHBOURHOOD = """
OPTIONAL MATCH (p0:Place {key: $place})
OPTIONAL MATCH (g0:Grid {key: $grid})
OPTIONAL MATCH (c0:Category {key: $category})
CALL (g0) {
  OPTIONAL MATCH (g0)<-[:GRID]-(cv:Coverage)
  OPTIONAL MATCH (cv)-[:PLACE]->(pl:Place)
  RETURN collect(DISTINCT cv) AS grid_links, collect(DISTINCT pl) AS grid_places
}
WITH p0, g0, c0, grid_links, CASE WHEN p0 IS NULL THEN grid_places ELSE [p0] END AS subjects
CALL (subjects) {
  UNWIND subjects AS s
  MATCH (s)-[:PARENT*0..16]->(a:Place)
  RETURN collect(DISTINCT a) AS places
}
CALL (p0) {
  OPTIONAL MATCH (p0)<-[:PLACE]-(cv:Coverage)
  OPTIONAL MATCH (cv)-[:GRID]->(g:Grid)
  RETURN collect(DISTINCT cv) AS place_links, collect(DISTINCT g) AS place_grids
}
WITH *, place_grids + CASE WHEN g0 IS NULL THEN [] ELSE [g0] END AS start_grids
CALL (start_grids) {
  UNWIND start_grids AS g
  MATCH (g)-[:PARENT*0..16]->(up:Grid)
  RETURN collect(DISTINCT up) AS grids
}
CALL (c0) {
  OPTIONAL MATCH (c0)-[:PARENT*0..16]->(c:Category)
  RETURN collect(DISTINCT c) AS categories
}
CALL (categories) {
  UNWIND categories AS c
  MATCH (c)<-[:CATEGORY]-(h:Handling)
  RETURN collect(DISTINCT h) AS handlings
}
CALL (handlings) {
  UNWIND handlings AS h
  MATCH (h)-[:ORGANIZATION]->(o:Organization)
  RETURN collect(DISTINCT o) AS handlers
}
CALL (handlers) {
  UNWIND handlers AS o
  MATCH (o)<-[:ORGANIZATION]-(j:Jurisdiction)
  RETURN collect(DISTINCT j) AS jurisdictions
}
CALL (handlers) {
  UNWIND handlers AS o
  MATCH (o)-[:PLACE]->(:Place)-[:PARENT*0..16]->(a:Place)
  RETURN collect(DISTINCT a) AS handler_places
}
CALL (places) {
  UNWIND places AS a
  MATCH (a)<-[:PLACE]-(o:Organization)
  RETURN collect(DISTINCT o) AS place_orgs
}
WITH *, place_orgs + [o IN handlers WHERE NOT o IN place_orgs] AS orgs
CALL (grids) {
  UNWIND grids AS g
  MATCH (g)<-[:GRID]-(s:Post)
  RETURN collect(DISTINCT s) AS grid_posts
}
CALL (places) {
  UNWIND places AS a
  MATCH (a)<-[:PLACE]-(s:Post)
  RETURN collect(DISTINCT s) AS place_posts
}
CALL (orgs) {
  UNWIND orgs AS o
  MATCH (o)<-[:ORGANIZATION]-(s:Post)
  RETURN collect(DISTINCT s) AS org_posts
}
WITH *, grid_posts + place_posts + org_posts AS posts
CALL (posts) {
  UNWIND posts AS s
  MATCH (s)<-[:POST]-(h:Holding)
  RETURN collect(DISTINCT h) AS holdings
}
CALL (holdings) {
  UNWIND holdings AS h
  MATCH (h)-[:PERSON]->(p:Person)
  RETURN collect(DISTINCT p) AS persons
}
RETURN {
  place: [x IN places + handler_places | properties(x)],
  grid: [x IN grids | properties(x)],
  coverage: [x IN grid_links + place_links | properties(x)],
  category: [x IN categories | properties(x)],
  handling: [x IN handlings | properties(x)],
  organization: [x IN orgs | properties(x)],
  jurisdiction: [x IN jurisdictions | properties(x)],
  post: [x IN posts | properties(x)],
  holding: [x IN holdings | properties(x)],
  person: [x IN persons | properties(x)]
} AS found,
  p0 IS NOT NULL AS place_found, g0 IS NOT NULL AS grid_found, c0 IS NOT NULL AS category_found,
  [x IN places | x.key] AS place_keys, [x IN grids | x.key] AS grid_keys,
  [x IN orgs | x.key] AS organization_keys, [x IN categories | x.key] AS category_keys,
  [x IN handlers | x.key] AS handler_keys, [x IN posts | x.key] AS post_keys
"""
