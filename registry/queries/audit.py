"""Reading the audit trail, scoped to a region.

Every committed write leaves one ``AuditEntry`` (actor, time, operation, reason and, for small
writes, each changed record before and after). ``audit_entries(store, scope, since)`` returns the
entries, newest first, that touch ``scope``: a change touches the places its record is about,
before or after the change (a grid moved out of a county shows in both counties' logs):

* a place: itself and its parent; a grid: its county; a boundary, coverage, post or jurisdiction:
  the place, grid or organization it is at; a holding: its post's; an organization: its place; a
  membership or border: its places; a role template: its region;
* records about no place (roles, categories, handling rules, alliances, persons) and API token
  changes (kind ``token``) are in no region's log: only an unscoped read (``scope`` None) sees
  them.

Entries of large writes carry no per-record changes (``changes`` is empty): they are in every
log, since what they touched is not recorded.

>>> from registry.model import Person, Place, Level
>>> from registry.testing import sample_store
>>> store = sample_store()
>>> _ = store.apply([Place(code="451225100202", name="新村", level=Level.VILLAGE,
...                        parent="451225100000")], actor="editor", reason="新建")
>>> _ = store.apply([Person(id="P9", name="莫文")], actor="admin")
>>> [e.actor for e in audit_entries(store, "451225100000")]
['editor', 'sample']
>>> [e.actor for e in audit_entries(store, None)]
['admin', 'editor', 'sample']
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from registry.model import Grid, Organization, Place, Post
from registry.queries.hierarchy import ancestors
from registry.store.base import AuditEntry, GraphStore

__all__ = ["MAX_AUDIT", "audit_entries", "touched_places"]

#: Most entries read from the store for one call.
MAX_AUDIT = 10_000


def audit_entries(
    store: GraphStore, scope: str | None, since: datetime | None = None, limit: int = MAX_AUDIT
) -> list[AuditEntry]:
    """Entries since ``since`` (newest first) that touch ``scope`` (every entry when None)."""
    entries = store.audit_log(since, min(limit, MAX_AUDIT))
    if scope is None:
        return entries
    out = []
    within: dict[str, bool] = {}
    for e in entries:
        if not e.changes:
            out.append(e)
            continue
        places = {p for change in e.changes for p in touched_places(store, change)}
        if any(_within(store, p, scope, within) for p in places):
            out.append(e)
    return out


def _within(store: GraphStore, code: str, scope: str, memo: dict[str, bool]) -> bool:
    if code not in memo:
        memo[code] = code == scope or any(a.code == scope for a in ancestors(store, Place, code))
    return memo[code]


def touched_places(store: GraphStore, change: dict[str, Any]) -> set[str]:
    """Place codes a change (``{"kind", "key", "before", "after"}``) is about."""
    out: set[str] = set()
    for row in (change.get("before"), change.get("after")):
        if row:
            out.update(_places(store, str(change.get("kind")), row))
    return out


def _places(store: GraphStore, kind: str, row: dict[str, Any]) -> Iterator[str]:
    if kind == "place":
        yield row["code"]
        if row.get("parent"):
            yield row["parent"]
    elif kind == "grid":
        yield row["county"]
    elif kind in ("post", "boundary", "coverage", "jurisdiction", "stationing"):
        yield from _at(store, row)
    elif kind == "holding":
        post = store.get(Post, row["post"])
        if post is not None:
            yield from _at(store, {"place": post.place, "grid": post.grid,
                                   "organization": post.organization})  # fmt: skip
    elif kind == "organization":
        yield row["place"]
    elif kind in ("membership", "border"):
        yield from (row[f] for f in ("place", "other") if row.get(f))
    elif kind in ("role_template", "grid_tier"):
        yield row.get("region") or row["county"]


def _at(store: GraphStore, row: dict[str, Any]) -> Iterator[str]:
    if row.get("place"):
        yield row["place"]
    if row.get("grid"):
        grid = store.get(Grid, row["grid"])
        if grid is not None:
            yield grid.county
    for field in ("organization", "centre"):
        if row.get(field):
            org = store.get(Organization, row[field])
            if org is not None:
                yield org.place
