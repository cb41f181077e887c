"""Queries as plain functions, store first, one theme per module."""

from registry.queries.coverage import CoverageEntry, CoverageReport, Rollup, coverage_report
from registry.queries.hierarchy import (
    ancestor_at_level,
    ancestors,
    children,
    covered_places,
    covering_grids,
    descendants,
    is_within,
    lowest_covering_grids,
    today,
)
from registry.queries.locate import (
    GridLink,
    Location,
    NearGrid,
    PlaceLink,
    boundary_index,
    locate,
)
from registry.queries.responsibility import (
    Responsibility,
    SeatAnswer,
    TierAnswer,
    TierKind,
    responsible_for,
    seats_at,
)
from registry.queries.search import SearchHit, search

__all__ = [
    "CoverageEntry",
    "CoverageReport",
    "GridLink",
    "Location",
    "NearGrid",
    "PlaceLink",
    "Responsibility",
    "Rollup",
    "SearchHit",
    "SeatAnswer",
    "TierAnswer",
    "TierKind",
    "ancestor_at_level",
    "ancestors",
    "boundary_index",
    "children",
    "coverage_report",
    "covered_places",
    "covering_grids",
    "descendants",
    "is_within",
    "locate",
    "lowest_covering_grids",
    "responsible_for",
    "search",
    "seats_at",
    "today",
]
