"""GeoJSON boundaries: a FeatureCollection whose features outline grids or places.

Each feature's properties name its owner: 网格编码 (``grid``, ``grid_code``) or 区划代码
(``place``, ``code``) — exactly one. Optional properties: 边界编号 (``boundary_id``; else the id
of the one stored boundary of that owner in force on the effective day, else ``B-<owner>``, the
demo's convention), 来源 (``source``; default ``import``), 生效日期 and 失效日期. The geometry
must be a valid Polygon or MultiPolygon (``registry.geo.check_geometry``: closed rings, no
self-intersection), else ``GEOMETRY_INVALID``. Issues name the feature by its number (row 1 is
the first feature) and the property (column) concerned.

Coordinates are WGS-84 unless declared GCJ-02 (Chinese web maps): by the mapping file entry
of the file, else by the file's top-level ``crs`` member (``{"type": "name", "properties":
{"name": "GCJ02"}}`` or a plain string), else by ``--crs``. GCJ-02 positions are converted with
``registry.geo.to_wgs84`` and rounded to 7 decimals (about 1 cm).

>>> from registry.geo import from_wgs84
>>> x, y = from_wgs84(108.9, 24.8, "GCJ02")
>>> ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y]]
>>> text = geometry_text({"type": "Polygon", "coordinates": [ring]}, "GCJ02")
>>> text.startswith('{"type":"Polygon","coordinates":[[[108.9,24.8]')
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from loaders.spreadsheet.batch import row_text
from loaders.spreadsheet.cells import CellError, parse_code, parse_date, parse_key, parse_text
from loaders.spreadsheet.context import Context
from loaders.spreadsheet.headers import normalize_header
from loaders.spreadsheet.issues import ImportIssue, Origin, Where, issue
from loaders.spreadsheet.mapping import parse_crs
from loaders.spreadsheet.rows import ParsedRow
from loaders.spreadsheet.sources import decode_bytes
from registry.errors import InvalidInput
from registry.geo import check_geometry, to_wgs84
from registry.model import Boundary, Grid, Place, in_force

__all__ = ["build_boundaries", "geometry_text", "read_geojson"]

_PROPS: dict[str, tuple[str, ...]] = {
    "grid": ("网格编码", "网格代码", "grid", "grid_code"),
    "place": ("区划代码", "行政区划代码", "place", "place_code", "code"),
    "id": ("边界编号", "boundary", "boundary_id"),
    "source": ("来源", "source"),
    "valid_from": ("生效日期", "valid_from"),
    "valid_to": ("失效日期", "valid_to"),
}
_PROP_OF = {normalize_header(a): f for f, aliases in _PROPS.items() for a in aliases}
_PARSERS = {
    "grid": parse_key,
    "place": parse_code,
    "id": parse_key,
    "source": parse_text,
    "valid_from": parse_date,
    "valid_to": parse_date,
}


def _convert(coords: Any, crs: str) -> Any:
    if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
        lon, lat = to_wgs84(float(coords[0]), float(coords[1]), crs)
        return [round(lon, 7), round(lat, 7)]
    return [_convert(c, crs) for c in coords]


def geometry_text(geometry: Any, crs: str) -> str:
    """The boundary text of a GeoJSON geometry in ``crs``: validated, in WGS-84, with only
    ``type`` and ``coordinates``. Raises ``InvalidInput`` (field ``geometry``)."""
    if not isinstance(geometry, dict):
        raise InvalidInput("a feature needs a geometry", field="geometry")
    plain = {"type": geometry.get("type"), "coordinates": geometry.get("coordinates")}
    text = orjson.dumps(plain).decode()
    check_geometry(text)
    if crs == "GCJ02":
        plain["coordinates"] = _convert(plain["coordinates"], crs)
        text = orjson.dumps(plain).decode()
        check_geometry(text)
    return text


@dataclass
class _Feature:
    row: ParsedRow
    geometry: str


def _file_crs(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    """(crs, the name as written) of the top-level ``crs`` member."""
    raw = doc.get("crs")
    if raw is None:
        return None, None
    name = raw.get("properties", {}).get("name") if isinstance(raw, dict) else raw
    return parse_crs(str(name)), str(name)


def read_geojson(
    path: Path, declared_crs: str | None, default_crs: str | None, encoding: str | None
) -> tuple[list[ParsedRow], list[ImportIssue]]:
    """The features of a GeoJSON file as parsed rows (``geometry`` holds the boundary text)."""
    at = Where(path.name)
    try:
        text, _ = decode_bytes(path.read_bytes(), encoding)
        doc = orjson.loads(text)
    except OSError as exc:
        return [], [issue(at, "UNREADABLE_FILE", f"文件无法读取：{exc}", f"cannot read: {exc}")]
    except UnicodeError as exc:
        return [], [issue(at, "ENCODING", f"文件编码无法识别：{exc}", f"cannot decode: {exc}")]
    except orjson.JSONDecodeError as exc:
        return [], [
            issue(at, "UNREADABLE_FILE", f"不是有效的 JSON：{exc}", f"not valid JSON: {exc}")
        ]
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return [], [
            issue(
                at,
                "UNKNOWN_SHEET_KIND",
                "GeoJSON 文件应为 FeatureCollection（边界）",
                "a GeoJSON file must be a FeatureCollection (of boundaries)",
            )
        ]
    crs, written = _file_crs(doc)
    if written is not None and crs is None:
        return [], [
            issue(
                Where(path.name, None, None, "crs"),
                "UNKNOWN_CRS",
                f"坐标系“{written}”无法识别（WGS84 或 GCJ02）",
                f"coordinate system {written!r} is not WGS84 or GCJ02",
            )
        ]
    crs = declared_crs or crs or default_crs or "WGS84"
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        return [], [issue(at, "EMPTY_FILE", "GeoJSON 中没有要素", "the GeoJSON has no features")]
    return [_feature(path.name, n, f, crs) for n, f in enumerate(features, start=1)], []


def _feature(name: str, number: int, feature: Any, crs: str) -> ParsedRow:
    raw_props = feature.get("properties") if isinstance(feature, dict) else None
    props = raw_props if isinstance(raw_props, dict) else {}
    columns = {"geometry": "geometry"}
    raw: dict[str, Any] = {}
    for key, value in props.items():
        field = _PROP_OF.get(normalize_header(str(key)))
        if field is not None and field not in columns:
            columns[field] = str(key)
            raw[field] = value
    origin = Origin(name, None, number, columns)
    row = ParsedRow(origin, {}, frozenset(columns))
    for field, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            row.values[field] = None
            continue
        try:
            row.values[field] = _PARSERS[field](value)
        except CellError as exc:
            row.issues.append(issue(origin.at(field), exc.code, exc.zh, exc.en))
    owners = [f for f in ("grid", "place") if row.values.get(f) is not None]
    if len(owners) != 1 and not row.issues:
        row.issues.append(
            issue(
                origin.at("grid", "place"),
                "MISSING_VALUE" if not owners else "BAD_VALUE",
                "要素属性须且只须给出“网格编码”或“区划代码”之一",
                "a feature's properties need exactly one of 网格编码 (grid) and 区划代码 (place)",
            )
        )
    try:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        row.values["geometry"] = geometry_text(geometry, crs)
    except InvalidInput as exc:
        zh = "边界自相交" if "Self-intersection" in exc.message else "边界几何无效"
        row.issues.append(
            issue(origin.at("geometry"), "GEOMETRY_INVALID", f"{zh}：{exc.message}", exc.message)
        )
    return row


def wanted_owners(rows: list[ParsedRow]) -> tuple[set[str], set[str]]:
    """(grid codes, place codes) the features outline."""
    grids = {r.get("grid") for r in rows if r.get("grid") is not None}
    places = {r.get("place") for r in rows if r.get("place") is not None}
    return grids, places


def build_boundaries(rows: list[ParsedRow], ctx: Context) -> None:
    """Build a Boundary per good feature whose owner exists; report duplicates."""
    batch = ctx.batch
    for row in rows:
        if not row.ok:
            batch.issues.extend(row.issues)
            continue
        field = "grid" if row.get("grid") is not None else "place"
        owner = str(row.get(field))
        target: type[Grid] | type[Place] = Grid if field == "grid" else Place
        if ctx.find(target, owner) is None:
            if ctx.dangling(target, owner):
                ctx.report(
                    row.origin.at(field),
                    "UNKNOWN_REFERENCE",
                    f"边界所属的{'网格' if field == 'grid' else '区划'} {owner} 不存在",
                    f"the boundary's {field} {owner} does not exist",
                )
            continue
        bid = row.get("id") or _boundary_id(ctx, field, owner)
        stored = ctx.stored(Boundary, bid)
        values: dict[str, Any] = {"id": bid, "geometry": row.get("geometry")}
        values |= {"grid": None, "place": None, field: owner}
        if "source" in row.present or stored is None:
            values["source"] = row.get("source") or "import"
        for name in ("valid_from", "valid_to"):
            if name in row.present:
                values[name] = row.get(name)
        record = replace(stored, **values) if stored is not None else Boundary(**values)
        held = batch.add(record, row.origin)
        if held is not None:
            first_zh, first_en = row_text(held.origin)
            ctx.report(
                row.origin.at("id", field),
                "DUPLICATE_ID",
                f"边界 {bid}（{owner}）重复，首次出现在{first_zh}",
                f"boundary {bid} ({owner}) appears twice; first at {first_en}",
            )


def _boundary_id(ctx: Context, field: str, owner: str) -> str:
    current = [b for b in ctx.view.referrers(Boundary, field, owner) if in_force(b, ctx.effective)]
    return current[0].id if len(current) == 1 else f"B-{owner}"
