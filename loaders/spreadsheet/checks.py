"""The registry's own invariant checks, run on every built record before anything is written.

The import's specific checks (in ``places``, ``grids``, ``organizations``, ``terms``) report
most problems with a precise code. Then ``registry.invariants.check_record`` runs on every other
record against the store with all built records on top (``Overlay``), exactly as
``store.apply`` will, so a plan without issues is a plan the store accepts. An error it raises
is mapped back to the row and column the record came from; records referring to a record that
already has an issue are skipped (one problem is reported once).

>>> from registry.errors import CycleError, UnknownReferenceError
>>> from registry.model import Grid
>>> g = Grid(code="G2", name="x", tier=2, county="451225000000", parent="G1")
>>> translate(UnknownReferenceError("grid G2: parent refers to unknown grid 'G1'", ["G2", "G1"]), g)
('UNKNOWN_PARENT', 'parent')
>>> translate(CycleError("grid", ["G2", "G1", "G2"]), g)
('CYCLE', 'parent')
"""

from __future__ import annotations

from loaders.spreadsheet.context import Context
from registry.errors import (
    CodeMismatchError,
    CycleError,
    GridregError,
    InvalidInput,
    LevelMismatchError,
    SecondParentError,
    UnknownReferenceError,
)
from registry.invariants import Overlay, check_record, checker
from registry.model import KINDS, AnyRecord

__all__ = ["invariant_checks", "translate"]


def _field(exc: GridregError, rec: AnyRecord) -> str | None:
    if isinstance(exc, InvalidInput) and exc.field is not None:
        return exc.field
    others = [i for i in exc.ids if i != rec.key]
    for name in sorted(rec.REFS, key=lambda f: f != "parent"):
        value = getattr(rec, name)
        if value is not None and value in others:
            return name
    if (
        isinstance(exc, CycleError | LevelMismatchError | SecondParentError)
        and "parent" in rec.REFS
    ):
        return "parent"
    return None


def translate(exc: GridregError, rec: AnyRecord) -> tuple[str, str | None]:
    """The issue code and the record field of an invariant error about ``rec``."""
    field = _field(exc, rec)
    if isinstance(exc, UnknownReferenceError):
        return ("UNKNOWN_PARENT" if field == "parent" else "UNKNOWN_REFERENCE"), field
    if isinstance(exc, CycleError):
        return "CYCLE", field
    if isinstance(exc, SecondParentError):
        return "TWO_PARENTS", field
    if isinstance(exc, CodeMismatchError):
        return "CODE_MISMATCH", field
    if isinstance(exc, LevelMismatchError):
        return "LEVEL_MISMATCH", field
    if isinstance(exc, InvalidInput) and field == "geometry":
        return "GEOMETRY_INVALID", field
    return "BAD_VALUE", field


def invariant_checks(ctx: Context, bad: dict[str, set[str]]) -> None:
    """Run ``check_record`` on every built record without an issue (``bad``: kind → keys)."""
    batch = ctx.batch
    overlay = Overlay(ctx.view, ())
    # the batch holds one record per kind and key already: its buckets are the overlay's
    overlay.batch = {
        kind: {key: held.record for key, held in bucket.items()}
        for kind, bucket in batch.located.items()
    }
    none: frozenset[str] = frozenset()
    blocked_keys = {kind: bad.get(kind, none) | batch.failed.get(kind, none) for kind in KINDS}
    for kind in KINDS:
        bucket = batch.located.get(kind)
        if not bucket:
            continue
        own_bad = bad.get(kind, none)
        refs = [
            (name, keys)
            for name, target in KINDS[kind].REFS.items()
            if (keys := blocked_keys[target])
        ]
        cls = KINDS[kind]
        run = checker(cls, overlay)
        for located in bucket.values():
            rec = located.record
            if rec.key in own_bad:
                continue
            if refs and any(
                getattr(rec, name) in keys for name, keys in refs
            ):  # refers to a record with an issue: that one is reported
                continue
            try:
                if type(rec) is cls:
                    run(rec)
                else:
                    check_record(rec, overlay)
            except GridregError as exc:
                code, field = translate(exc, rec)
                at = located.origin.at(*(f for f in (field, "code", "id") if f is not None))
                ctx.report(at, code, f"不符合登记规则：{exc.message}", exc.message)
