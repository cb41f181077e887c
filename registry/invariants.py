"""Invariant checks run before every write, on every store.

``check_batch(batch, view)`` validates the records of one write against a view of the stored
data with the batch applied on top. It raises the first violation found, naming the offending
ids; stores call it before they write anything.

>>> from registry.model import Grid, Place, Level
>>> county = Place(code="451225000000", name="罗城", level=Level.COUNTY, parent="451200000000")
>>> view = DictView({"place": {"451200000000": Place(code="451200000000", name="河池",
...                 level=Level.PREFECTURE, parent="450000000000")}})
>>> check_batch([county], view)
>>> check_batch([Grid(code="G2", name="二级", tier=2, county="451225000000", parent="G1")],
...             DictView({"place": {county.code: county}}))
Traceback (most recent call last):
...
registry.errors.UnknownReferenceError: grid G2: parent refers to unknown grid 'G1'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn, Protocol, TypeVar

from registry.codes import (
    Level,
    code_agrees_with_parent,
    level_of_code,
    parent_level,
    validate_code,
)
from registry.errors import (
    CodeMismatchError,
    CycleError,
    InvalidInput,
    LevelMismatchError,
    SecondParentError,
    UnknownReferenceError,
)
from registry.geo import parse_geometry
from registry.model import (
    KINDS,
    AnyRecord,
    Boundary,
    Grid,
    Handling,
    Organization,
    OrgKind,
    Place,
    Post,
    Stationing,
)

__all__ = ["DictView", "Overlay", "ReadView", "check_batch", "check_record", "checker"]

R = TypeVar("R", bound=AnyRecord)
MAX_DEPTH = 16


class ReadView(Protocol):
    """The reads invariant checks need."""

    def get(self, kind: type[R], key: str) -> R | None: ...

    def referrers(self, kind: type[R], field: str, key: str) -> list[R]: ...


class DictView:
    """A view over plain dicts ``{kind: {key: record}}`` (tests, loaders)."""

    def __init__(self, data: dict[str, dict[str, AnyRecord]]) -> None:
        self.data = data

    def get(self, kind: type[R], key: str) -> R | None:
        rec = self.data.get(kind.KIND, {}).get(key)
        return rec  # type: ignore[return-value]

    def referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        bucket: dict[str, Any] = self.data.get(kind.KIND, {})
        found: list[R] = [r for r in bucket.values() if getattr(r, field) == key]
        return sorted(found, key=lambda r: r.key)


class Overlay:
    """The stored data as seen after a batch is applied (the batch wins)."""

    def __init__(self, base: ReadView, batch: Iterable[AnyRecord]) -> None:
        self.base = base
        self.batch: dict[str, dict[str, AnyRecord]] = {}
        self._indexes: dict[tuple[str, str], dict[str, list[AnyRecord]]] = {}
        buckets = self.batch
        for rec in batch:
            kind, key = rec.KIND, rec.key
            bucket = buckets.get(kind)
            if bucket is None:
                bucket = buckets[kind] = {}
            old = bucket.get(key)
            if old is not None and old != rec and _parent_of(old) != _parent_of(rec):
                raise SecondParentError(
                    f"{kind} {key} is given two parents in one write: "
                    f"{_parent_of(old)} and {_parent_of(rec)}",
                    [key, str(_parent_of(old)), str(_parent_of(rec))],
                )
            bucket[key] = rec

    def get(self, kind: type[R], key: str) -> R | None:
        rec = self.batch.get(kind.KIND, {}).get(key)
        if rec is not None:
            return rec  # type: ignore[return-value]
        return self.base.get(kind, key)

    def referrers(self, kind: type[R], field: str, key: str) -> list[R]:
        pending = self.batch.get(kind.KIND, {})
        found: dict[str, AnyRecord] = {
            r.key: r for r in self.base.referrers(kind, field, key) if r.key not in pending
        }
        for r in self._pending_index(kind.KIND, field).get(key, ()):
            found[r.key] = r
        return [found[k] for k in sorted(found)]  # type: ignore[misc]

    def _pending_index(self, kind: str, field: str) -> dict[str, list[AnyRecord]]:
        index = self._indexes.get((kind, field))
        if index is None:
            index = {}
            for r in self.batch.get(kind, {}).values():
                ref = getattr(r, field)
                if ref is not None:
                    index.setdefault(ref, []).append(r)
            self._indexes[(kind, field)] = index
        return index


def _parent_of(rec: AnyRecord) -> str | None:
    return getattr(rec, "parent", None)


_Refs = tuple[tuple[str, type[AnyRecord]], ...]


def _refs_of(cls: type[AnyRecord]) -> _Refs:
    """Each reference field of ``cls`` and the class it refers to."""
    return tuple((field, KINDS[target]) for field, target in cls.REFS.items())


_REFS: dict[type[AnyRecord], _Refs] = {cls: _refs_of(cls) for cls in KINDS.values()}


def _unknown(rec: AnyRecord, field: str, target: type[AnyRecord], ref: str) -> NoReturn:
    raise UnknownReferenceError(
        f"{rec.KIND} {rec.key}: {field} refers to unknown {target.KIND} {ref!r}",
        [rec.key, ref],
    )


def _check_refs(rec: AnyRecord, view: ReadView) -> None:
    cls = type(rec)
    for field, target in _REFS[cls] if cls in _REFS else _refs_of(cls):
        ref = getattr(rec, field)
        if ref is not None and view.get(target, ref) is None:
            _unknown(rec, field, target, ref)


def _check_chain(kind: type[Place] | type[Grid], start: AnyRecord, view: ReadView) -> None:
    path = [start.key]
    node: AnyRecord | None = start
    while node is not None and _parent_of(node) is not None:
        parent_key = _parent_of(node)
        assert parent_key is not None
        if parent_key in path:
            raise CycleError(kind.KIND, [*path, parent_key])
        path.append(parent_key)
        if len(path) > MAX_DEPTH:
            raise CycleError(kind.KIND, path)
        node = view.get(kind, parent_key)


def _check_place(p: Place, view: ReadView) -> None:
    validate_code(p.code)
    if level_of_code(p.code) is not p.level:
        raise CodeMismatchError(
            f"place {p.code}: code denotes a {level_of_code(p.code)}, not a {p.level}", [p.code]
        )
    expected = parent_level(p.level)
    if expected is None:
        if p.parent is not None:
            raise LevelMismatchError(f"place {p.code}: a province has no parent", [p.code])
        return
    if p.parent is None:
        raise LevelMismatchError(f"place {p.code}: a {p.level} needs a {expected} parent", [p.code])
    parent = view.get(Place, p.parent)
    if parent is None:
        return  # reported by _check_refs
    if parent.level is not expected:
        raise LevelMismatchError(
            f"place {p.code}: parent {parent.code} is a {parent.level}, expected a {expected}",
            [p.code, parent.code],
        )
    if not code_agrees_with_parent(p.code, p.parent):
        raise CodeMismatchError(
            f"place {p.code}: code does not agree with parent {p.parent}", [p.code, p.parent]
        )
    _check_chain(Place, p, view)


def _check_grid(g: Grid, view: ReadView) -> None:
    if not 1 <= g.tier <= 4:
        raise InvalidInput(f"grid {g.code}: tier must be 1 to 4, not {g.tier}", [g.code], "tier")
    county = view.get(Place, g.county)
    if county is not None and county.level is not Level.COUNTY:
        raise LevelMismatchError(
            f"grid {g.code}: county {g.county} is a {county.level}", [g.code, g.county]
        )
    if g.parent is not None and g.tier == 1:
        raise LevelMismatchError(
            f"grid {g.code} is tier 1: a top-level grid has no parent grid (got {g.parent})",
            [g.code, g.parent],
        )
    if g.parent is not None:
        parent = view.get(Grid, g.parent)
        if parent is not None:
            if parent.tier != g.tier - 1:
                raise LevelMismatchError(
                    f"grid {g.code} (tier {g.tier}): parent {parent.code} is tier {parent.tier}, "
                    f"expected tier {g.tier - 1}",
                    [g.code, parent.code],
                )
            if parent.county != g.county:
                raise InvalidInput(
                    f"grid {g.code}: parent {parent.code} belongs to county {parent.county}",
                    [g.code, parent.code],
                    "parent",
                )
    for child in view.referrers(Grid, "parent", g.code):
        if child.tier != g.tier + 1:
            raise LevelMismatchError(
                f"grid {g.code} (tier {g.tier}): child {child.code} is tier {child.tier}",
                [g.code, child.code],
            )
    _check_chain(Grid, g, view)


def _check_post(p: Post, view: ReadView) -> None:
    targets = [t for t in (p.place, p.grid, p.organization) if t is not None]
    if len(targets) != 1:
        raise InvalidInput(
            f"post {p.id}: exactly one of place, grid or organization is required", [p.id], "place"
        )


def _check_boundary(b: Boundary) -> None:
    if (b.place is None) == (b.grid is None):
        raise InvalidInput(
            f"boundary {b.id}: exactly one of place or grid is required", [b.id], "place"
        )
    try:
        parse_geometry(b.geometry)
    except InvalidInput as exc:
        raise InvalidInput(f"boundary {b.id}: {exc.message}", [b.id], "geometry") from exc


def _check_org(o: Organization) -> None:
    if o.kind is OrgKind.CENTRE and o.level is None:
        raise InvalidInput(f"organization {o.code}: a centre needs a level", [o.code], "level")


def _check_handling(h: Handling) -> None:
    if h.organization is None and h.org_kind is None:
        raise InvalidInput(
            f"handling {h.key}: an organization or an organization kind is required",
            [h.key],
            "organization",
        )
    if h.time_limit_minutes is not None and h.time_limit_minutes < 0:
        raise InvalidInput(
            f"handling {h.key}: time_limit_minutes must not be negative",
            [h.key],
            "time_limit_minutes",
        )


def _check_stationing(s: Stationing, view: ReadView) -> None:
    centre = view.get(Organization, s.centre)
    if centre is not None and centre.kind is not OrgKind.CENTRE:
        raise InvalidInput(f"stationing {s.key}: {s.centre} is not a centre", [s.centre], "centre")


_Check = Callable[[Any, ReadView], None]
#: The check of each record class beyond its validity interval and references (None: none).
_CHECKS: dict[type[AnyRecord], _Check | None] = {cls: None for cls in KINDS.values()}
_CHECKS.update(
    {
        Place: _check_place,
        Grid: _check_grid,
        Post: _check_post,
        Organization: lambda o, _: _check_org(o),
        Boundary: lambda b, _: _check_boundary(b),
        Handling: lambda h, _: _check_handling(h),
        Stationing: _check_stationing,
    }
)


def _check_of(cls: type[AnyRecord]) -> _Check | None:
    if cls in _CHECKS:
        return _CHECKS[cls]
    for base, check in _CHECKS.items():  # a subclass of a record class
        if check is not None and issubclass(cls, base):
            return check
    return None


def check_record(rec: AnyRecord, view: ReadView) -> None:
    """Check one record against ``view`` (which already includes it)."""
    if rec.valid_from and rec.valid_to and rec.valid_to < rec.valid_from:
        raise InvalidInput(f"{rec.KIND} {rec.key}: valid_to before valid_from", [rec.key])
    check = _check_of(type(rec))
    if check is not None:
        check(rec, view)
    _check_refs(rec, view)


def checker(cls: type[AnyRecord], view: Overlay) -> Callable[[AnyRecord], None]:
    """``check_record`` for many records of ``cls`` against one overlay: the class's check and
    references are looked up once, and a reference to a record of the overlay's batch is found
    without a call (the same checks, in the same order, raising the same errors)."""
    check = _check_of(cls)
    base_get = view.base.get
    refs = [
        (field, target, view.batch.get(target.KIND, {}))
        for field, target in (_REFS[cls] if cls in _REFS else _refs_of(cls))
    ]

    def run(rec: AnyRecord) -> None:
        valid_from, valid_to = rec.valid_from, rec.valid_to
        if valid_from and valid_to and valid_to < valid_from:
            raise InvalidInput(f"{rec.KIND} {rec.key}: valid_to before valid_from", [rec.key])
        if check is not None:
            check(rec, view)
        for field, target, pending in refs:
            ref = getattr(rec, field)
            if ref is not None and ref not in pending and base_get(target, ref) is None:
                _unknown(rec, field, target, ref)

    return run


def check_batch(batch: Sequence[AnyRecord], view: ReadView) -> None:
    """Check every record of a write; raises the first violation found."""
    overlay = view if isinstance(view, Overlay) else Overlay(view, batch)
    for kind, kind_batch in overlay.batch.items():
        run = checker(KINDS[kind], overlay)
        for rec in kind_batch.values():
            if type(rec) is KINDS[kind]:
                run(rec)
            else:
                check_record(rec, overlay)
