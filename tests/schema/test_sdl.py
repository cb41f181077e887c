"""The committed SDL matches the code (regenerate with `gridreg schema > schema/schema.graphql`)."""

from __future__ import annotations

from schema.api import SDL_PATH, schema


def test_sdl_committed_schema_has_not_drifted() -> None:
    committed = SDL_PATH.read_text(encoding="utf-8")
    assert committed == schema.as_str() + "\n", (
        "schema/schema.graphql is out of date: run `gridreg schema > schema/schema.graphql`"
    )


def test_sdl_every_query_field_is_documented() -> None:
    query = schema.get_type_by_name("Query")
    assert query is not None
    undocumented = [f.name for f in query.fields if not f.description]  # type: ignore[union-attr]
    assert undocumented == []
