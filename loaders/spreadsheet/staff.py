"""Staff sheets (人员): one row is a person holding a seat (post) for a term.

Columns: 姓名, 联系电话, 岗位 (required: a role code or a role's Chinese name as
stored, or a name the mapping file's ``[roles]`` table maps), where the seat is — 网格编码
(grid), 机构代码 (organization) or 区划代码 (place): one is required; when a row fills several,
the grid wins, then the organization, then the place (the others are context) — 任职日期
(valid_from), 离任日期 (valid_to), 人员编号 (person id) and 岗位编号 (post id).

A row whose 姓名 is empty or one of ``VACANT`` (空缺, 暂缺, ...) is a *vacancy*: it declares the
seat (its post is kept or created) and puts it in the sheet's scope, so the seat's current
holders are ended (see ``terms``), but builds no person or holding.

Ids when the sheet has none:

* post: ``<where>-<role>``, e.g. ``451225100201-police_assistant`` (the demo's convention);
* person: a person already holding that post (stored) with the same name keeps their id (so a
  new phone number is a change, not a new person); else the id another row of the same name
  and phone got; else ``P-`` and the first 10 hex digits of the SHA-1 of ``name|phone`` (of
  ``name|@<where>`` without a phone number, so namesakes without phones stay apart);
* holding: a stored holding of the same post and person starting the same day keeps its id,
  else one of them whose term overlaps the row's; else ``H:<post>:<person>:<valid_from or ->``.

A blank 任职日期 keeps a stored holding's start; a new holding without one starts on the
effective day when its post already has stored holdings (a successor), else has no start.

>>> derived_person_id("韦小红", "13807781234", "G1")
'P-e54399bf4b'
>>> Roles([], {}).resolve("网格员") is None
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from loaders.spreadsheet.batch import row_text
from loaders.spreadsheet.cells import parse_code, parse_date, parse_key, parse_phone, parse_text
from loaders.spreadsheet.context import Context
from loaders.spreadsheet.headers import normalize_header
from loaders.spreadsheet.issues import Origin, issue
from loaders.spreadsheet.rows import ParsedRow, Parser, parse_table
from loaders.spreadsheet.tables import Table
from registry.model import (
    Grid,
    Holding,
    Organization,
    Person,
    Place,
    Post,
    Role,
    positional_maker,
)

__all__ = [
    "LOCATIONS",
    "VACANT",
    "Roles",
    "Seat",
    "build_staff",
    "derived_person_id",
    "is_vacant",
    "read_staff",
    "seats_of",
    "wanted_persons",
]

#: Names that mean "nobody holds this seat".
VACANT: frozenset[str] = frozenset({"空缺", "暂缺", "缺", "缺员", "空", "无", "待配备", "vacant"})
#: Where a seat can be, in order of precedence.
LOCATIONS: tuple[str, ...] = ("grid", "organization", "place")
_TARGETS: dict[str, type[Grid] | type[Organization] | type[Place]] = {
    "grid": Grid,
    "organization": Organization,
    "place": Place,
}
_PARSERS: dict[str, Parser] = {
    "name": parse_text,
    "phone": parse_phone,
    "role": parse_text,
    "grid": parse_key,
    "place": parse_code,
    "organization": parse_key,
    "valid_from": parse_date,
    "valid_to": parse_date,
    "person": parse_key,
    "post": parse_key,
}


def derived_person_id(name: str, phone: str | None, where: str) -> str:
    """The person id of a row without one (see the module docstring)."""
    basis = f"{name}|{phone}" if phone else f"{name}|@{where}"
    return "P-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:10]


class Roles:
    """Role codes by code, by stored Chinese name, and by the mapping file's aliases."""

    def __init__(self, roles: Iterable[Role], aliases: dict[str, str]) -> None:
        self.by_code = {r.code: r for r in roles}
        self._resolved: dict[str, str | None] = {}
        self.names: dict[str, str] = {}
        for r in self.by_code.values():
            self.names.setdefault(normalize_header(r.code), r.code)
            self.names.setdefault(normalize_header(r.name), r.code)
        for alias, code in aliases.items():
            if code in self.by_code:
                self.names[alias] = code

    def resolve(self, text: str) -> str | None:
        """The role code ``text`` names, or None (remembered: a sheet names a few roles)."""
        try:
            return self._resolved[text]
        except KeyError:
            found = self._resolved[text] = self.names.get(normalize_header(text))
            return found


@dataclass(frozen=True, slots=True)
class Seat:
    """A staff row's seat: where it is, its role and its post id; ``vacant`` for a vacancy
    row (no holder: see ``is_vacant``)."""

    row: ParsedRow
    where_field: str
    where: str
    role: str
    post: str
    vacant: bool


#: ``Seat(...)``, ``Person(...)``, ``Post(...)`` and ``Holding(...)`` with every field given in
#: order, made faster (``registry.model.positional_maker``): some 65,000 of each per city.
_make_seat = positional_maker(Seat)
_make_person = positional_maker(Person)
_make_post = positional_maker(Post)
_make_holding = positional_maker(Holding)


def is_vacant(name: Any) -> bool:
    """True when a row's 姓名 means nobody holds the seat (blank, or one of ``VACANT``)."""
    return name is None or str(name).lower() in VACANT


def read_staff(table: Table) -> list[ParsedRow]:
    """Parse every row of a staff sheet: one location is needed, a term must not end before
    it starts."""
    rows = parse_table(table, _PARSERS, ("role",))
    for row in rows:
        values = row.values
        if (
            not row.issues
            and values.get("grid") is None
            and values.get("organization") is None
            and values.get("place") is None
        ):  # no location (LOCATIONS)
            headers = [row.origin.columns[f] for f in LOCATIONS if f in row.origin.columns]
            row.issues.append(
                issue(
                    row.origin.at(*LOCATIONS),
                    "MISSING_VALUE",
                    f"岗位所在位置为空：请填写{'、'.join(headers)}",
                    f"where the seat is is empty: fill in {' or '.join(headers)}",
                )
            )
        start, end = values.get("valid_from"), values.get("valid_to")
        if start is not None and end is not None and end < start:
            row.issues.append(
                issue(
                    row.origin.at("valid_to"),
                    "BAD_DATE",
                    f"离任日期 {end} 早于任职日期 {start}",
                    f"the term ends ({end}) before it starts ({start})",
                )
            )
    return rows


def _location(row: ParsedRow) -> tuple[str, str] | None:
    values = row.values
    for name in LOCATIONS:
        found = values.get(name)
        if found is not None:
            return name, str(found)
    return None


def seats_of(rows: list[ParsedRow], roles: Roles) -> list[Seat]:
    """The seats of the good rows whose role is known (for prefetching and building)."""
    seats = []
    resolve = roles.resolve
    for row in rows:
        if row.issues:
            continue
        where = _location(row)
        role = resolve(str(row.values.get("role")))
        if where is not None and role is not None:
            post = row.values.get("post") or f"{where[1]}-{role}"
            vacant = is_vacant(row.values.get("name"))
            seats.append(_make_seat(row, where[0], where[1], role, post, vacant))
    return seats


def build_staff(
    rows: list[ParsedRow], roles: Roles, ctx: Context, seats: list[Seat] | None = None
) -> dict[tuple[str, str, str], Origin]:
    """Build persons, posts and holdings of the good rows; returns the scope of the sheet:
    each (location field, location, role) with the first row naming it (rows that failed or
    whose role is unknown are left out: see ``terms.protected_locations``). ``seats`` are
    ``seats_of(rows, roles)`` when the caller has them already."""
    batch = ctx.batch
    for row in rows:
        if not row.ok:
            batch.issues.extend(row.issues)
            continue
        if roles.resolve(str(row.get("role"))) is None:
            known = (
                "、".join(sorted({r.name for r in roles.by_code.values()})) or "（库中没有岗位）"
            )
            ctx.report(
                row.origin.at("role"),
                "UNKNOWN_ROLE",
                f"岗位“{row.get('role')}”无法识别（已有岗位：{known}）",
                f"role {row.get('role')!r} is neither a role code nor a role name in the store "
                "(map other names in the mapping file's [roles])",
            )
    if seats is None:
        seats = seats_of(rows, roles)
    scope: dict[tuple[str, str, str], Origin] = {}
    for seat in seats:
        scope.setdefault((seat.where_field, seat.where, seat.role), seat.row.origin)
    found: set[tuple[str, str]] = set()  # locations found (staff rows build none)
    for seat in seats:
        if seat.vacant and _check_where(seat, ctx, found):
            post_columns = _columns(seat.row.origin).post[seat.where_field]
            _add_post(seat, roles, ctx.stored(Post, seat.post), post_columns, ctx)
    held = [s for s in seats if not s.vacant]
    # the stored holdings of each seat's post, read once (one batch call)
    stored = ctx.view.referrers_many(Holding, "post", [s.post for s in held])
    persons = _person_ids(held, stored, ctx)
    claimed: set[str] = set()
    holding_ids = _holding_ids(held, persons, stored, claimed)
    # the stored versions of the records to build: one batch read per kind, not one per row
    stored_persons = ctx.view.get_many(Person, persons)
    stored_posts = ctx.view.get_many(Post, [s.post for s in held])
    stored_holdings = ctx.view.get_many(Holding, holding_ids)
    for i, seat in enumerate(held):
        columns = _columns(seat.row.origin)
        person_ok = _add_person(seat, persons[i], stored_persons[i], columns.person, ctx)
        if (
            _check_where(seat, ctx, found)
            and _add_post(seat, roles, stored_posts[i], columns.post[seat.where_field], ctx)
            and person_ok
        ):
            succeeds = bool(stored[i])  # the post has stored holdings
            holding, stored_holding = holding_ids[i], stored_holdings[i]
            _add_holding(seat, persons[i], holding, stored_holding, succeeds, columns.holding, ctx)
    return scope


def _check_where(seat: Seat, ctx: Context, found: set[tuple[str, str]]) -> bool:
    """True when the seat's location exists (built or stored; remembered in ``found``),
    else reports a dangling one."""
    where = (seat.where_field, seat.where)
    if where in found:
        return True
    target = _TARGETS[seat.where_field]
    if ctx.find(target, seat.where) is not None:
        found.add(where)
        return True
    if ctx.dangling(target, seat.where):
        zh = {"grid": "网格", "organization": "机构", "place": "区划"}[seat.where_field]
        ctx.report(
            seat.row.origin.at(seat.where_field),
            "UNKNOWN_REFERENCE",
            f"{zh} {seat.where} 不存在（文件和库中都没有）",
            f"{seat.where_field} {seat.where} is neither in the files nor in the store",
        )
    return False


def _person_ids(seats: list[Seat], stored: list[list[Holding]], ctx: Context) -> list[str]:
    """The person id of each seat's row (see the module docstring); ``stored``: the stored
    holdings of each seat's post."""
    ids: list[str | None] = []
    known: dict[tuple[str, str | None], str] = {}
    for seat, holdings in zip(seats, stored, strict=True):
        values = seat.row.values
        name, phone = str(values.get("name")), values.get("phone")
        found: str | None = values.get("person")
        if found is None:
            for h in holdings:
                holder = ctx.stored(Person, h.person)
                if holder is not None and holder.name == name:
                    found = holder.id
                    break
        if found is not None:
            known.setdefault((name, phone), found)
        ids.append(found)
    out = []
    for seat, found in zip(seats, ids, strict=True):
        if found is not None:
            out.append(found)
            continue
        name, phone = str(seat.row.values.get("name")), seat.row.values.get("phone")
        out.append(known.get((name, phone)) or derived_person_id(name, phone, seat.where))
    return out


def _overlaps(a_from: date | None, a_to: date | None, b: Holding) -> bool:
    return (a_from is None or b.valid_to is None or a_from <= b.valid_to) and (
        a_to is None or b.valid_from is None or b.valid_from <= a_to
    )


def _holding_ids(
    seats: list[Seat], persons: list[str], holdings: list[list[Holding]], claimed: set[str]
) -> list[str]:
    """Holding ids: stored ones (``holdings``: of each seat's post) matched exactly first,
    then by overlapping term, else new. Rows for the same post, person and start get the
    same id (reported as duplicates)."""
    ids: list[str | None] = [None] * len(seats)
    first: dict[tuple[str, str, date | None], int] = {}
    repeats: dict[int, int] = {}
    for i, (seat, person) in enumerate(zip(seats, persons, strict=True)):
        natural = (seat.post, person, seat.row.values.get("valid_from"))
        if natural in first:
            repeats[i] = first[natural]
        else:
            first[natural] = i
    stored = [(i, found) for i, found in enumerate(holdings) if found]  # most posts have none
    for exact in (True, False):
        for i, found in stored:
            if ids[i] is not None or i in repeats:
                continue
            seat, person = seats[i], persons[i]
            start, end = seat.row.values.get("valid_from"), seat.row.values.get("valid_to")
            for h in found:
                if h.id in claimed or h.person != person:
                    continue
                if (h.valid_from == start) if exact else _overlaps(start, end, h):
                    ids[i] = h.id
                    claimed.add(h.id)
                    break
    out: list[str] = []
    for i, (seat, person) in enumerate(zip(seats, persons, strict=True)):
        if i in repeats:
            out.append(out[repeats[i]])
            continue
        start = seat.row.values.get("valid_from")
        out.append(ids[i] or f"H:{seat.post}:{person}:{start.isoformat() if start else '-'}")
    return out


Pairs = tuple[tuple[str, str], ...]
_PERSON_COLUMNS: Pairs = (("id", "person"), ("name", "name"), ("phone", "phone"))
_POST_COLUMNS: dict[str, Pairs] = {f: (("id", "post"), ("role", "role"), (f, f)) for f in LOCATIONS}
_HOLDING_COLUMNS: Pairs = (
    ("person", "name"),
    ("post", "role"),
    ("valid_from", "valid_from"),
    ("valid_to", "valid_to"),
)


@dataclass(frozen=True, slots=True)
class _Columns:
    """The columns of a table's staff row for the fields of each record it builds."""

    person: Mapping[str, str]
    post: dict[str, Mapping[str, str]]  # by location field
    holding: Mapping[str, str]


_PROJECTIONS: dict[int, tuple[Mapping[str, str], _Columns]] = {}


def _columns(origin: Origin) -> _Columns:
    """The record fields of ``origin``'s row mapped to its columns. The rows of a table share
    their columns, so the maps are made once per table (keyed by the identity of the row's
    columns, checked on a hit)."""
    columns = origin.columns
    hit = _PROJECTIONS.get(id(columns))
    if hit is None or hit[0] is not columns:
        if len(_PROJECTIONS) >= 256:
            _PROJECTIONS.clear()

        def project(pairs: Pairs) -> dict[str, str]:
            return {k: columns[v] for k, v in pairs if v in columns}

        made = _Columns(
            project(_PERSON_COLUMNS),
            {f: project(pairs) for f, pairs in _POST_COLUMNS.items()},
            project(_HOLDING_COLUMNS),
        )
        hit = _PROJECTIONS[id(columns)] = (columns, made)
    return hit[1]


def _conflict(ctx: Context, at: Origin, first: Origin, zh: str, en: str, *fields: str) -> None:
    first_zh, first_en = row_text(first)
    ctx.report(at.at(*fields), "DUPLICATE_ID", f"{zh}（{first_zh}）", f"{en} ({first_en})")


def _add_person(
    seat: Seat, person: str, stored: Person | None, columns: Mapping[str, str], ctx: Context
) -> bool:
    """Add the row's person ``person`` (``stored``: its stored version; ``columns``: its
    fields' columns)."""
    row = seat.row
    values = row.values
    name: str = values["name"]  # a seat with a holder has a name
    has_phone = "phone" in row.present
    phone = values.get("phone") if has_phone else None
    record: Person
    if stored is None:
        record = _make_person(person, name, phone, None, None)
    elif stored.name == name and (not has_phone or stored.phone == phone):
        record = stored  # what replace() would make, without making it
    elif has_phone:
        record = replace(stored, name=name, phone=phone)
    else:
        record = replace(stored, name=name)
    held = ctx.batch.add(record, row.origin, columns)
    if held is not None and held.record != record:
        old = held.record
        assert isinstance(old, Person)
        _conflict(
            ctx,
            row.origin.with_columns(columns),
            held.origin,
            f"人员 {person} 重复且信息不一致：此处为 {record.name} {record.phone or ''}，"
            f"先前为 {old.name} {old.phone or ''}",
            f"person {person} appears twice with different details: {record.name} "
            f"{record.phone or ''} here, {old.name} {old.phone or ''} before",
            "id",
            "phone",
            "name",
        )
        return False
    return True


def _add_post(
    seat: Seat, roles: Roles, stored: Post | None, columns: Mapping[str, str], ctx: Context
) -> bool:
    """Add the seat's post (``stored``: its stored version; ``columns``: its fields'
    columns)."""
    row = seat.row
    field, where = seat.where_field, seat.where
    place = where if field == "place" else None
    grid = where if field == "grid" else None
    organization = where if field == "organization" else None
    record: Post
    if stored is None:
        label = roles.by_code[seat.role].name
        record = _make_post(seat.post, seat.role, place, grid, organization, label, None, None)
    elif (
        stored.role == seat.role
        and stored.place == place
        and stored.grid == grid
        and stored.organization == organization
    ):
        record = stored  # what replace() would make, without making it
    else:
        record = replace(stored, role=seat.role, place=place, grid=grid, organization=organization)
    held = ctx.batch.add(record, row.origin, columns)
    if held is not None and held.record != record:
        origin = row.origin.with_columns(columns)
        old = held.record
        assert isinstance(old, Post)
        old_where = next(getattr(old, f) for f in LOCATIONS if getattr(old, f) is not None)
        _conflict(
            ctx,
            origin,
            held.origin,
            f"岗位编号 {seat.post} 重复：此处为 {seat.where} 的 {seat.role}，先前为 {old_where} 的 "
            f"{old.role}",
            f"post {seat.post} appears twice: {seat.role} at {seat.where} here, {old.role} at "
            f"{old_where} before",
            "id",
            "role",
        )
        return False
    return True


def _add_holding(
    seat: Seat,
    person: str,
    holding: str,
    stored: Holding | None,
    succeeds: bool,
    columns: Mapping[str, str],
    ctx: Context,
) -> None:
    """Add the row's holding ``holding`` (``stored``: its stored version; ``succeeds`` when
    its post has stored holdings; ``columns``: its fields' columns)."""
    row = seat.row
    post = seat.post
    start = row.values.get("valid_from")  # None when blank or without a column
    if start is None:
        if stored is not None:
            start = stored.valid_from  # a blank start keeps the stored one
        elif succeeds:
            start = ctx.effective  # a successor without a date starts now
    has_end = "valid_to" in row.present  # else the stored end is kept
    end = row.values.get("valid_to") if has_end else None
    record: Holding
    if stored is None:
        record = _make_holding(holding, person, post, start, end)
    elif (
        stored.person == person
        and stored.post == post
        and stored.valid_from == start
        and (not has_end or stored.valid_to == end)
    ):
        record = stored  # what replace() would make, without making it
    elif has_end:
        record = replace(stored, person=person, post=post, valid_from=start, valid_to=end)
    else:
        record = replace(stored, person=person, post=post, valid_from=start)
    held = ctx.batch.add(record, row.origin, columns)
    if held is not None:
        origin = row.origin.with_columns(columns)
        name = row.get("name")
        _conflict(
            ctx,
            origin,
            held.origin,
            f"{name} 在岗位 {seat.post} 的同一任期重复列出",
            f"{name} is listed twice for the same term of post {seat.post}",
            "person",
        )


def wanted_persons(seats: list[Seat], ctx: Context) -> set[str]:
    """Person ids to prefetch: given, derived, and the stored holders of the seats' posts."""
    found: set[str] = set()
    held = [seat for seat in seats if not seat.vacant]
    stored = ctx.view.referrers_many(Holding, "post", [seat.post for seat in held])
    for seat, holdings in zip(held, stored, strict=True):
        row = seat.row
        given = row.values.get("person")
        if given is not None:
            found.add(given)  # a given id is used as it is: no derived id is needed
        else:
            found.add(derived_person_id(str(row.get("name")), row.get("phone"), seat.where))
        for h in holdings:
            found.add(h.person)
    return found
