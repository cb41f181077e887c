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
``(:AuditEntry)`` nodes; the write lock is the single ``(:GridregLock {name: 'write'})`` node;
API tokens are ``(:GridregToken {id, name, role, scope, secret_hash, created_at, expires_at,
revoked_at})`` nodes (only the secret's hash is stored).

>>> label("role_template"), rel_type("parent")
('RoleTemplate', 'PARENT')
>>> print(get_many("place"))
UNWIND $keys AS k MATCH (n:Place {key: k}) RETURN collect(properties(n)) AS rows
>>> print(referrers_many("post", "place"))
MATCH (n:Post) WHERE n.place IN $keys RETURN collect(properties(n)) AS rows
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from registry.model import KINDS

__all__ = [
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BUMP_SEQ",
    "DATA_VERSION",
    "ENSURE_LOCK",
    "ERASE_NODES",
    "ERASE_RELATIONSHIPS",
    "LOCK",
    "PING",
    "REGION_NEIGHBOURHOOD",
    "RESPONSIBLE_NEIGHBOURHOOD",
    "TOKEN_GET",
    "TOKEN_LIST",
    "TOKEN_PUT",
    "TOKEN_REVOKE",
    "ancestors",
    "count",
    "create",
    "get_many",
    "label",
    "link",
    "referrers_many",
    "rel_type",
    "scan",
    "schema_statements",
    "update",
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
        "CREATE CONSTRAINT gridreg_audit_write IF NOT EXISTS "
        "FOR (a:AuditEntry) REQUIRE a.write_id IS UNIQUE"
    )
    out.append(
        "CREATE CONSTRAINT gridreg_lock_name IF NOT EXISTS "
        "FOR (l:GridregLock) REQUIRE l.name IS UNIQUE"
    )
    out.append(
        "CREATE CONSTRAINT gridreg_token_id IF NOT EXISTS "
        "FOR (t:GridregToken) REQUIRE t.id IS UNIQUE"
    )
    return out


PING = "RETURN 1 AS one"

#: The write lock: every write transaction starts by taking it, so writers run one after another
#: and each sees everything committed before it (the invariants need that); readers never wait.
ENSURE_LOCK = "MERGE (l:GridregLock {name: 'write'}) ON CREATE SET l.seq = 0"
#: It also answers whether the write ``$write_id`` is already committed (an earlier attempt whose
#: acknowledgement was lost): read after the lock is taken, so that attempt has finished.
LOCK = (
    "MATCH (l:GridregLock {name: 'write'}) SET l.seq = l.seq + 1 "
    "WITH l OPTIONAL MATCH (a:AuditEntry {write_id: $write_id}) "
    "RETURN l.seq AS seq, a.id AS done, a.count AS count"
)
#: The data version: the write lock's sequence (every committed write increments it). -1 when
#: the lock is missing (deleted by hand; ``erase_all_data`` keeps it).
DATA_VERSION = "OPTIONAL MATCH (l:GridregLock {name: 'write'}) RETURN coalesce(l.seq, -1) AS seq"
#: An erase moves the data version on before and after it (the lock itself is never erased), so
#: a version never repeats and answers kept at any earlier version are never taken as current.
BUMP_SEQ = "MATCH (l:GridregLock {name: 'write'}) SET l.seq = l.seq + 1"

AUDIT_WRITE = (
    "CREATE (:AuditEntry {id: $id, write_id: $write_id, at: $at, actor: $actor, "
    "operation: $operation, reason: $reason, count: $count, changes: $changes})"
)
AUDIT_READ = (
    "MATCH (a:AuditEntry) WHERE $since IS NULL OR a.at >= $since "
    "WITH a ORDER BY a.id DESC LIMIT $limit RETURN collect(properties(a)) AS rows"
)
#: API tokens (not registry records: no audit entry, no write lock).
TOKEN_PUT = (
    "MERGE (t:GridregToken {id: $id}) SET t.name = $name, t.role = $role, t.scope = $scope, "
    "t.secret_hash = $secret_hash, t.created_at = $created_at, t.expires_at = $expires_at, "
    "t.revoked_at = $revoked_at"
)
TOKEN_GET = "OPTIONAL MATCH (t:GridregToken {id: $id}) RETURN properties(t) AS token"
TOKEN_LIST = "MATCH (t:GridregToken) RETURN collect(properties(t)) AS tokens"
TOKEN_REVOKE = (
    "OPTIONAL MATCH (t:GridregToken {id: $id}) WHERE t.revoked_at IS NULL "
    "SET t.revoked_at = $at RETURN t IS NOT NULL AS revoked"
)
#: Test and admin helper: delete everything gridreg stored but the write lock, relationships
#: first, then the nodes, ``$batch`` per inner transaction: no transaction grows with the store
#: (deleting 20,000 nodes with their relationships in one transaction exhausted a 512 MB heap
#: at city scale, and stalled at province scale).
_ERASED = "(n:AuditEntry OR n:GridregToken OR any(l IN labels(n) WHERE l IN $labels))"
ERASE_RELATIONSHIPS = (
    f"MATCH (n)-[r]->() WHERE {_ERASED} CALL (r) {{ DELETE r }} IN TRANSACTIONS OF $batch ROWS"
)
ERASE_NODES = (
    f"MATCH (n) WHERE {_ERASED} CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF $batch ROWS"
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


def _properties(kind: str) -> list[str]:
    """The node properties of a record kind: its fields, then ``key``."""
    return [f.name for f in dataclasses.fields(KINDS[kind])] + ["key"]


def create(kind: str, fields: Sequence[str] = ()) -> str:
    """Create records of ``kind`` that are not stored yet from ``$rows`` (each row holds
    ``key``), each with the relationships of its reference ``fields``: set in every row, and
    their targets exist before the statement runs (the targets are found by key first, so the
    statement reads nothing it writes). Returns how many records were created: fewer than the
    rows when a target was missing (the caller then rolls back).

    The properties are named (a missing or null one is not set), not copied from the row as a
    map: ``SET n = row`` may write any property, ``key`` included, so the planner would put an
    ``Eager`` between the lookups and the writes.
    """
    refs = [_ref_field(kind, f) for f in fields]
    targets = "".join(
        f"MATCH (t{i}:{label(KINDS[kind].REFS[f])} {{key: row.{f}}}) " for i, f in enumerate(refs)
    )
    props = ", ".join(f"`{p}`: row.`{p}`" for p in _properties(kind))
    links = "".join(f", (n)-[:{rel_type(f)}]->(t{i})" for i, f in enumerate(refs))
    return (
        f"UNWIND $rows AS row {targets}"
        f"CREATE (n:{label(kind)} {{{props}}}){links} RETURN count(*) AS created"
    )


def update(kind: str) -> str:
    """Replace the properties of stored records of ``kind`` from ``$rows`` (each row holds
    ``key``; a field missing from a row is removed). Relationships are left alone (see
    ``link``). Returns how many records were updated."""
    props = ", ".join(f"n.`{p}` = row.`{p}`" for p in _properties(kind) if p != "key")
    return (
        f"UNWIND $rows AS row MATCH (n:{label(kind)} {{key: row.key}}) SET {props} "
        f"RETURN count(*) AS updated"
    )


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


#: For the organizations ``orgs`` of a routing part: their jurisdictions and posts (in one
#: expansion), the place each is located in with that place's ancestors, and the holdings of
#: ``seats`` and of their posts with the people holding them.
_ORGANIZATIONS = """  CALL (orgs) {
    UNWIND orgs AS o
    MATCH (o)<-[:ORGANIZATION]-(x)
    WHERE x:Jurisdiction OR x:Post
    RETURN collect(DISTINCT CASE WHEN x:Jurisdiction THEN x END) AS org_jurisdictions,
      collect(DISTINCT CASE WHEN x:Post THEN x END) AS org_posts
  }
  CALL (orgs) {
    UNWIND orgs AS o
    MATCH (o)-[:PLACE]->(site:Place)
    WITH DISTINCT site
    MATCH (site)-[:PARENT*0..16]->(a:Place)
    RETURN collect(DISTINCT a) AS org_places
  }
  CALL (seats, org_posts) {
    UNWIND seats + org_posts AS s
    MATCH (s)<-[:POST]-(h:Holding)
    RETURN collect(DISTINCT h) AS holdings
  }
  CALL (holdings) {
    UNWIND holdings AS h
    MATCH (h)-[:PERSON]->(q:Person)
    RETURN collect(DISTINCT q) AS persons
  }
"""

#: Everything ``responsible_for`` reads for a set of requests, in one round trip and one row.
#:
#: Parameters: ``$places``, ``$grids`` and ``$categories``, the distinct keys asked for by the
#: requests (a request names a place or a grid, and maybe a category). Every part below depends
#: only on these sets, and grows with them (more places asked: more ancestors, organizations,
#: seats), so one statement answers one request or a whole batch, and what it fetches for a
#: batch is the union of what it fetches for each request.
#:
#: The row is split in parts the Python side (``registry.store.routing_parts``) can keep:
#:
#: - ``found``: what is particular to the requests (the asked records, their coverage, the
#:   place chains, the grid chains with their seats, the category chains) and the roles;
#: - ``place_parts``: for each chain place, what refers to it (its alliances and partners, the
#:   organizations located in it or serving it, its seats, its borders) with those
#:   organizations' chains, seats and jurisdictions;
#: - ``category_parts``: for each category of the chains, every handling rule of it, with the
#:   organizations the rules name, their chains, seats and jurisdictions.
#:
#: A place part depends on nothing but its place and a category part on nothing but its
#: category, so many requests share them: ``$parts_version`` is the data version of the parts
#: the caller keeps, ``$kept_places`` and ``$kept_categories`` their keys. When the data version
#: is still ``$parts_version`` (``warm``), kept parts and the roles are not read again.
#:
#: Keep in step with ``registry.queries`` (``responsibility``, ``seats``, ``handling``,
#: ``escalation``, ``alliances``, ``hierarchy``): the Python side claims the ``referrers``
#: answers each part fetches in full. A read the prefetch misses still answers correctly (it
#: goes to the store), and the conformance tests count round trips (one per
#: ``responsible_for``) and misses.
#:
#: ``$known`` is a data version the caller holds answers for: when the server's data version
#: is still ``$known`` the statement returns no row and reads nothing else (pass -2 to always
#: fetch). The row carries the data version read first (``version_before``) and whether it is
#: still the version when the statement ends (``unchanged``): then no write committed while the
#: statement read, so what it read is that version's data.
RESPONSIBLE_NEIGHBOURHOOD = """
// 0. The data version (the write lock's sequence): nothing more when it is still $known.
OPTIONAL MATCH (lock:GridregLock {name: 'write'})
WITH coalesce(lock.seq, -1) AS version_before
WHERE version_before <> $known
WITH version_before, version_before = $parts_version AS warm
// 1. What was asked for (a key that matches nothing is reported missing by its absence).
CALL () {
  UNWIND $places AS k
  MATCH (p:Place {key: k})
  RETURN collect(p) AS asked_places
}
CALL () {
  UNWIND $grids AS k
  MATCH (g:Grid {key: k})
  RETURN collect(g) AS asked_grids
}
CALL () {
  UNWIND $categories AS k
  MATCH (c:Category {key: k})
  RETURN collect(c) AS asked_categories
}
// 2. Coverage: the grids covering an asked place (its most local grids), and the places an
//    asked grid covers (the first one in force is the request's place).
CALL (asked_places) {
  UNWIND asked_places AS p
  MATCH (p)<-[:PLACE]-(cv:Coverage)
  OPTIONAL MATCH (cv)-[:GRID]->(g:Grid)
  RETURN collect(DISTINCT cv) AS place_links, collect(DISTINCT g) AS covering
}
CALL (asked_grids) {
  UNWIND asked_grids AS g
  MATCH (g)<-[:GRID]-(cv:Coverage)
  OPTIONAL MATCH (cv)-[:PLACE]->(p:Place)
  RETURN collect(DISTINCT cv) AS grid_links, collect(DISTINCT p) AS covered
}
// 3. The place chain: every subject place and its ancestors (village, township, county, ...).
CALL (asked_places, covered) {
  UNWIND asked_places + covered AS s
  MATCH (s)-[:PARENT*0..16]->(a:Place)
  RETURN collect(DISTINCT a) AS chain
}
// 4. The grid chain: the asked and covering grids and their ancestors (tiers, seat fallback),
//    their seats, who holds them and those people.
CALL (asked_grids, covering) {
  UNWIND asked_grids + covering AS g
  MATCH (g)-[:PARENT*0..16]->(up:Grid)
  RETURN collect(DISTINCT up) AS grids
}
CALL (grids) {
  UNWIND grids AS g
  MATCH (g)<-[:GRID]-(s:Post)
  RETURN collect(DISTINCT s) AS grid_posts
}
CALL (grid_posts) {
  UNWIND grid_posts AS s
  MATCH (s)<-[:POST]-(h:Holding)
  RETURN collect(DISTINCT h) AS grid_holdings
}
CALL (grid_holdings) {
  UNWIND grid_holdings AS h
  MATCH (h)-[:PERSON]->(p:Person)
  RETURN collect(DISTINCT p) AS grid_persons
}
// 5. The category chain (a category inherits from its class).
CALL (asked_categories) {
  UNWIND asked_categories AS c
  MATCH (c)-[:PARENT*0..16]->(up:Category)
  RETURN collect(DISTINCT up) AS categories
}
// 6. Every role, unless kept: a small catalogue (a vacant seat reads its role's ``fallback``).
CALL (warm) {
  WITH warm WHERE NOT warm
  MATCH (r:Role)
  RETURN collect(r) AS roles
}
// 7. A part per chain place not kept: its memberships (the county's alliances: every
//    membership of those alliances, the partner places with their ancestors and the
//    organizations located in them), the organizations located in it, the jurisdictions over
//    it (with their organizations), its posts, and its borders (on either side: the places on
//    both sides with their ancestors, the bordering counties). Then, for every organization
//    found, its parent chain (escalation, seat fallback) less the organizations located in a
//    place above the part's (that place's part holds them: the chain of a village's centre
//    stops below the township's), and for each of those its jurisdictions and posts and the
//    place it is located in with that place's ancestors; the posts' holdings and their
//    people.
CALL (chain, warm) {
  UNWIND [p IN chain WHERE NOT (warm AND p.key IN $kept_places)] AS p
  CALL (p) {
    MATCH (p)<-[:PLACE]-(x)
    WHERE x:Membership OR x:Organization OR x:Jurisdiction OR x:Post
    RETURN collect(DISTINCT CASE WHEN x:Membership THEN x END) AS own_memberships,
      collect(DISTINCT CASE WHEN x:Organization THEN x END) AS located,
      collect(DISTINCT CASE WHEN x:Jurisdiction THEN x END) AS serving,
      collect(DISTINCT CASE WHEN x:Post THEN x END) AS seats
  }
  CALL (own_memberships) {
    UNWIND own_memberships AS m
    MATCH (m)-[:ALLIANCE]->(a:Alliance)
    RETURN collect(DISTINCT a) AS alliances
  }
  CALL (alliances) {
    UNWIND alliances AS a
    MATCH (a)<-[:ALLIANCE]-(m:Membership)
    RETURN collect(DISTINCT m) AS memberships
  }
  CALL (memberships) {
    UNWIND memberships AS m
    MATCH (m)-[:PLACE]->(q:Place)
    RETURN collect(DISTINCT q) AS partners
  }
  CALL (partners) {
    UNWIND partners AS q
    MATCH (q)-[:PARENT*0..16]->(a:Place)
    RETURN collect(DISTINCT a) AS partner_places
  }
  CALL (partners) {
    UNWIND partners AS q
    MATCH (q)<-[:PLACE]-(o:Organization)
    RETURN collect(DISTINCT o) AS partner_orgs
  }
  CALL (p) {
    MATCH (p)<-[:PLACE|OTHER]-(b:Border)
    RETURN collect(DISTINCT b) AS borders
  }
  CALL (borders) {
    UNWIND borders AS b
    MATCH (b)-[:PLACE|OTHER]->(:Place)-[:PARENT*0..16]->(a:Place)
    RETURN collect(DISTINCT a) AS border_places
  }
  CALL (serving) {
    UNWIND serving AS j
    MATCH (j)-[:ORGANIZATION]->(o:Organization)
    RETURN collect(DISTINCT o) AS serving_orgs
  }
  CALL (p) {
    MATCH (p)-[:PARENT*1..16]->(a:Place)
    RETURN collect(a.key) AS above
  }
  CALL (located, partner_orgs, serving_orgs, above) {
    UNWIND located + partner_orgs + serving_orgs AS o
    WITH DISTINCT o
    MATCH (o)-[:PARENT*0..16]->(up:Organization)
    WITH DISTINCT up, above
    WHERE up.place IS NULL OR NOT up.place IN above
    RETURN collect(up) AS orgs
  }
  // @organizations
  CALL (serving, org_jurisdictions) {
    UNWIND serving + org_jurisdictions AS j
    RETURN collect(DISTINCT j) AS jurisdictions
  }
  CALL (p, above, partner_places, border_places, org_places) {
    UNWIND partner_places + border_places + org_places AS q
    WITH DISTINCT q, p, above
    WHERE q <> p AND NOT q.key IN above  // the chain: every request holding p has them
    RETURN collect(q) AS places
  }
  RETURN collect({
    key: p.key,
    level: p.level,
    partner_keys: [x IN partners | x.key],
    found: {
      place: [x IN places | properties(x)],
      membership: [x IN memberships | properties(x)],
      alliance: [x IN alliances | properties(x)],
      border: [x IN borders | properties(x)],
      organization: [x IN orgs | properties(x)],
      jurisdiction: [x IN jurisdictions | properties(x)],
      post: [x IN seats + org_posts | properties(x)],
      holding: [x IN holdings | properties(x)],
      person: [x IN persons | properties(x)]
    }
  }) AS place_parts
}
// 8. A part per chain category not kept: every handling rule of it, the organizations the
//    rules name with their parent chains (a named organization's units), and for each of
//    those its jurisdictions, posts (with their holdings and people) and the place it is
//    located in with that place's ancestors (a named organization's county).
CALL (categories, warm) {
  UNWIND [c IN categories WHERE NOT (warm AND c.key IN $kept_categories)] AS c
  CALL (c) {
    MATCH (c)<-[:CATEGORY]-(h:Handling)
    RETURN collect(h) AS handlings
  }
  CALL (handlings) {
    UNWIND handlings AS h
    MATCH (h)-[:ORGANIZATION]->(o:Organization)
    WITH DISTINCT o
    MATCH (o)-[:PARENT*0..16]->(up:Organization)
    RETURN collect(DISTINCT up) AS orgs
  }
  WITH c, handlings, orgs, [] AS seats
  // @organizations
  RETURN collect({
    key: c.key,
    found: {
      handling: [x IN handlings | properties(x)],
      place: [x IN org_places | properties(x)],
      organization: [x IN orgs | properties(x)],
      jurisdiction: [x IN org_jurisdictions | properties(x)],
      post: [x IN org_posts | properties(x)],
      holding: [x IN holdings | properties(x)],
      person: [x IN persons | properties(x)]
    }
  }) AS category_parts
}
// 9. One row: the records by kind, the parts, and the keys the Python side claims or marks
//    missing.
CALL (chain, covered) {
  UNWIND chain + covered AS p
  RETURN collect(DISTINCT p) AS places
}
RETURN {
  place: [x IN places | properties(x)],
  grid: [x IN grids | properties(x)],
  coverage: [x IN place_links + grid_links | properties(x)],
  category: [x IN categories | properties(x)],
  post: [x IN grid_posts | properties(x)],
  holding: [x IN grid_holdings | properties(x)],
  person: [x IN grid_persons | properties(x)],
  role: [x IN roles | properties(x)]
} AS found,
  place_parts,
  category_parts,
  [x IN asked_places | x.key] AS places_found,
  [x IN asked_grids | x.key] AS grids_found,
  [x IN asked_categories | x.key] AS categories_found,
  [x IN chain | x.key] AS chain_keys,
  version_before,
  warm,
  COUNT { MATCH (l:GridregLock {name: 'write'}) WHERE l.seq = version_before } > 0 AS unchanged
""".replace("  // @organizations\n", _ORGANIZATIONS)

#: Everything the planners' reports read for a region, in one round trip and one row (no row
#: when there is no place ``$scope``).
#:
#: Parameters: ``$scope``, the region's place; ``$county``, the county level's name; ``$wide``,
#: the levels whose region holds every grid of its counties (``region_of``: province,
#: prefecture, county); ``$templates`` and ``$regions``, the keys of every role template and of
#: their regions (the Python side scans the templates first).
#:
#: The reports (``registry.queries``: ``coverage``, ``territory``, ``workload``, ``structure``,
#: ``reach``, all on ``region.region_of``) read the region at a date; this statement fetches
#: what they may read at any date (records out of force included), so the Python side
#: (``Neo4jStore.prefetch_coverage``) can claim the ``referrers`` answers in full. Keep the two
#: in step with the reports: a read the prefetch misses still answers correctly (it goes to
#: the store), and the conformance tests count round trips and misses.
REGION_NEIGHBOURHOOD = """
// 1. The scope, every place below it (depth first in region_of: their children are claimed)
//    and its ancestors (each region place's township and county).
MATCH (root:Place {key: $scope})
CALL (root) {
  MATCH (root)<-[:PARENT*0..16]-(p:Place)
  RETURN collect(p) AS subtree
}
CALL (root) {
  MATCH (root)-[:PARENT*1..16]->(a:Place)
  RETURN collect(a) AS above
}
// 2. The counties involved: those in the region, or the one above it (a township's county).
WITH root, subtree, above, [p IN subtree + above WHERE p.level = $county] AS counties
// 3. Every grid of those counties (region_of places each grid by its anchor, the first place
//    it or its nearest ancestor covers), every coverage link of those grids, and the counties'
//    grid tiers (the lowest tier's level). A grid's parent is a grid of its county.
CALL (counties) {
  UNWIND counties AS c
  MATCH (c)<-[:COUNTY]-(g:Grid)
  RETURN collect(g) AS county_grids
}
CALL (county_grids) {
  UNWIND county_grids AS g
  MATCH (g)<-[:GRID]-(cv:Coverage)
  RETURN collect(cv) AS grid_links
}
CALL (counties) {
  UNWIND counties AS c
  MATCH (c)<-[:COUNTY]-(t:GridTier)
  RETURN collect(t) AS tiers
}
// 4. Coverage of the region's places (lowest cover, uncovered places): the links of the
//    counties' grids are in part 3, so only the links of other counties' grids are added.
//    (Parts test nodes against lists, never a property of a node not yet bound: such a test
//    lets the planner start from an index instead, and a plan made while the store was empty
//    then joins whole labels, out of memory.)
CALL (subtree, counties) {
  UNWIND subtree AS p
  MATCH (p)<-[:PLACE]-(cv:Coverage)-[:GRID]->(:Grid)-[:COUNTY]->(c:Place)
  WHERE NOT c IN counties
  RETURN collect(cv) AS place_links
}
// 5. The grids that may belong to the region at some date, whose seats are read: at a wide
//    scope every grid of the counties; below, a grid whose anchor lies in the region, so one
//    that (or an ancestor of which) covers a place of the region (a grid of another county
//    covering one adds its seats too: more than needed, never less).
CALL (root, subtree) {
  UNWIND CASE WHEN root.level IN $wide THEN [] ELSE subtree END AS p
  MATCH (p)<-[:PLACE]-(:Coverage)-[:GRID]->(:Grid)<-[:PARENT*0..16]-(g:Grid)
  RETURN collect(DISTINCT g) AS anchored
}
WITH *, CASE WHEN root.level IN $wide THEN county_grids ELSE anchored END AS grids
// 6. Seats: the posts of the region's places and grids (each post has exactly one owner), who
//    holds them, and those people (worker load names the holders of grid seats).
CALL (subtree) {
  UNWIND subtree AS p
  MATCH (p)<-[:PLACE]-(s:Post)
  RETURN collect(s) AS place_posts
}
CALL (grids) {
  UNWIND grids AS g
  MATCH (g)<-[:GRID]-(s:Post)
  RETURN collect(s) AS grid_posts
}
CALL (place_posts, grid_posts) {
  UNWIND place_posts + grid_posts AS s
  MATCH (s)<-[:POST]-(h:Holding)
  RETURN collect(h) AS holdings
}
CALL (holdings) {
  UNWIND holdings AS h
  MATCH (h)-[:PERSON]->(p:Person)
  RETURN collect(DISTINCT p) AS persons
}
// 7. Organizations located in the region's places (centres, mediation points), and where
//    each is stationed (departments reporting to a centre).
CALL (subtree) {
  UNWIND subtree AS p
  MATCH (p)<-[:PLACE]-(o:Organization)
  RETURN collect(o) AS located
}
CALL (located) {
  UNWIND located AS o
  MATCH (o)<-[:ORGANIZATION]-(st:Stationing)
  RETURN collect(st) AS stationings
}
// 8. Isolated border counties: the counties' alliance memberships, the borders of the region's
//    places and counties (on either side), and the places on both sides with their ancestors
//    (the county across the border).
CALL (counties) {
  UNWIND counties AS c
  MATCH (c)<-[:PLACE]-(m:Membership)
  RETURN collect(m) AS memberships
}
CALL (subtree, counties) {
  UNWIND subtree + counties AS p
  MATCH (p)<-[:PLACE|OTHER]-(b:Border)
  RETURN collect(DISTINCT b) AS borders
}
CALL (borders) {
  UNWIND borders AS b
  MATCH (b)-[:PLACE|OTHER]->(:Place)-[:PARENT*0..16]->(a:Place)
  RETURN collect(DISTINCT a) AS border_places
}
// 9. The outlines of the region's places (distance coverage measures from their centroids).
CALL (subtree) {
  UNWIND subtree AS p
  MATCH (p)<-[:PLACE]-(b:Boundary)
  RETURN collect(b) AS boundaries
}
// 10. Staffing standards: the requirements of every template, and each template's region
//     with its ancestors (does the template apply to the scope?).
CALL () {
  UNWIND $templates AS k
  MATCH (:RoleTemplate {key: k})<-[:TEMPLATE]-(r:Requirement)
  RETURN collect(r) AS requirements
}
CALL () {
  UNWIND $regions AS k
  MATCH (:Place {key: k})-[:PARENT*0..16]->(a:Place)
  RETURN collect(DISTINCT a) AS template_places
}
// 11. Every role: a small catalogue (a seat's or a requirement's role is named by its code).
CALL () {
  MATCH (r:Role)
  RETURN collect(r) AS roles
}
// 12. One row: the records by kind (a record may come twice: the Python side keeps one), and
//     the keys the Python side claims.
RETURN {
  place: [x IN subtree + above + border_places + template_places | properties(x)],
  grid: [x IN county_grids | properties(x)],
  coverage: [x IN grid_links + place_links | properties(x)],
  grid_tier: [x IN tiers | properties(x)],
  post: [x IN place_posts + grid_posts | properties(x)],
  holding: [x IN holdings | properties(x)],
  person: [x IN persons | properties(x)],
  organization: [x IN located | properties(x)],
  stationing: [x IN stationings | properties(x)],
  membership: [x IN memberships | properties(x)],
  border: [x IN borders | properties(x)],
  boundary: [x IN boundaries | properties(x)],
  requirement: [x IN requirements | properties(x)],
  role: [x IN roles | properties(x)]
} AS found,
  [x IN subtree | x.key] AS subtree_keys,
  [x IN counties | x.key] AS county_keys,
  [x IN grids | x.key] AS grid_keys
"""
