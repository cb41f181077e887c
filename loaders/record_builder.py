"""``RecordBuilder``: what the demo county and the synthetic regions share to build records.

A builder keeps a seeded ``random.Random``, collects records per kind (emitted in ``KINDS``
order) and numbers holdings; subclasses choose how persons are named and how ids are spelt.

>>> import random
>>> from datetime import date
>>> class Tiny(RecordBuilder):
...     def person(self, female: bool | None = None) -> str:
...         self._persons += 1
...         return f"P{self._persons}"
>>> b = Tiny(random.Random(1))
>>> b.staff(b.post("S1", "grid_worker", grid="G1"), date(2024, 1, 1))
'P1'
>>> [(r.KIND, r.key) for r in b.records()]
[('post', 'S1'), ('holding', 'H000001')]
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from registry.codes import level_of_code
from registry.model import KINDS, AnyRecord, Holding, Organization, OrgKind, Post
from registry.roles import ROLE_NAMES

__all__ = ["RecordBuilder"]


class RecordBuilder:
    """Records per kind, a seeded random source, and numbered holdings."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.buckets: dict[str, list[AnyRecord]] = {kind: [] for kind in KINDS}
        self._names: set[str] = set()
        self._persons = 0
        self._holdings = 0

    def add(self, *records: AnyRecord) -> None:
        for rec in records:
            self.buckets[rec.KIND].append(rec)

    def records(self) -> list[AnyRecord]:
        """Every record, kind by kind in ``KINDS`` order."""
        return [rec for bucket in self.buckets.values() for rec in bucket]

    def day(self, first: date, last: date) -> date:
        """A random day from ``first`` to ``last``."""
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def person(self, female: bool | None = None) -> str:
        """A new person; returns the id (each builder names and numbers its own)."""
        raise NotImplementedError

    def holding_id(self, n: int) -> str:
        """The id of the ``n``-th holding."""
        return f"H{n:06d}"

    def hold(self, person: str, post: str, start: date, end: date | None = None) -> None:
        self._holdings += 1
        self.add(Holding(self.holding_id(self._holdings), person, post, start, end))

    def staff(
        self, post: str, start: date, end: date | None = None, female: bool | None = None
    ) -> str:
        """A new person holding ``post``; returns the person id."""
        pid = self.person(female)
        self.hold(pid, post, start, end)
        return pid

    def post(
        self,
        pid: str,
        role: str,
        *,
        place: str | None = None,
        grid: str | None = None,
        organization: str | None = None,
    ) -> str:
        """A post at a place, grid or organization, labelled with the role's Chinese name."""
        label = ROLE_NAMES[role]
        self.add(Post(pid, role, place=place, grid=grid, organization=organization, label=label))
        return pid

    def org(
        self,
        code: str,
        name: str,
        kind: OrgKind,
        place: str,
        parent: str | None = None,
        function: str = "",
        phone: str | None = None,
    ) -> str:
        """An organization at the level of its place; returns its code."""
        level = level_of_code(place)
        self.add(
            Organization(code, name, kind, place, level, parent, function=function, phone=phone)
        )
        return code
