"""GraphQL types and the query field for point lookup (``locate``)."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from registry.queries.locate import Location as LocationAnswer
from registry.queries.locate import NearGrid as NearAnswer
from registry.queries.locate import locate
from schema.context import Context
from schema.nodes import Ctx, Grid, Place

__all__ = ["Crs", "GeoQuery", "LocateStatus", "Location", "PointInput"]


@strawberry.enum(description="Coordinate system of a point.")
class Crs(Enum):
    WGS84 = "WGS84"
    GCJ02 = "GCJ02"


@strawberry.enum(description="Where a point lies relative to the grids.")
class LocateStatus(Enum):
    INSIDE = "inside"
    BORDER = "border"
    UNCOVERED = "uncovered"


@strawberry.enum(description="How a link was found.")
class Found(Enum):
    GEOMETRIC = "geometric"
    LISTED = "listed"


@strawberry.input(description="A map point: longitude and latitude in degrees.")
class PointInput:
    lon: float
    lat: float
    crs: Crs = strawberry.field(
        default=Crs.WGS84,
        description="WGS84 (GPS), or GCJ02 for points from Chinese web maps (高德, 腾讯 ...).",
    )


@strawberry.type(description="A map point in degrees.")
class Point:
    lon: float
    lat: float
    crs: Crs


@strawberry.type(description="A grid of the chain and how it was found.")
class GridLink:
    grid: Grid
    found: Found = strawberry.field(
        description="geometric: its boundary contains the point; listed: from the grid tree."
    )


@strawberry.type(description="A place of the chain and how it was found.")
class PlaceLink:
    place: Place
    found: Found = strawberry.field(
        description="geometric: its boundary contains the point; listed: from the grid's "
        "coverage or the place tree."
    )


@strawberry.type(description="A grid near the point, with its distance in metres.")
class NearGrid:
    grid: Grid
    distance_metres: float
    reason: str

    @staticmethod
    def of(n: NearAnswer) -> NearGrid:
        return NearGrid(grid=Grid.of(n.grid), distance_metres=n.distance_m, reason=n.reason)


@strawberry.type(description="Where a point lies: its grid, the grids above and its places.")
class Location:
    point: Point = strawberry.field(description="The point as given.")
    wgs84: Point = strawberry.field(description="The WGS-84 point used for the lookup.")
    at: date
    near_metres: float
    status: LocateStatus = strawberry.field(
        description="inside: in exactly one lowest-tier grid; border: on or near the border of "
        "another grid of that tier (see candidates); uncovered: in no grid (see nearest)."
    )
    grid: Grid | None = strawberry.field(
        description="The lowest-tier grid containing the point; on a shared border, the one "
        "with the smallest code."
    )
    grid_chain: list[GridLink] = strawberry.field(description="The grid, then the grids above.")
    place_chain: list[PlaceLink] = strawberry.field(
        description="The deepest place known for the point, then its ancestors."
    )
    candidates: list[NearGrid] = strawberry.field(
        description="Other grids of the same tier on or near the border."
    )
    nearest: list[NearGrid] = strawberry.field(
        description="When uncovered: up to 3 nearest grids, nearest first."
    )

    @staticmethod
    def of(loc: LocationAnswer) -> Location:
        return Location(
            point=Point(lon=loc.lon, lat=loc.lat, crs=Crs(loc.crs)),
            wgs84=Point(lon=loc.wgs84_lon, lat=loc.wgs84_lat, crs=Crs.WGS84),
            at=loc.at,
            near_metres=loc.near_metres,
            status=LocateStatus(loc.status),
            grid=None if loc.grid is None else Grid.of(loc.grid),
            grid_chain=[
                GridLink(grid=Grid.of(g.grid), found=Found(g.found)) for g in loc.grid_chain
            ],
            place_chain=[
                PlaceLink(place=Place.of(p.place), found=Found(p.found)) for p in loc.place_chain
            ],
            candidates=[NearGrid.of(n) for n in loc.candidates],
            nearest=[NearGrid.of(n) for n in loc.nearest],
        )


@strawberry.type
class GeoQuery:
    @strawberry.field(
        description="Which grid, grids above and places a map point lies in at `at` (default "
        "today), from the boundaries in force then; grids of the same tier within `nearMetres` "
        "of the point are reported as border candidates."
    )
    def locate(
        self, info: Ctx, point: PointInput, at: date | None = None, near_metres: float = 50.0
    ) -> Location:
        loc = locate(
            info.context.store,
            point.lon,
            point.lat,
            crs=point.crs.value,
            at=Context.default_at(at),
            near_metres=near_metres,
        )
        return Location.of(loc)
