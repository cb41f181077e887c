"""The building blocks of a synthetic county: ``CountyBuilder`` (a county's own seeded
``random.Random``, its records per kind, numbering of persons and holdings), the rates of the
planted gaps, and the naming helpers shared by ``loaders.synthetic_county`` (places, grids,
boundaries) and ``loaders.synthetic_staff`` (seats, organizations, rules).

Ids of persons and holdings carry the county (``P<county6>-NNNNNN``, ``H<county6>-NNNNNN``), so
counties never collide and a county's ids do not depend on the counties generated before it.

>>> from loaders.synthetic_plan import plan
>>> b = CountyBuilder(plan("county").counties[0])
>>> b.staff(b.post("990121100201-law_literate", "law_literate", place="990121100201"),
...         date(2024, 1, 1))
'P990121-000001'
>>> [r.key for r in b.buckets["holding"]]
['H990121-000001']
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from loaders.demo import DEMO_TODAY, FUTURE_ENDS, Hamlet
from loaders.demo_data import FEMALE_CHARS, GIVEN_CHARS, PHONE_PREFIXES, SURNAMES
from loaders.record_builder import RecordBuilder
from loaders.synthetic_plan import CountyPlan
from registry.model import Person

__all__ = [
    "RATES",
    "TODAY",
    "CountyBuilder",
    "Township",
    "Village",
    "dept_code",
    "localise",
]

#: The reference day of the planted terms (the demo's "today").
TODAY = DEMO_TODAY

#: Rates of planted gaps and of other features.
RATES: dict[str, float] = {
    "missing_seat": 0.003,  # a village seat with no post at all
    "vacant_seat": 0.015,  # a village post never held
    "expired_seat": 0.015,  # a village post whose holder's term ended before TODAY
    "open_term": 0.85,  # a term without an end (else one of FUTURE_ENDS)
    "predecessor": 0.10,  # a village seat had an earlier holder
    "pair": 0.48,  # two hamlets share a tier-2 grid (per pair of hamlets)
    "uncovered": 0.002,  # hamlets no micro-grid covers
    "vacant_grid": 0.01,  # micro-grid worker posts never held
    "expired_grid": 0.004,  # micro-grid worker posts whose holder left before TODAY
    "shared_grid": 0.004,  # micro-grids sharing their worker with a sibling (pairs)
    "grid_predecessor": 0.06,
    "vacant_leader": 0.02,
    "no_centre": 0.25,  # chance that one township of the county has no centre
    "shared_police": 0.1,  # a township served by its neighbour's police station
}

_DEMO_COUNTY_NAME = "罗城仫佬族自治县"


def dept_code(county: str, function: str) -> str:
    """The code of a county department (``<county6>-dept-<function>``, as in the demo)."""
    return f"{county[:6]}-dept-{function}"


def localise(name: str, county: CountyPlan) -> str:
    """A demo organization name (罗城...) made the county's own.

    >>> from loaders.synthetic_plan import plan
    >>> c = plan("county").counties[0]
    >>> localise("河池市生态环境局罗城分局", c) == f"{c.city.name}生态环境局{c.short}分局"
    True
    """
    return (
        name.replace(_DEMO_COUNTY_NAME, county.name)
        .replace("河池市", county.city.name)
        .replace("罗城", county.short)
    )


@dataclass(frozen=True, slots=True)
class Village:
    """An administrative village or community being built, with its hamlets."""

    code: str
    name: str
    township: str
    community: bool
    hamlets: tuple[Hamlet, ...]


@dataclass(frozen=True, slots=True)
class Township:
    """A township (街道, 镇, 乡) being built; ``short`` is its name without the suffix."""

    code: str
    name: str
    short: str


class CountyBuilder(RecordBuilder):
    """Collects one county's records per kind (emitted in ``KINDS`` order)."""

    def __init__(self, plan: CountyPlan) -> None:
        super().__init__(random.Random(plan.seed))
        self.plan = plan
        self.code = plan.code
        self.c6 = plan.code[:6]

    def chance(self, rate: str) -> bool:
        return self.rng.random() < RATES[rate]

    def person(self, female: bool | None = None) -> str:
        rng = self.rng
        if female is None:
            female = rng.random() < 0.4
        chars = FEMALE_CHARS if female else GIVEN_CHARS
        name = ""
        for _ in range(50):  # unique in the county while names last
            name = rng.choice(SURNAMES) + "".join(rng.sample(chars, 1 if rng.random() < 0.3 else 2))
            if name not in self._names:
                break
        self._names.add(name)
        self._persons += 1
        pid = f"P{self.c6}-{self._persons:06d}"
        self.add(Person(pid, name, rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"))
        return pid

    def holding_id(self, n: int) -> str:
        return f"H{self.c6}-{n:06d}"

    def term_end(self) -> date | None:
        return None if self.chance("open_term") else self.rng.choice(FUTURE_ENDS)

    def predecessor(self, post: str, start: date, earliest: date, rate: str) -> None:
        latest = start - timedelta(days=400)
        if self.chance(rate) and latest >= earliest:
            self.staff(post, self.day(earliest, latest), start - timedelta(days=1))

    def director(self, centre: str) -> None:
        post = self.post(f"{centre}-centre_director", "centre_director", organization=centre)
        self.staff(post, self.day(date(2021, 1, 1), date(2024, 6, 30)))
