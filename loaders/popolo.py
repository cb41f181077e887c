"""Popolo JSON export: the registry as persons, organizations, posts, memberships and areas.

`Popolo <https://www.popoloproject.com/specs/>`_ is the open data standard for people holding
posts in organizations; this export lets tools built for it (EveryPolitician-style viewers,
civic-tech pipelines) read the registry. It is one JSON object with five arrays; the canonical
folder (``loaders.canonical``) stays the complete, round-trip format: stationings,
jurisdictions, categories, handling rules, staffing standards, borders and grid tiers have no
Popolo counterpart and are not exported.

Mapping (also in ``docs/data-format.md``, section "Popolo JSON export"):

- ``areas``: every place (``id`` = division code or hamlet id, ``classification`` = level,
  ``parent_id``; ``identifiers`` ``[{"scheme": "GB/T 2260", "identifier": code}]`` for a
  12-digit code that is not synthetic) and every grid (``classification`` ``grid-tier-N``,
  ``parent_id`` = the parent grid, none for tier 1; ``gridreg:county``; the covered places in
  ``gridreg:covers`` as ``[{"area_id", "start_date", "end_date"}]``). With ``geometry=True``
  an area gets ``geometry``: the GeoJSON boundary in force at ``at`` (without ``at``, the
  boundary starting last).
- ``organizations``: every organization (``classification`` = kind, ``parent_id``, ``area_id``
  = its place, ``founding_date``/``dissolution_date``, phone as ``contact_details`` of type
  ``voice``) and every alliance as an organization of classification ``alliance``, its member
  counties in ``gridreg:members`` as ``[{"area_id", "scope", "start_date", "end_date"}]``
  (Popolo memberships are kept person-centric: they are exactly the holdings).
- ``posts``: every post (``label`` = the post's label, else the role's name; ``role`` = role
  code; ``start_date``/``end_date``). A post at an organization gets ``organization_id`` = it
  and ``area_id`` = the organization's place; a post at a place gets ``area_id`` = the place and
  ``organization_id`` = the governance centre (综治中心) located at that place, if any; a post at
  a grid gets ``area_id`` = the grid and ``organization_id`` = the centre located at the nearest
  place at or above a place the grid covers (its parent grid's places when it covers none),
  if any. A vacant post is a post without membership.
- ``persons``: ``id``, ``name``, phone as ``contact_details`` of type ``cell``.
- ``memberships``: one per holding (``id`` = holding id, ``person_id``, ``post_id``,
  ``organization_id``/``area_id``/``label`` copied from the post, ``role`` = role code,
  ``start_date``/``end_date`` = the term).

Fields gridreg has and Popolo lacks are extension fields named ``gridreg:...``; a record's
validity where Popolo has no date fields (areas, persons) is ``gridreg:valid_from`` /
``gridreg:valid_to``. Empty values are left out, never written as ``null``. Dates are
``YYYY-MM-DD``.

With ``at``, only records in force on that day are exported (and the covers, members and
geometries in force then); without it, everything, with dates. A reference to a record not in
the document is left out (a holding whose person or post is left out is not exported), so every
``*_id`` resolves within the document. ``contacts=False`` leaves out every ``contact_details``
(phone numbers are personal data). The output is deterministic: arrays sorted by ``id``, keys
sorted, two-space indent, UTF-8 with Chinese unescaped.

>>> from registry.testing import SAMPLE_TODAY, sample_store
>>> doc = export_popolo(sample_store(), SAMPLE_TODAY)
>>> {k: len(v) for k, v in doc.items() if isinstance(v, list)}
{'areas': 10, 'memberships': 2, 'organizations': 3, 'persons': 2, 'posts': 3}
>>> post = next(p for p in doc["posts"] if p["id"] == "451225100201-law_literate")
>>> post["label"], post["area_id"], "organization_id" in post
('法律明白人', '451225100201', False)
>>> [m["post_id"] for m in doc["memberships"] if m["person_id"] == "P000001"]
['G451225-001-01-01-grid_worker']
>>> print(popolo_bytes({"persons": [{"id": "P1", "name": "韦小红"}]}).decode(), end="")
{
  "persons": [
    {
      "id": "P1",
      "name": "韦小红"
    }
  ]
}
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import orjson

from registry.errors import InvalidInput
from registry.model import (
    Alliance,
    AnyRecord,
    Boundary,
    Coverage,
    Grid,
    Holding,
    Membership,
    Organization,
    OrgKind,
    Person,
    Place,
    Post,
    Role,
    in_force,
)
from registry.store.base import GraphStore

__all__ = [
    "ARRAYS",
    "DIVISION_SCHEME",
    "export_popolo",
    "popolo_bytes",
    "write_popolo",
]

#: The top-level arrays of an export, in the order the document lists them (keys are sorted).
ARRAYS: tuple[str, ...] = ("areas", "memberships", "organizations", "persons", "posts")
#: The identifier scheme of 12-digit division codes.
DIVISION_SCHEME = "GB/T 2260"

JSONObject = dict[str, Any]
R = TypeVar("R", bound=AnyRecord)

_DIVISION_CODE = re.compile(r"^\d{12}$")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _clean(obj: Mapping[str, Any]) -> JSONObject:
    """``obj`` without empty values (None, "", [], {}); ``False``/``0`` are kept."""
    return {k: v for k, v in obj.items() if v is not None and v != "" and v != [] and v != {}}


def _validity(rec: AnyRecord) -> JSONObject:
    return {"gridreg:valid_from": _iso(rec.valid_from), "gridreg:valid_to": _iso(rec.valid_to)}


def _term(rec: AnyRecord) -> JSONObject:
    return {"start_date": _iso(rec.valid_from), "end_date": _iso(rec.valid_to)}


def _by_id(objects: Iterable[JSONObject]) -> list[JSONObject]:
    return sorted(objects, key=lambda o: str(o["id"]))


class _Snapshot:
    """The records an export reads (in force at ``at`` when given), indexed by key."""

    def __init__(self, store: GraphStore, at: date | None, geometry: bool) -> None:
        self.at = at
        self.places = self._read(store, Place)
        self.grids = self._read(store, Grid)
        self.roles = self._read(store, Role)
        self.persons = self._read(store, Person)
        self.orgs = self._read(store, Organization)
        self.alliances = self._read(store, Alliance)
        self.posts = self._read(store, Post)
        self.holdings = self._read(store, Holding)
        self.coverage = list(self._read(store, Coverage).values())
        self.members = list(self._read(store, Membership).values())
        self.boundaries = list(self._read(store, Boundary).values()) if geometry else []
        clash = sorted(self.places.keys() & self.grids.keys())
        if clash:
            raise InvalidInput(
                f"grid code {clash[0]} is also a place code: Popolo area ids must be unique",
                clash,
            )
        clash = sorted(self.orgs.keys() & self.alliances.keys())
        if clash:
            raise InvalidInput(
                f"alliance code {clash[0]} is also an organization code: Popolo organization "
                "ids must be unique",
                clash,
            )

    def _read(self, store: GraphStore, kind: type[R]) -> dict[str, R]:
        at = self.at
        return {r.key: r for r in store.scan(kind) if at is None or in_force(r, at)}

    def area(self, key: str | None) -> str | None:
        """``key`` if it names an area of the document."""
        return key if key is not None and (key in self.places or key in self.grids) else None


def _geometries(snap: _Snapshot) -> dict[str, Any]:
    """The GeoJSON geometry of each place or grid: in force at ``at``, else the latest."""
    chosen: dict[str, Boundary] = {}
    order = sorted(snap.boundaries, key=lambda b: (b.valid_from or date.min, b.id))
    for b in order:  # later (starting later, then greater id) replaces earlier
        owner = b.place if b.place is not None else b.grid
        if owner is not None:
            chosen[owner] = b
    return {owner: orjson.loads(b.geometry) for owner, b in chosen.items()}


def _place_area(place: Place, snap: _Snapshot) -> JSONObject:
    official = _DIVISION_CODE.match(place.code) is not None and not place.synthetic
    identifiers = [{"scheme": DIVISION_SCHEME, "identifier": place.code}] if official else []
    return _clean(
        {
            "id": place.code,
            "name": place.name,
            "classification": str(place.level),
            "parent_id": snap.area(place.parent),
            "identifiers": identifiers,
            "gridreg:kind": place.kind,
            "gridreg:households": place.households,
            "gridreg:synthetic": True if place.synthetic else None,
            **_validity(place),
        }
    )


def _grid_area(grid: Grid, snap: _Snapshot, covers: list[Coverage]) -> JSONObject:
    return _clean(
        {
            "id": grid.code,
            "name": grid.name,
            "classification": f"grid-tier-{grid.tier}",
            "parent_id": snap.area(grid.parent),
            "gridreg:county": snap.area(grid.county),
            "gridreg:households": grid.households,
            "gridreg:covers": [
                _clean({"area_id": c.place, **_term(c)})
                for c in sorted(covers, key=lambda c: c.key)
                if c.place in snap.places
            ],
            **_validity(grid),
        }
    )


def _areas(snap: _Snapshot, covers: Mapping[str, list[Coverage]], geometry: bool) -> list[Any]:
    areas = [_place_area(p, snap) for p in snap.places.values()]
    areas += [_grid_area(g, snap, covers.get(g.code, [])) for g in snap.grids.values()]
    if geometry:
        shapes = _geometries(snap)
        for area in areas:
            if area["id"] in shapes:
                area["geometry"] = shapes[area["id"]]
    return _by_id(areas)


def _organizations(snap: _Snapshot, contacts: bool) -> list[JSONObject]:
    orgs = [
        _clean(
            {
                "id": o.code,
                "name": o.name,
                "classification": str(o.kind),
                "parent_id": o.parent if o.parent in snap.orgs else None,
                "area_id": snap.area(o.place),
                "founding_date": _iso(o.valid_from),
                "dissolution_date": _iso(o.valid_to),
                "contact_details": [{"type": "voice", "value": o.phone}]
                if contacts and o.phone
                else [],
                "gridreg:level": str(o.level) if o.level is not None else None,
                "gridreg:function": o.function,
            }
        )
        for o in snap.orgs.values()
    ]
    members: dict[str, list[Membership]] = defaultdict(list)
    for m in snap.members:
        if m.place in snap.places:
            members[m.alliance].append(m)
    orgs += [
        _clean(
            {
                "id": a.code,
                "name": a.name,
                "classification": "alliance",
                "founding_date": _iso(a.valid_from),
                "dissolution_date": _iso(a.valid_to),
                "gridreg:functions": [str(f) for f in a.functions],
                "gridreg:members": [
                    _clean({"area_id": m.place, "scope": m.scope, **_term(m)})
                    for m in sorted(members.get(a.code, []), key=lambda m: m.key)
                ],
            }
        )
        for a in snap.alliances.values()
    ]
    return _by_id(orgs)


class _Centres:
    """Which governance centre a post at a place or a grid belongs to."""

    def __init__(self, snap: _Snapshot, covers: Mapping[str, list[Coverage]]) -> None:
        self.snap = snap
        self.covers = covers
        at_place: dict[str, list[Organization]] = defaultdict(list)
        for org in snap.orgs.values():
            if org.kind is OrgKind.CENTRE:
                at_place[org.place].append(org)
        # An open-ended centre before an ended one, then by code.
        self.at_place = {
            place: min(found, key=lambda o: (o.valid_to is not None, o.code)).code
            for place, found in at_place.items()
        }
        self._grid: dict[str, str | None] = {}

    def of_place(self, place: str) -> str | None:
        return self.at_place.get(place)

    def _above(self, place: str) -> tuple[int, str] | None:
        """(distance, centre) of the nearest place at or above ``place`` that has a centre."""
        seen: set[str] = set()
        step, current = 0, self.snap.places.get(place)
        while current is not None and current.code not in seen:
            seen.add(current.code)
            centre = self.at_place.get(current.code)
            if centre is not None:
                return step, centre
            step += 1
            current = self.snap.places.get(current.parent) if current.parent else None
        return None

    def of_grid(self, grid: str) -> str | None:
        if grid in self._grid:
            return self._grid[grid]
        self._grid[grid] = None  # guards against a parent cycle
        found = [self._above(c.place) for c in self.covers.get(grid, [])]
        nearest = min((f for f in found if f is not None), default=None)
        centre = nearest[1] if nearest is not None else None
        parent = self.snap.grids[grid].parent if grid in self.snap.grids else None
        if centre is None and not self.covers.get(grid) and parent is not None:
            centre = self.of_grid(parent)
        self._grid[grid] = centre
        return centre


def _post_links(post: Post, snap: _Snapshot, centres: _Centres) -> tuple[str | None, str | None]:
    """(organization_id, area_id) of a post."""
    if post.organization is not None:
        org = snap.orgs.get(post.organization)
        return (org.code, snap.area(org.place)) if org is not None else (None, None)
    if post.place is not None:
        return centres.of_place(post.place), snap.area(post.place)
    if post.grid is not None and post.grid in snap.grids:
        return centres.of_grid(post.grid), post.grid
    return None, None


def _posts_and_memberships(
    snap: _Snapshot, covers: Mapping[str, list[Coverage]]
) -> tuple[list[JSONObject], list[JSONObject]]:
    centres = _Centres(snap, covers)
    posts: dict[str, JSONObject] = {}
    for post in snap.posts.values():
        role = snap.roles.get(post.role)
        organization_id, area_id = _post_links(post, snap, centres)
        posts[post.id] = _clean(
            {
                "id": post.id,
                "label": post.label or (role.name if role is not None else post.role),
                "role": post.role,
                "organization_id": organization_id,
                "area_id": area_id,
                **_term(post),
            }
        )
    memberships = []
    for h in snap.holdings.values():
        seat = posts.get(h.post)
        if seat is None or h.person not in snap.persons:
            continue
        memberships.append(
            _clean(
                {
                    "id": h.id,
                    "person_id": h.person,
                    "post_id": h.post,
                    "organization_id": seat.get("organization_id"),
                    "area_id": seat.get("area_id"),
                    "label": seat["label"],
                    "role": seat["role"],
                    **_term(h),
                }
            )
        )
    return _by_id(posts.values()), _by_id(memberships)


def _persons(snap: _Snapshot, contacts: bool) -> list[JSONObject]:
    return _by_id(
        _clean(
            {
                "id": p.id,
                "name": p.name,
                "contact_details": [{"type": "cell", "value": p.phone}]
                if contacts and p.phone
                else [],
                **_validity(p),
            }
        )
        for p in snap.persons.values()
    )


def export_popolo(
    store: GraphStore,
    at: date | None = None,
    *,
    geometry: bool = False,
    contacts: bool = True,
) -> JSONObject:
    """The store as a Popolo JSON document (see the module docstring for the mapping).

    ``at``: only records in force on that day (default: everything, with dates).
    ``geometry``: add each area's GeoJSON boundary (large). ``contacts``: include phone numbers
    (``False`` leaves out every ``contact_details``). Raises ``InvalidInput`` when a grid code
    equals a place code or an alliance code an organization code (Popolo ids must be unique).
    """
    snap = _Snapshot(store, at, geometry)
    covers: dict[str, list[Coverage]] = defaultdict(list)
    for c in snap.coverage:
        covers[c.grid].append(c)
    posts, memberships = _posts_and_memberships(snap, covers)
    doc: JSONObject = {
        "areas": _areas(snap, covers, geometry),
        "memberships": memberships,
        "organizations": _organizations(snap, contacts),
        "persons": _persons(snap, contacts),
        "posts": posts,
    }
    if at is not None:
        doc["gridreg:at"] = at.isoformat()
    return doc


def popolo_bytes(doc: Mapping[str, Any]) -> bytes:
    """A document as deterministic UTF-8 JSON: keys sorted, two-space indent, final newline."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write_popolo(
    store: GraphStore,
    path: str | Path,
    at: date | None = None,
    *,
    geometry: bool = False,
    contacts: bool = True,
) -> dict[str, int]:
    """Write ``export_popolo(store, at, ...)`` to the file ``path``; return the array lengths.

    The file is written whole (to a temporary file, then renamed): readers never see half of it.
    """
    doc = export_popolo(store, at, geometry=geometry, contacts=contacts)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(popolo_bytes(doc))
    os.replace(tmp, target)
    return {name: len(doc[name]) for name in ARRAYS}
