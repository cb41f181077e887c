"""Seats (posts) at a place, grid or organization, their holders at ``at``, and vacancy fallback.

A seat is ``filled`` (someone holds it at ``at``), ``vacant`` (the post exists, nobody holds
it) or ``missing`` (a role asked for has no post at all). When a seat is vacant or missing and
its role allows fallback (``Role.fallback``, on unless the role says otherwise), the holder of a
seat of the same role at the nearest ancestor answers instead, and the seat says where from
(``inherited_from``):

* a place's seat: seats at the parent place, then at the centres located there, and so on up;
* a grid's seat: seats at the parent grid, and so on up the grid chain;
* an organization's seat: seats at its parent organization, and so on up.

>>> from registry.testing import sample_store, SAMPLE_TODAY
>>> store = sample_store()
>>> [(s.role_code, s.status) for s in seats_at(store, "place", "451225100201", SAMPLE_TODAY)]
[('law_literate', 'vacant'), ('police_assistant', 'filled')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registry.model import Grid, Holding, Organization, OrgKind, Person, Place, Post, Role, in_force
from registry.queries.hierarchy import MAX_DEPTH
from registry.store.base import GraphStore

__all__ = ["SeatAnswer", "seats_at"]


@dataclass(frozen=True, slots=True)
class SeatAnswer:
    """A seat and who holds it at ``at``; ``post`` is None when the role has no seat (missing).

    ``inherited_from`` is the ancestor's seat whose ``inherited_holders`` answer for a vacant or
    missing seat.
    """

    role_code: str
    post: Post | None
    holders: tuple[Person, ...]
    inherited_from: Post | None = None
    inherited_holders: tuple[Person, ...] = ()

    @property
    def status(self) -> str:
        """``filled``, ``vacant`` (seat without holder) or ``missing`` (no seat)."""
        if self.post is None:
            return "missing"
        return "filled" if self.holders else "vacant"

    @property
    def found(self) -> str:
        """``listed`` (the seat's own holders), ``inherited`` (an ancestor's) or ``none``."""
        if self.holders:
            return "listed"
        return "inherited" if self.inherited_from is not None else "none"

    @property
    def answering(self) -> tuple[Person, ...]:
        """Who answers for the seat: its holders, else the inherited holders."""
        return self.holders or self.inherited_holders


def _held(store: GraphStore, posts: list[Post], at: date) -> list[tuple[Post, tuple[Person, ...]]]:
    """Posts with the people holding them at ``at`` (one batched read per kind)."""
    holdings = store.referrers_many(Holding, "post", [p.id for p in posts])
    ids = [[h.person for h in held if in_force(h, at)] for held in holdings]
    people = store.get_many(Person, [i for group in ids for i in group])
    out: list[tuple[Post, tuple[Person, ...]]] = []
    n = 0
    for post, group in zip(posts, ids, strict=True):
        found = people[n : n + len(group)]
        n += len(group)
        out.append((post, tuple(p for p in found if p is not None)))
    return out


def seats_at(
    store: GraphStore,
    field: str,
    key: str,
    at: date,
    roles: tuple[str, ...] | None = None,
    fallback: bool = True,
) -> tuple[SeatAnswer, ...]:
    """Seats at a place, grid or organization (``field``), with their holders at ``at``.

    With ``roles``, only those roles, in that order, and a missing entry for a role with no seat.
    With ``fallback``, vacant and missing seats name the ancestor's holder who answers.
    """
    posts = [p for p in store.referrers(Post, field, key) if in_force(p, at)]
    answers: dict[str, list[SeatAnswer]] = {}
    for post, people in _held(store, posts, at):
        answers.setdefault(post.role, []).append(SeatAnswer(post.role, post, people))
    if roles is None:
        out = [s for role in sorted(answers) for s in answers[role]]
    else:
        out = []
        for role in roles:
            out.extend(answers.get(role) or [SeatAnswer(role, None, ())])
    if fallback and any(not s.holders for s in out):
        out = [s if s.holders else _inherit(store, field, key, s, at) for s in out]
    return tuple(out)


def _inherit(store: GraphStore, field: str, key: str, seat: SeatAnswer, at: date) -> SeatAnswer:
    role = store.get(Role, seat.role_code)
    if role is not None and not role.fallback:
        return seat
    for owner_field, owner in _ancestor_owners(store, field, key, at):
        posts = [
            p
            for p in store.referrers(Post, owner_field, owner)
            if p.role == seat.role_code and in_force(p, at)
        ]
        for post, people in _held(store, posts, at):
            if people:
                return SeatAnswer(seat.role_code, seat.post, (), post, people)
    return seat


def _ancestor_owners(store: GraphStore, field: str, key: str, at: date) -> list[tuple[str, str]]:
    """Where to look for a stand-in, nearest first: (post field, owner key) pairs."""
    out: list[tuple[str, str]] = []
    if field == "place":
        node = store.get(Place, key)
        while node is not None and node.parent is not None and len(out) < 2 * MAX_DEPTH:
            node = store.get(Place, node.parent)
            if node is None:
                break
            out.append(("place", node.code))
            centres = [
                o
                for o in store.referrers(Organization, "place", node.code)
                if o.kind is OrgKind.CENTRE and in_force(o, at)
            ]
            out.extend(("organization", o.code) for o in centres)
    elif field == "grid":
        grid = store.get(Grid, key)
        while grid is not None and grid.parent is not None and len(out) < MAX_DEPTH:
            grid = store.get(Grid, grid.parent)
            if grid is not None:
                out.append(("grid", grid.code))
    elif field == "organization":
        org = store.get(Organization, key)
        while org is not None and org.parent is not None and len(out) < MAX_DEPTH:
            org = store.get(Organization, org.parent)
            if org is not None:
                out.append(("organization", org.code))
    return out
