"""The routing parts a remote store keeps per data version (``registry.store.routing_parts``):
bounded, and a part once kept is never replaced or dropped (the server may have been told it is
kept). How they serve requests is tested against a real Neo4j (``test_neo4j_handlers``)."""

from __future__ import annotations

from registry.model import Post
from registry.store import routing_parts
from registry.store.routing_parts import Fragment, PartsCache


def _part(key: str) -> Fragment:
    return Fragment((), ((Post, "place", (key,)),))


def test_a_kept_part_is_never_replaced() -> None:
    cache = PartsCache(3)
    first, second = _part("A"), _part("A2")
    cache.add_place("A", "county", first)
    cache.add_place("A", "county", second)
    assert cache.place("A") is first
    cache.add_category("C1", first)
    cache.add_category("C1", second)
    assert cache.category("C1") is first
    assert cache.kept_places() == ["A"] and cache.kept_categories() == ["C1"]


def test_the_cache_stops_growing_at_its_bound() -> None:
    cache = PartsCache(1)
    for i in range(routing_parts.KEPT_PLACES + 10):
        cache.add_place(f"P{i}", "county", _part(f"P{i}"))
    kept = cache.kept_places()
    assert len(kept) == routing_parts.KEPT_PLACES
    assert kept[0] == "P0" and cache.place(kept[-1]).claims[0][2] == (kept[-1],)
    for i in range(routing_parts.KEPT_CATEGORIES + 3):
        cache.add_category(f"C{i}", _part(f"C{i}"))
    assert len(cache.kept_categories()) == routing_parts.KEPT_CATEGORIES
