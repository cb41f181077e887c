"""Statistical division codes (统计用区划代码) and hamlet ids.

A division code has 12 digits: 2 province, 2 prefecture, 2 county, 3 township, 3 village.
Hamlets (屯, 自然村, 村民小组) have no official code; gridreg gives them stable ids made of the
village code, a dash and a three-digit number.

>>> level_of_code("451225000000")
<Level.COUNTY: 'county'>
>>> parent_code("451225100201")
'451225100000'
>>> parent_code("451225100201-003")
'451225100201'
>>> code_agrees_with_parent("451225100201", "451225100000")
True
>>> validate_code("45122510020")
Traceback (most recent call last):
...
registry.errors.InvalidInput: '45122510020' is not a 12-digit division code or a hamlet id
"""

from __future__ import annotations

import re
from enum import StrEnum

from registry.errors import InvalidInput

__all__ = [
    "LEVEL_ORDER",
    "Level",
    "code_agrees_with_parent",
    "level_of_code",
    "parent_code",
    "parent_level",
    "validate_code",
]


class Level(StrEnum):
    """Administrative levels, top down."""

    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    HAMLET = "hamlet"


LEVEL_ORDER: tuple[Level, ...] = tuple(Level)
_CODE = re.compile(r"^\d{12}$")
_HAMLET = re.compile(r"^(\d{12})-(\d{3})$")


def validate_code(code: str) -> str:
    """Return ``code`` if it is a division code or a hamlet id, else raise InvalidInput."""
    if _CODE.match(code):
        if code[:2] == "00":
            raise InvalidInput(f"{code!r} has no province part", [code])
        level_of_code(code)
        return code
    m = _HAMLET.match(code)
    if m and level_of_code(m.group(1)) is Level.VILLAGE:
        return code
    raise InvalidInput(f"{code!r} is not a 12-digit division code or a hamlet id", [code])


def level_of_code(code: str) -> Level:
    """The administrative level a code denotes, from its trailing zeros."""
    if _HAMLET.match(code):
        return Level.HAMLET
    if not _CODE.match(code):
        raise InvalidInput(f"{code!r} is not a 12-digit division code or a hamlet id", [code])
    if code[2:] == "0000000000":
        return Level.PROVINCE
    if code[4:] == "00000000":
        return Level.PREFECTURE
    if code[6:] == "000000":
        return Level.COUNTY
    if code[9:] == "000":
        if code[6:9] == "000":
            raise InvalidInput(f"{code!r} is malformed", [code])
        return Level.TOWNSHIP
    if code[6:9] == "000":
        raise InvalidInput(f"{code!r} has a village part but no township part", [code])
    return Level.VILLAGE


def parent_level(level: Level) -> Level | None:
    """The level directly above ``level`` (None for a province)."""
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[i - 1] if i else None


def parent_code(code: str) -> str | None:
    """The code of the unit directly above, derived from ``code`` itself."""
    level = level_of_code(code)
    if level is Level.HAMLET:
        return code[:12]
    if level is Level.PROVINCE:
        return None
    keep = {Level.PREFECTURE: 2, Level.COUNTY: 4, Level.TOWNSHIP: 6, Level.VILLAGE: 9}[level]
    return code[:keep].ljust(12, "0")


def code_agrees_with_parent(code: str, parent: str) -> bool:
    """True when ``parent`` is the unit that ``code`` itself says is directly above it."""
    return parent_code(code) == parent
