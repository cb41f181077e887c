"""Relay-style connections with a maximum page size.

>>> conn = paginate([1, 2, 3], first=2, after=None, max_page_size=10, wrap=str)
>>> [e.node for e in conn.edges], conn.page_info.has_next_page, conn.total_count
(['1', '2'], True, 3)
>>> [e.node for e in paginate([1, 2, 3], 2, conn.page_info.end_cursor, 10, str).edges]
['3']
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from registry.errors import InvalidInput

__all__ = ["Connection", "Edge", "PageInfo", "paginate"]

T = TypeVar("T")
S = TypeVar("S")
DEFAULT_PAGE_SIZE = 50


@strawberry.type
class PageInfo:
    """Where this page is in the list."""

    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    """One item of a connection with its cursor."""

    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """A page of a list, Relay style."""

    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The nodes of this page (shortcut for edges { node }).")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def _cursor(i: int) -> str:
    return base64.b64encode(f"o:{i}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        kind, _, num = base64.b64decode(cursor.encode()).decode().partition(":")
        if kind != "o":
            raise ValueError(cursor)
        return int(num)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"invalid cursor {cursor!r}", field="after") from None


def paginate(
    items: Sequence[S],
    first: int | None,
    after: str | None,
    max_page_size: int,
    wrap: Callable[[S], T],
) -> Connection[T]:
    """Slice ``items`` after the cursor ``after``; refuse ``first`` beyond ``max_page_size``."""
    size = min(DEFAULT_PAGE_SIZE, max_page_size) if first is None else first
    if size < 0 or size > max_page_size:
        raise InvalidInput(
            f"first must be between 0 and {max_page_size}, not {size}", field="first"
        )
    start = 0 if after is None else _offset(after) + 1
    page = items[start : start + size]
    edges = [Edge(cursor=_cursor(start + i), node=wrap(x)) for i, x in enumerate(page)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + len(page) < len(items),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(items),
    )
