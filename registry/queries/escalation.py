"""Who is next: the escalation steps up the centre tree, with cumulative time limits.

"Small matters stay in the grid, big matters stay in the centre" (小事不出网格、大事不出中心):
a matter goes first to the most local governance centre serving the place (the village's, else
the township's, else the county's), then up the centre tree (each centre's ``parent``, else the
next centre up the place chain) to the county centre, and finally to supervision (挂牌督办): the organization with function
``supervision`` located at the county or above.

Each centre step's time limit comes from the category's centre rules (``Handling`` with
``org_kind`` centre and a ``level``); ``cumulative_minutes`` is the time from receipt until the
step's limit runs out (a step without a limit adds nothing). Supervision starts when the last
centre's time has run out, so its cumulative figure is that of the step before.

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> steps = escalation(sample_store(), "451225100201-001", None, SAMPLE_TODAY)
>>> [(s.rank, s.kind, s.organization.name) for s in steps]
[(1, 'centre', '东门镇综治中心'), (2, 'centre', '罗城仫佬族自治县综治中心')]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from registry.codes import Level
from registry.model import Organization, OrgKind, Place, in_force
from registry.queries.handling import CategoryRule, locality, org_level
from registry.queries.hierarchy import MAX_DEPTH, ancestors
from registry.queries.seats import SeatAnswer, seats_at
from registry.store.base import GraphStore

__all__ = ["SUPERVISION", "EscalationStep", "escalation", "escalation_from", "first_centre"]

#: The ``function`` of the organization that supervises overdue matters (挂牌督办).
SUPERVISION = "supervision"


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """One step up: a centre (or supervision), its seats and time limits."""

    rank: int
    kind: str  # centre | supervision
    organization: Organization
    level: Level | None
    seats: tuple[SeatAnswer, ...]
    time_limit_minutes: int | None
    cumulative_minutes: int | None


def escalation(
    store: GraphStore, place: str, rule: CategoryRule | None, at: date
) -> tuple[EscalationStep, ...]:
    """The escalation steps for a matter of ``rule`` at ``place`` (no category: no limits)."""
    the_place = store.get(Place, place)
    if the_place is None:
        return ()
    chain = [the_place, *ancestors(store, Place, place)]
    return escalation_from(store, first_centre(store, chain, at), chain, rule, at)


def escalation_from(
    store: GraphStore,
    start: Organization | None,
    chain: list[Place],
    rule: CategoryRule | None,
    at: date,
    seats_of: Callable[[str], tuple[SeatAnswer, ...]] | None = None,
) -> tuple[EscalationStep, ...]:
    """The steps from centre ``start`` up, then supervision found along ``chain``.

    The steps depend on ``rule`` only through its centre limits, and on ``chain`` only above
    ``start``'s place. ``seats_of(code)`` gives an organization's seats (default: ``seats_at``
    now; a caller that already holds them passes its own).
    """
    if seats_of is None:
        seats_of = lambda code: seats_at(store, "organization", code, at)  # noqa: E731
    centres: list[Organization] = []
    node = start
    while node is not None and len(centres) < MAX_DEPTH and node not in centres:
        centres.append(node)
        up = store.get(Organization, node.parent) if node.parent else None
        if up is not None and up.kind is OrgKind.CENTRE and in_force(up, at):
            node = up
        else:  # no parent centre recorded: the next centre up the place chain
            here = locality(org_level(store, node))
            node = first_centre(store, [p for p in chain if locality(p.level) < here], at)
    steps: list[EscalationStep] = []
    total: int | None = None
    limits = rule.centre_limits if rule is not None else {}
    for centre in centres:
        level = org_level(store, centre)
        limit = limits.get(level) if level is not None else None
        if limit is not None:
            total = (total or 0) + limit
        seats = seats_of(centre.code)
        steps.append(EscalationStep(len(steps) + 1, "centre", centre, level, seats, limit, total))
    counties = [p for p in chain if locality(p.level) <= locality(Level.COUNTY)]
    for p in counties:
        found = sorted(
            (
                o
                for o in store.referrers(Organization, "place", p.code)
                if o.function == SUPERVISION and in_force(o, at)
            ),
            key=lambda o: o.code,
        )
        if found:
            org = found[0]
            seats = seats_of(org.code)
            level = org_level(store, org)
            steps.append(
                EscalationStep(len(steps) + 1, "supervision", org, level, seats, None, total)
            )
            break
    return tuple(steps)


def first_centre(store: GraphStore, chain: list[Place], at: date) -> Organization | None:
    """The most local centre in force located in the chain (smallest code on a tie)."""
    located = store.referrers_many(Organization, "place", [p.code for p in chain])
    for found in located:
        centres = sorted(
            (o for o in found if o.kind is OrgKind.CENTRE and in_force(o, at)),
            key=lambda o: o.code,
        )
        if centres:
            return centres[0]
    return None
