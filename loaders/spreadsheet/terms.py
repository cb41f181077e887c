"""Terms of office: ending the holdings a staff sheet no longer lists, and overlapping terms.

**Scope.** A staff sheet speaks for every (location, role) pair it names: a grid, organization
or place together with a role (e.g. grid G1 and 网格员, or village 451225100201 and 警务助理).
A stored holding of a post with such a location and role that the sheet does not list, and
that is still in force on the effective day, is *ended*: its ``valid_to`` becomes the day
before the effective day, or the day before the next listed holder of that post starts if
that is earlier. Holdings starting on or after the effective day are left alone (nothing is
ever deleted). A location named by a row that could not be read (or whose role is unknown) is
left out of the scope, so a typo never ends anybody's term.

**Overlap.** Every post is one seat: its terms (the sheet's, the ended ones and the other
stored ones) must not overlap, else ``TERM_OVERLAP`` is reported at the sheet's row.

>>> _start(Holding(id="H", person="P", post="S")) == date.min
True
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from loaders.spreadsheet.batch import row_text
from loaders.spreadsheet.context import Context
from loaders.spreadsheet.issues import Origin
from loaders.spreadsheet.rows import ParsedRow
from loaders.spreadsheet.staff import LOCATIONS, Seat
from registry.model import Holding, Person, Post

__all__ = ["check_terms", "end_holdings", "protected_locations"]


def _start(h: Holding) -> date:
    return h.valid_from or date.min


def _end(h: Holding) -> date:
    return h.valid_to or date.max


def protected_locations(rows: list[ParsedRow], seats: list[Seat]) -> set[tuple[str, str]]:
    """Locations of rows that did not become a seat (bad cells or an unknown role)."""
    seated = {id(s.row) for s in seats}
    found: set[tuple[str, str]] = set()
    for row in rows:
        if id(row) in seated:
            continue
        for name in LOCATIONS:
            if row.get(name) is not None:
                found.add((name, str(row.get(name))))
    return found


def _listed(ctx: Context) -> dict[str, list[Holding]]:
    by_post: dict[str, list[Holding]] = defaultdict(list)
    for h in ctx.batch.records_of(Holding):
        by_post[h.post].append(h)
    return by_post


def end_holdings(
    ctx: Context,
    scope: dict[tuple[str, str, str], Origin],
    protected: set[tuple[str, str]],
) -> None:
    """End the stored holdings in ``scope`` that the sheets do not list (see above)."""
    last = ctx.effective - timedelta(days=1)
    listed = _listed(ctx)
    seats: dict[tuple[str, str], dict[str, list[Post]]] = {}  # location → role → posts
    posts: list[tuple[str, Origin, Post]] = []  # the stored posts in scope
    for (field, where, role), origin in scope.items():
        if (field, where) in protected:
            continue
        by_role = seats.get((field, where))
        if by_role is None:  # a location's posts are read once, not once per role
            by_role = seats[(field, where)] = {}
            for post in ctx.view.referrers(Post, field, where):
                by_role.setdefault(post.role, []).append(post)
        posts.extend((field, origin, post) for post in by_role.get(role, ()))
    stored = ctx.view.referrers_many(Holding, "post", [post.id for _, _, post in posts])
    for (field, origin, post), holdings in zip(posts, stored, strict=True):
        if not holdings:
            continue
        starts = [h.valid_from for h in listed.get(post.id, ()) if h.valid_from is not None]
        for h in holdings:
            if ctx.batch.has(Holding, h.id) or _end(h) <= last:
                continue
            end = last
            later = [s for s in starts if h.valid_from is None or s > h.valid_from]
            if later:
                end = min(end, min(later) - timedelta(days=1))
            if h.valid_from is not None and end < h.valid_from:
                continue
            column = origin.columns.get(field)
            at = origin.with_columns({} if column is None else {"post": column})
            ctx.batch.add(replace(h, valid_to=end), at)
            ctx.batch.ended.add((Holding.KIND, h.id))


def _who(ctx: Context, h: Holding) -> tuple[str, str]:
    person = ctx.find(Person, h.person)
    name = person.name if person is not None else h.person
    held = ctx.batch.located.get(Holding.KIND, {}).get(h.id)
    span = f"{h.valid_from or '…'}—{h.valid_to or '…'}"
    if held is not None and (Holding.KIND, h.id) not in ctx.batch.ended:
        zh, en = row_text(held.origin)
        return f"{zh}的{name}（{span}）", f"{name} ({span}) at {en}"
    return f"库中的{name}（{h.id}，{span}）", f"{name} ({span}, stored holding {h.id})"


def _report(ctx: Context, post: str, first: Holding, second: Holding) -> bool:
    batch = ctx.batch
    rows = [
        h
        for h in (second, first)
        if batch.has(Holding, h.id) and (Holding.KIND, h.id) not in batch.ended
    ]
    if not rows:
        return False  # two stored or ended terms: not this import's doing
    at = batch.located[Holding.KIND][rows[0].id].origin
    other = first if rows[0] is second else second
    a_zh, a_en = _who(ctx, rows[0])
    b_zh, b_en = _who(ctx, other)
    ctx.report(
        at.at("valid_from", "person"),
        "TERM_OVERLAP",
        f"岗位 {post} 只有一个席位，{a_zh}与{b_zh}任期重叠",
        f"post {post} is one seat: the term of {a_en} overlaps {b_en}",
    )
    return True


def check_terms(ctx: Context) -> set[str]:
    """Report overlapping terms on every post the sheets touch; returns the holding ids
    reported."""
    bad: set[str] = set()
    by_post = _listed(ctx)
    stored = ctx.view.referrers_many(Holding, "post", list(by_post))  # one batch call
    for (post, listed), others in zip(by_post.items(), stored, strict=True):
        if not others and len(listed) == 1:
            continue  # one term overlaps nothing
        mine = {h.id for h in listed}
        terms = listed + [h for h in others if h.id not in mine]
        terms.sort(key=lambda h: (_start(h), h.id))
        active: Holding | None = None
        for h in terms:
            if active is not None and _start(h) <= _end(active) and _report(ctx, post, active, h):
                bad.update((active.id, h.id))
            if active is None or _end(h) > _end(active):
                active = h
    return bad
