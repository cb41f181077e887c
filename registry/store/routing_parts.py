"""The parts of a routing neighbourhood a remote store keeps between requests.

``RESPONSIBLE_NEIGHBOURHOOD`` (``registry.store.cypher``) returns what ``responsible_for`` reads
for some requests in parts: what is particular to the requests, a part per place of their place
chains (what refers to that place) and a part per category of their category chains (its
handling rules and the organizations they name). A place part depends on its place alone and a
category part on its category alone, so requests share them: the county's, the prefecture's and
the province's parts serve every request in the county, a category's every request for it.

``PartsCache`` keeps the parts of one data version (each a ``Fragment``: decoded records and the
``referrers`` answers they hold in full), with the role catalogue of that version. The store
sends the keys it keeps with each statement; the server skips those parts when its data version
is still the cache's, and the view is assembled from the kept parts and the fresh ones. Any
write moves the data version on, and a cache of an older version is dropped whole.

Townships' parts are kept too, but only those of the asked keys' county are sent: the county is
guessed from the key's first six digits (a 区划代码 starts with its county's code, and grid codes
usually embed it). A wrong guess costs nothing but the skip: the part is read again.

>>> cache = PartsCache(7)
>>> cache.add_place("451225000000", "county", Fragment((), ((Post, "place", ("451225",)),)))
>>> cache.add_place("451225100000", "township", Fragment((), ()))
>>> cache.add_place("451226100000", "township", Fragment((), ()))
>>> cache.kept_places(["451225100201-001"])
['451225000000', '451225100000']
>>> [(kind.KIND, f, keys) for kind, f, keys in cache.place("451225000000").claims]
[('post', 'place', ('451225',))]
>>> county_hint("G451225-001-01"), county_hint("451225100201-001"), county_hint("X1")
('451225', '451225', '1')
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.codes import Level
from registry.model import (
    Alliance,
    AnyRecord,
    Border,
    Category,
    Coverage,
    Grid,
    Handling,
    Holding,
    Jurisdiction,
    Membership,
    Organization,
    Post,
    Role,
)
from registry.store.prefetch import PrefetchView

__all__ = [
    "KEPT_CATEGORIES",
    "KEPT_PLACES",
    "KEPT_TOWNSHIPS",
    "Fragment",
    "PartsCache",
    "assemble",
    "county_hint",
]

#: Place parts kept per data version: counties and the regions above them, all sent with every
#: statement (a province has about 130; a village's or hamlet's part serves few requests, and is
#: read again).
KEPT_PLACES = 512
#: Township parts kept per data version (a province has about 1,350; some 30 records each).
KEPT_TOWNSHIPS = 4096
#: Category parts kept per data version.
KEPT_CATEGORIES = 256
#: The levels whose place parts are kept and always sent.
_KEPT_LEVELS = frozenset({Level.PROVINCE.value, Level.PREFECTURE.value, Level.COUNTY.value})
_TOWNSHIP = Level.TOWNSHIP.value

Decode = Callable[[str, dict[str, Any]], AnyRecord]
Claim = tuple[type[AnyRecord], str, tuple[str, ...]]


@dataclass(frozen=True)
class Fragment:
    """Decoded records and the ``referrers`` answers (kind, field, keys) they hold in full."""

    records: tuple[AnyRecord, ...]
    claims: tuple[Claim, ...]


@dataclass
class PartsCache:
    """The place parts, category parts and roles of data version ``version``."""

    version: int
    roles: tuple[AnyRecord, ...] | None = None
    _places: dict[str, Fragment] = field(default_factory=dict)
    _townships: dict[str, dict[str, Fragment]] = field(default_factory=dict)  # by county hint
    _township_count: int = 0
    _categories: dict[str, Fragment] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def kept_places(self, asked: Sequence[str] = ()) -> list[str]:
        """The keys of the place parts kept that a statement for ``asked`` (place and grid
        keys) sends, so the server skips them: counties and above, and the townships of the
        asked keys' counties."""
        with self._lock:
            out = list(self._places)
            for hint in {county_hint(key) for key in asked}:
                out.extend(self._townships.get(hint, ()))
            return out

    def kept_categories(self) -> list[str]:
        with self._lock:
            return list(self._categories)

    def place(self, key: str) -> Fragment:
        part = self._places.get(key)
        return self._townships[county_hint(key)][key] if part is None else part

    def category(self, key: str) -> Fragment:
        return self._categories[key]

    def add_place(self, key: str, level: str, part: Fragment) -> None:
        """Keep the part of place ``key`` at ``level`` when it is a county, a region above one
        or a township (up to ``KEPT_PLACES`` and ``KEPT_TOWNSHIPS``; a part once kept stays:
        the server may have been told it is kept)."""
        with self._lock:
            if level in _KEPT_LEVELS:
                if len(self._places) < KEPT_PLACES:
                    self._places.setdefault(key, part)
            elif level == _TOWNSHIP and self._township_count < KEPT_TOWNSHIPS:
                of_county = self._townships.setdefault(county_hint(key), {})
                if key not in of_county:
                    of_county[key] = part
                    self._township_count += 1

    def add_category(self, key: str, part: Fragment) -> None:
        with self._lock:
            if len(self._categories) < KEPT_CATEGORIES:
                self._categories.setdefault(key, part)


def county_hint(key: str) -> str:
    """The first six digits of ``key`` (its county's code when it is a 区划代码)."""
    return "".join(c for c in key[:24] if c.isdigit())[:6]


def _decoded(found: dict[str, list[dict[str, Any]]], decode: Decode) -> list[AnyRecord]:
    return [decode(kind, props) for kind, rows in found.items() for props in rows]


def _keys(found: dict[str, list[dict[str, Any]]], kind: type[AnyRecord]) -> tuple[str, ...]:
    return tuple(r["key"] for r in found.get(kind.KIND, ()))


def place_fragment(part: dict[str, Any], decode: Decode) -> Fragment:
    """The records of a place part and what they hold in full: everything that refers to the
    place (seats, organizations located in it, jurisdictions over it, memberships, borders on
    either side), the organizations located in its partner places, every membership of its
    alliances, and the seats, jurisdictions and holders of the organizations found."""
    found = part["found"]
    place = (part["key"],)
    orgs = _keys(found, Organization)
    return Fragment(
        tuple(_decoded(found, decode)),
        (
            (Post, "place", place),
            (Organization, "place", (*place, *part["partner_keys"])),
            (Jurisdiction, "place", place),
            (Membership, "place", place),
            (Membership, "alliance", _keys(found, Alliance)),
            (Border, "place", place),
            (Border, "other", place),
            (Post, "organization", orgs),
            (Jurisdiction, "organization", orgs),
            (Holding, "post", _keys(found, Post)),
        ),
    )


def category_fragment(part: dict[str, Any], decode: Decode) -> Fragment:
    """The records of a category part and what they hold in full: every handling rule of the
    category, and the seats, jurisdictions and holders of the organizations found."""
    found = part["found"]
    orgs = _keys(found, Organization)
    return Fragment(
        tuple(_decoded(found, decode)),
        (
            (Handling, "category", (part["key"],)),
            (Post, "organization", orgs),
            (Jurisdiction, "organization", orgs),
            (Holding, "post", _keys(found, Post)),
        ),
    )


def _apply(view: PrefetchView, fragment: Fragment) -> None:
    view.add(fragment.records)
    for kind, fld, keys in fragment.claims:
        view.claim(kind, fld, keys)


def assemble(
    view: PrefetchView,
    row: dict[str, Any],
    cache: PartsCache,
    decode: Decode,
    keep: bool,
) -> None:
    """Add one ``RESPONSIBLE_NEIGHBOURHOOD`` row to ``view``: its own records, its fresh parts
    and, when the server skipped them (``warm``), the parts and roles ``cache`` keeps. With
    ``keep`` (the row was read at ``cache.version`` with no write committing meanwhile), the
    fresh parts and roles are kept in ``cache``."""
    found: dict[str, list[dict[str, Any]]] = row["found"]
    local = _decoded(found, decode)
    view.add(local)
    chain: Sequence[str] = row["chain_keys"]
    view.claim(Coverage, "place", row["places_found"])
    view.claim(Coverage, "grid", row["grids_found"])
    view.claim(Post, "grid", _keys(found, Grid))
    view.claim(Holding, "post", _keys(found, Post))
    fresh_places = {part["key"]: part for part in row["place_parts"]}
    for key in chain:
        part = fresh_places.get(key)
        if part is None:  # skipped: kept (warm)
            _apply(view, cache.place(key))
            continue
        fragment = place_fragment(part, decode)
        _apply(view, fragment)
        if keep:
            cache.add_place(key, part["level"], fragment)
    fresh_categories = {part["key"]: part for part in row["category_parts"]}
    for key in _keys(found, Category):
        part = fresh_categories.get(key)
        if part is None:
            _apply(view, cache.category(key))
            continue
        fragment = category_fragment(part, decode)
        _apply(view, fragment)
        if keep:
            cache.add_category(key, fragment)
    if row["warm"]:  # the roles were not read again either
        roles = cache.roles or ()
        view.add(roles)
    else:
        roles = tuple(r for r in local if isinstance(r, Role))
        if keep:
            cache.roles = roles
    # Every role is fetched (nothing claimed): a role code read but not recorded is known
    # missing (a category may involve a role no seat has). Likewise an alliance.
    codes = {r.role for r in view.records(Post)}
    codes.update(code for c in view.records(Category) for code in c.roles)
    view.missing(Role, sorted(codes - {r.key for r in roles}))
    named = {m.alliance for m in view.records(Membership)}
    view.missing(Alliance, sorted(named - {a.key for a in view.records(Alliance)}))
