"""Grids sheets (网格): grids, their parents and the places they cover.

Columns: 网格编码 (code, required), 网格名称 (name, required), 层级 (tier: 1-4 or 一级..四级,
微网格 = 3, 末端防处单元 = 4; derived from the parent chain when the column is absent: a grid
without a parent is tier 1), 上级网格 (parent), 所属县 (county: derived from the parent grid, else
the stored grid, else the covered places' county when they all agree), 覆盖区划 (covers:
division codes or hamlet ids separated by 、 , ， ; or spaces), 户数, 启用日期, 停用日期.

A grid row with a 覆盖区划 column lists *all* the places the grid covers: stored coverage of
that grid that the row no longer lists is ended (``valid_to`` = the effective day − 1), new
coverage of a grid already stored starts on the effective day.

>>> parse_covers("451225100201-001、451225100201-002")
('451225100201-001', '451225100201-002')
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from loaders.spreadsheet.batch import row_text
from loaders.spreadsheet.cells import (
    parse_code,
    parse_count,
    parse_date,
    parse_key,
    parse_text,
    parse_tier,
    split_list,
)
from loaders.spreadsheet.context import Context
from loaders.spreadsheet.issues import Origin
from loaders.spreadsheet.rows import ParsedRow, Parser, parse_table
from loaders.spreadsheet.tables import Table
from registry.codes import Level
from registry.model import Coverage, Grid, Place

__all__ = [
    "build_grids",
    "check_grids",
    "end_coverage",
    "parse_covers",
    "read_grids",
    "wanted_grids",
]


def parse_covers(value: Any) -> tuple[str, ...]:
    """Covered place codes of a cell (each checked like a division code)."""
    return tuple(dict.fromkeys(parse_code(item) for item in split_list(value)))


_PARSERS: dict[str, Parser] = {
    "code": parse_key,
    "name": parse_text,
    "tier": parse_tier,
    "parent": parse_key,
    "county": parse_code,
    "covers": parse_covers,
    "households": parse_count,
    "valid_from": parse_date,
    "valid_to": parse_date,
}


def read_grids(table: Table) -> list[ParsedRow]:
    """Parse every row of a grids sheet."""
    return parse_table(table, _PARSERS, ("code", "name"))


def wanted_grids(rows: list[ParsedRow]) -> tuple[set[str], set[str]]:
    """(grid codes, place codes) the rows refer to."""
    grids: set[str] = set()
    places: set[str] = set()
    for row in rows:
        for name in ("code", "parent"):
            if row.get(name) is not None:
                grids.add(row.get(name))
        if row.get("county") is not None:
            places.add(row.get("county"))
        places.update(row.get("covers") or ())
    return grids, places


class _Derive:
    """Tier and county of grids from the rows, their parents and the store."""

    def __init__(self, rows: dict[str, ParsedRow], ctx: Context) -> None:
        self.rows = rows
        self.ctx = ctx

    def parent(self, code: str) -> str | None:
        row = self.rows.get(code)
        if row is not None and "parent" in row.present:
            parent: str | None = row.get("parent")
            return parent
        stored = self.ctx.stored(Grid, code)
        return None if stored is None else stored.parent

    def tier(self, code: str, trail: frozenset[str] = frozenset()) -> int | None:
        row = self.rows.get(code)
        if row is None:
            stored = self.ctx.stored(Grid, code)
            return None if stored is None else stored.tier
        if row.get("tier") is not None:
            tier: int = row.get("tier")
            return tier
        parent = self.parent(code)
        if parent is None:
            return 1
        if parent in trail or parent == code:
            return None
        above = self.tier(parent, trail | {code})
        return None if above is None else above + 1

    def county(self, code: str, trail: frozenset[str] = frozenset()) -> str | None:
        row = self.rows.get(code)
        stored = self.ctx.stored(Grid, code)
        if row is None:
            return None if stored is None else stored.county
        if row.get("county") is not None:
            county: str = row.get("county")
            return county
        parent = self.parent(code)
        if parent is not None and parent not in trail and parent != code:
            found = self.county(parent, trail | {code})
            if found is not None:
                return found
        if stored is not None:
            return stored.county
        counties = {c[:6] + "000000" for c in row.get("covers") or ()}
        return counties.pop() if len(counties) == 1 else None


def build_grids(rows: list[ParsedRow], ctx: Context) -> None:
    """Build a Grid (and its Coverage) per good row; report duplicates and two parents."""
    batch = ctx.batch
    kept: dict[str, ParsedRow] = {}
    for row in rows:
        code = row.get("code")
        if not row.ok:
            batch.issues.extend(row.issues)
            batch.fail(Grid, code)
            continue
        first = kept.get(code)
        if first is None:
            kept[code] = row
            continue
        first_zh, first_en = row_text(first.origin)
        if first.get("parent") != row.get("parent"):
            ctx.report(
                row.origin.at("parent", "code"),
                "TWO_PARENTS",
                f"网格 {code} 的上级为 {row.get('parent') or '（无）'}，但{first_zh}给出的上级为 "
                f"{first.get('parent') or '（无）'}",
                f"grid {code} has parent {row.get('parent')} here but {first.get('parent')} "
                f"at {first_en}",
            )
        else:
            ctx.report(
                row.origin.at("code"),
                "DUPLICATE_ID",
                f"网格编码 {code} 重复，首次出现在{first_zh}",
                f"grid {code} appears twice; first at {first_en}",
            )
    derive = _Derive(kept, ctx)
    for code, row in kept.items():
        origin = row.origin
        county = derive.county(code)
        if county is None:
            ctx.report(
                origin.at("county", "code"),
                "MISSING_VALUE",
                f"无法确定网格 {code} 所属的县：请填写“所属县”列",
                f"cannot tell the county of grid {code}: add a county (所属县) column",
            )
            batch.fail(Grid, code)
            continue
        stored = ctx.stored(Grid, code)
        values: dict[str, Any] = {
            "code": code,
            "name": row.get("name"),
            "tier": derive.tier(code) or 1,
            "county": county,
            "parent": derive.parent(code),
        }
        for name in ("households", "valid_from", "valid_to"):
            if name in row.present:
                values[name] = row.get(name)
        batch.add(replace(stored, **values) if stored is not None else Grid(**values), origin)
        if "covers" in row.present:
            _build_coverage(ctx, code, row, stored is not None)


def _build_coverage(ctx: Context, grid: str, row: ParsedRow, grid_stored: bool) -> None:
    columns = {"grid": row.origin.columns.get("code"), "place": row.origin.columns.get("covers")}
    origin = row.origin.with_columns({k: v for k, v in columns.items() if v is not None})
    for place in row.get("covers") or ():
        stored = ctx.stored(Coverage, f"{grid}|{place}")
        if stored is None:
            start = ctx.effective if grid_stored else None
            record = Coverage(grid=grid, place=place, valid_from=start)
        elif stored.valid_to is not None and stored.valid_to < ctx.effective:
            record = replace(stored, valid_to=None)  # listed again: covered again
        else:
            record = stored
        ctx.batch.add(record, origin)


def end_coverage(ctx: Context, grids: set[str]) -> None:
    """End stored coverage of ``grids`` (rows with a covers column) that the rows no longer
    list: ``valid_to`` = the effective day − 1 (coverage starting later is left alone)."""
    last = ctx.effective - timedelta(days=1)
    for grid in sorted(grids):
        held = ctx.batch.located.get(Grid.KIND, {}).get(grid)
        if held is None:
            continue
        for cov in ctx.view.referrers(Coverage, "grid", grid):
            listed = ctx.batch.has(Coverage, cov.key)
            ended = cov.valid_to is not None and cov.valid_to <= last
            later = cov.valid_from is not None and cov.valid_from > last
            if listed or ended or later:
                continue
            covers = held.origin.columns.get("covers")
            origin = held.origin.with_columns({} if covers is None else {"place": covers})
            ctx.batch.add(replace(cov, valid_to=last), origin)
            ctx.batch.ended.add((Coverage.KIND, cov.key))


def _cycles(ctx: Context) -> list[list[str]]:
    """Grid parent cycles among the built grids (each once, from its first built member)."""
    order = {code: i for i, (code, _) in enumerate(ctx.batch.located.get(Grid.KIND, {}).items())}
    seen: set[str] = set()
    found: list[list[str]] = []
    for code in order:
        path: list[str] = []
        node: str | None = code
        while node is not None and node not in seen and node not in path:
            path.append(node)
            grid = ctx.find(Grid, node)
            node = None if grid is None else grid.parent
        if node is not None and node in path:
            loop = path[path.index(node) :]
            found.append(sorted(loop, key=lambda c: order.get(c, len(order))))
        seen.update(path)
    return found


def check_grids(ctx: Context) -> set[str]:
    """Cycles, parents, tiers, counties and coverage of the built grids; returns the codes
    with an issue."""
    bad: set[str] = set()
    batch = ctx.batch
    for loop in _cycles(ctx):
        first = batch.located[Grid.KIND].get(loop[0])
        if first is None:
            continue  # a loop among stored grids only: not this import's doing
        chain = " → ".join([*loop, loop[0]])
        ctx.report(
            first.origin.at("parent", "code"),
            "CYCLE",
            f"网格上级关系形成循环：{chain}",
            f"grid parents loop: {chain}",
        )
        bad.update(loop)
    for grid, origin in list(batch.of_kind(Grid)):
        if grid.code in bad:
            continue
        if not _check_grid(ctx, grid, origin):
            bad.add(grid.code)
    for cov, origin in list(batch.of_kind(Coverage)):
        if (Coverage.KIND, cov.key) in batch.ended or cov.grid in bad:
            continue
        owner = batch.get(Grid, cov.grid)
        place = ctx.find(Place, cov.place)
        at = origin.at("place")
        if place is None:
            if ctx.dangling(Place, cov.place):
                ctx.report(
                    at,
                    "UNKNOWN_REFERENCE",
                    f"网格 {cov.grid} 覆盖的区划 {cov.place} 不存在",
                    f"grid {cov.grid} covers place {cov.place}, which does not exist",
                )
            bad.add(cov.grid)
        elif owner is not None and cov.place[:6] != owner.county[:6]:
            ctx.report(
                at,
                "CODE_MISMATCH",
                f"网格 {cov.grid} 属于县 {owner.county}，但覆盖的区划 {cov.place} 不在该县",
                f"grid {cov.grid} belongs to county {owner.county} but covers {cov.place}, "
                "which lies outside it",
            )
            bad.add(cov.grid)
    return bad


def _check_grid(ctx: Context, grid: Grid, origin: Origin) -> bool:
    ok = True
    county = ctx.find(Place, grid.county)
    at_county = origin.at("county", "covers", "code")
    if county is None:
        if ctx.dangling(Place, grid.county):
            ctx.report(
                at_county,
                "UNKNOWN_REFERENCE",
                f"网格 {grid.code} 所属的县 {grid.county} 不存在",
                f"grid {grid.code}: county {grid.county} does not exist",
            )
        ok = False
    elif county.level is not Level.COUNTY:
        ctx.report(
            at_county,
            "LEVEL_MISMATCH",
            f"网格 {grid.code} 的所属县 {grid.county} 不是县级区划",
            f"grid {grid.code}: county {grid.county} is a {county.level}, not a county",
        )
        ok = False
    if grid.parent is not None:
        parent = ctx.find(Grid, grid.parent)
        at = origin.at("parent", "code")
        if parent is None:
            if ctx.dangling(Grid, grid.parent):
                ctx.report(
                    at,
                    "UNKNOWN_PARENT",
                    f"网格 {grid.code} 的上级网格 {grid.parent} 不存在（文件和库中都没有）",
                    f"grid {grid.code}: parent {grid.parent} is neither in the files nor in "
                    "the store",
                )
            return False
        if parent.tier != grid.tier - 1:
            ctx.report(
                at,
                "SKIPPED_TIER",
                f"网格 {grid.code} 为{grid.tier}级，其上级 {parent.code} 为{parent.tier}级"
                f"（应为{grid.tier - 1}级）"
                if grid.tier > 1
                else f"一级网格 {grid.code} 不应有上级网格（给出了 {parent.code}）",
                f"grid {grid.code} is tier {grid.tier} but its parent {parent.code} is tier "
                f"{parent.tier} (expected {grid.tier - 1})"
                if grid.tier > 1
                else f"grid {grid.code} is tier 1 and has no parent grid (got {parent.code})",
            )
            return False
        if parent.county != grid.county:
            ctx.report(
                at_county if "county" in origin.columns else at,
                "CODE_MISMATCH",
                f"网格 {grid.code} 属于县 {grid.county}，其上级 {parent.code} 属于县 "
                f"{parent.county}",
                f"grid {grid.code} belongs to county {grid.county} but its parent "
                f"{parent.code} to {parent.county}",
            )
            return False
    for child in ctx.view.referrers(Grid, "parent", grid.code):
        if ctx.batch.has(Grid, child.code):
            continue  # built children are checked themselves
        if child.tier != grid.tier + 1:
            ctx.report(
                origin.at("tier", "code"),
                "SKIPPED_TIER",
                f"网格 {grid.code} 为{grid.tier}级，但库中其下级网格 {child.code} 为{child.tier}级",
                f"grid {grid.code} is tier {grid.tier} but its stored child {child.code} is "
                f"tier {child.tier}",
            )
            return False
    return ok
