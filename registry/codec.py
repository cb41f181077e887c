"""Records to plain rows and back: one codec for SQLite, the canonical files and the API.

Rows are flat dicts of JSON-friendly values (str, int, bool, None, lists). ``from_row`` also
accepts the all-strings rows of a CSV file: ``""`` is null, lists are ``|``-separated, booleans
are ``true``/``false``/``1``/``0``/``是``/``否``.

>>> from registry.model import Level, Place
>>> row = to_row(Place(code="451225000000", name="罗城仫佬族自治县", level=Level.COUNTY,
...                    parent="451200000000"))
>>> row["level"], row["valid_from"]
('county', None)
>>> from_row(Place, {"code": "451225000000", "name": "罗城", "level": "county",
...                  "parent": "451200000000", "households": "", "synthetic": "0"}).households
>>> from_row(Place, {"code": "1", "name": "x", "level": "town"})
Traceback (most recent call last):
...
registry.errors.InvalidInput: level: 'town' is not one of province, prefecture, county, township, village, hamlet
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from registry.errors import InvalidInput
from registry.model import KINDS, AnyRecord

__all__ = ["field_names", "from_row", "kind_class", "to_row"]

R = TypeVar("R", bound=AnyRecord)
Converter = Callable[[Any], Any]
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def _to_str(v: Any) -> str:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool) or v is None:
        raise ValueError(f"expected text, got {v!r}")
    return str(v)


def _to_int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError(f"expected an integer, got {v!r}")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        return int(v.strip())
    raise ValueError(f"expected an integer, got {v!r}")


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in _TRUE:
        return True
    if isinstance(v, str) and v.strip().lower() in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {v!r}")


def _to_date(v: Any) -> date:
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"{v!r} is not a date (YYYY-MM-DD)") from None
    raise ValueError(f"{v!r} is not a date (YYYY-MM-DD)")


def _enum(cls: type[StrEnum]) -> Converter:
    names = ", ".join(m.value for m in cls)

    def convert(v: Any) -> StrEnum:
        try:
            return cls(v.strip() if isinstance(v, str) else v)
        except ValueError:
            raise ValueError(f"{v!r} is not one of {names}") from None

    return convert


def _tuple(item: Converter) -> Converter:
    def convert(v: Any) -> tuple[Any, ...]:
        if isinstance(v, str):
            parts = [p for p in (s.strip() for s in v.split("|")) if p]
        elif isinstance(v, list | tuple):
            parts = list(v)
        else:
            raise ValueError(f"expected a list, got {v!r}")
        return tuple(item(p) for p in parts)

    return convert


def _converter(tp: Any) -> tuple[Converter, bool]:
    """Converter for a field type, and whether None is allowed."""
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return _converter(inner[0])[0], True
    if typing.get_origin(tp) is tuple:
        return _tuple(_converter(args[0])[0]), False
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return _enum(tp), False
    simple: dict[Any, Converter] = {str: _to_str, int: _to_int, bool: _to_bool, date: _to_date}
    return simple[tp], False


_PLANS: dict[type[Any], tuple[tuple[str, Converter, bool, bool, Any], ...]] = {}


def _plan(cls: type[Any]) -> tuple[tuple[str, Converter, bool, bool, Any], ...]:
    cached = _PLANS.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    plan = []
    for f in dataclasses.fields(cls):
        conv, nullable = _converter(hints[f.name])
        has_default = f.default is not dataclasses.MISSING
        plan.append((f.name, conv, nullable, has_default, f.default))
    _PLANS[cls] = tuple(plan)
    return _PLANS[cls]


def field_names(cls: type[AnyRecord]) -> list[str]:
    """The column names of a record kind, in declaration order."""
    return [name for name, *_ in _plan(cls)]


def from_row(cls: type[R], row: Mapping[str, Any], shared: dict[Any, Any] | None = None) -> R:
    """Build a record from a row; raise InvalidInput naming the field on a bad value.

    With ``shared`` (a dict kept across calls), equal strings and dates of the records are one
    object: the first seen is kept in ``shared`` and reused (a store reading many records keeps
    each reference, role code, label and day once)."""
    values: dict[str, Any] = {}
    for name, conv, nullable, has_default, default in _plan(cls):
        raw = row.get(name)
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if nullable:
                values[name] = None
            elif has_default:
                values[name] = default
            else:
                raise InvalidInput(f"{name}: a value is required", field=name)
            continue
        try:
            value = conv(raw)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{name}: {exc}", field=name) from None
        if shared is not None and type(value) in _SHAREABLE:
            value = shared.setdefault(value, value)
        values[name] = value
    return cls(**values)


#: Types ``from_row`` shares (exact types: an enum member is already one object, and ``True``
#: equals ``1``).
_SHAREABLE = frozenset({str, date})


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v.value if isinstance(v, StrEnum) else v
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def to_row(rec: AnyRecord) -> dict[str, Any]:
    """The record as a flat dict of JSON-friendly values."""
    return {name: _plain(getattr(rec, name)) for name, *_ in _plan(type(rec))}


def kind_class(kind: str) -> type[AnyRecord]:
    """The record class for a kind name, or InvalidInput."""
    try:
        return KINDS[kind]
    except KeyError:
        raise InvalidInput(f"unknown record kind {kind!r}", field="kind") from None
