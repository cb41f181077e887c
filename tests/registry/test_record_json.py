"""The embedded store writes a record's SQLite row with ``orjson.dumps(record)`` (orjson's own
dataclass encoder, much faster); it must be byte for byte the codec's row (``to_row``), and
read back to the same record."""

from __future__ import annotations

import orjson

from loaders.synthetic import generate
from registry.codec import from_row, to_row
from registry.model import KINDS


def test_orjson_encodes_every_kind_as_the_codec_row() -> None:
    records = [r for batch in generate("city", 1, counties=2) for r in batch]
    assert {r.KIND for r in records} == set(KINDS)  # every kind is exercised
    for rec in records:
        data = orjson.dumps(rec)
        assert data == orjson.dumps(to_row(rec)), rec
        assert from_row(type(rec), orjson.loads(data)) == rec
