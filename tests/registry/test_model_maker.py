"""``positional_maker``: the import's faster constructor of frozen slots dataclasses must make
records equal to the class's own constructor in every field (and so in equality, hash and the
stored row), for every kind, and refuse classes whose ``__init__`` does more."""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

import orjson
import pytest

from loaders.synthetic import generate
from registry.model import KINDS, positional_maker


def test_made_records_equal_constructed_ones_for_every_kind() -> None:
    records = [r for batch in generate("city", 1, counties=2) for r in batch]
    assert {r.KIND for r in records} == set(KINDS)  # every kind is exercised
    makers = {cls: positional_maker(cls) for cls in KINDS.values()}
    for rec in records:
        values = [getattr(rec, f.name) for f in fields(rec)]
        made = makers[type(rec)](*values)
        assert type(made) is type(rec)
        assert made == rec and hash(made) == hash(rec) and astuple(made) == astuple(rec)
        assert orjson.dumps(made) == orjson.dumps(rec)
        with pytest.raises(AttributeError):  # still frozen
            made.valid_to = None  # type: ignore[misc]


def test_every_field_is_required_in_order() -> None:
    make = positional_maker(KINDS["person"])
    with pytest.raises(TypeError):
        make("P1", "张三")  # phone, valid_from and valid_to are not defaulted


@dataclass(slots=True)
class _Mutable:
    a: int


@dataclass(frozen=True, slots=True)
class _Checked:
    a: int

    def __post_init__(self) -> None:
        if self.a < 0:
            raise ValueError("negative")


@dataclass(frozen=True)
class _NoSlots:
    a: int


@pytest.mark.parametrize("cls", [_Mutable, _Checked, _NoSlots])
def test_classes_whose_init_does_more_are_refused(cls: type) -> None:
    with pytest.raises(TypeError):
        positional_maker(cls)
