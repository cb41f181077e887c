"""Streaming writer of the canonical folder format (``loaders.canonical``), for data too big to
hold: batches come in one at a time, the folder is byte-identical to ``export_folder`` of a store
holding the same records.

Each batch's rows are sorted by record key and appended, as one *run*, to a spill file per kind
(every line is ``<key>,<csv row>``). At the end, a kind whose runs came in key order (most kinds:
their keys start with the county's code) is copied through; the others (posts, boundaries,
borders, handling rules, ...) are merged run by run with ``heapq.merge``, reading each run in
small chunks, so memory stays bounded by one batch plus a chunk per run.

>>> import tempfile
>>> from pathlib import Path
>>> from registry.model import Level, Place
>>> tmp = tempfile.TemporaryDirectory()
>>> with FolderWriter(Path(tmp.name)) as writer:
...     writer.add([Place("990000000000", "乙省", Level.PROVINCE)])
...     writer.add([Place("660000000000", "甲省", Level.PROVINCE)])
>>> writer.counts["place"]
2
>>> print((Path(tmp.name) / "place.csv").read_text(encoding="utf-8"), end="")
code,name,level,parent,kind,households,synthetic,valid_from,valid_to
660000000000,甲省,province,,,,false,,
990000000000,乙省,province,,,,false,,
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from loaders.canonical import FORMAT, MANIFEST, VERSION, _cell, file_name
from registry.codec import field_names, to_row
from registry.model import KINDS, AnyRecord

__all__ = ["CHUNK", "FolderWriter"]

#: Bytes read from a run at a time while merging.
CHUNK = 16 * 1024
_UNSAFE = frozenset(',"\r\n')


class _Spill:
    """The runs of one kind: a spill file, where each run starts and ends, the last key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO = path.open("wb")
        self.runs: list[tuple[int, int]] = []
        self.last = b""
        self.in_order = True
        self.count = 0

    def add(self, records: list[AnyRecord]) -> None:
        rows = sorted(((r.key, r) for r in records), key=lambda kr: kr[0])
        for (a, _), (b, rec) in pairwise(rows):
            if a == b:
                raise ValueError(f"{rec.KIND} {a} appears twice")
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\n")
        for key, rec in rows:
            cells = [_cell(v) for v in to_row(rec).values()]
            if _UNSAFE & set(key) or any("\n" in c or "\r" in c for c in cells):
                raise ValueError(f"{rec.KIND} {key!r}: a key or cell the spill format cannot hold")
            writer.writerow([key, *cells])
        data = buf.getvalue().encode("utf-8")
        first = rows[0][0].encode("utf-8")
        if self.runs and first <= self.last:
            self.in_order = False
        self.last = rows[-1][0].encode("utf-8")
        start = self.file.tell()
        self.file.write(data)
        self.runs.append((start, start + len(data)))
        self.count += len(rows)

    def lines(self) -> Iterator[bytes]:
        """Every line (``<key>,<row>`` without the newline) in key order."""
        self.file.close()
        with self.path.open("rb") as f:
            if self.in_order:
                for line in f:
                    yield line[:-1]
                return
            merged = heapq.merge(*(_run(f, start, end) for start, end in self.runs))
            previous = None
            for key, line in merged:
                if key == previous:
                    raise ValueError(f"key {key.decode()} appears twice")
                previous = key
                yield line


def _run(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, bytes]]:
    """The lines of one run as (key, line), read ``CHUNK`` bytes at a time from a file shared
    with the other runs (each read seeks first)."""
    pos, rest = start, b""
    while pos < end:
        f.seek(pos)
        data = f.read(min(CHUNK, end - pos))
        pos += len(data)
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line[: line.index(b",")], line
    if rest:
        yield rest[: rest.index(b",")], rest


class FolderWriter:
    """Writes batches of records as a canonical folder; ``close`` (or the ``with`` block's end)
    writes the files and the manifest. Keys must be unique across batches."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=".gridreg-spill-", dir=folder))
        self._spills: dict[str, _Spill] = {}
        self.counts: dict[str, int] = {}

    def add(self, batch: Iterable[AnyRecord]) -> None:
        """Add one batch (any order of kinds and keys)."""
        per_kind: dict[str, list[AnyRecord]] = {}
        for rec in batch:
            per_kind.setdefault(rec.KIND, []).append(rec)
        for kind, records in per_kind.items():
            spill = self._spills.get(kind)
            if spill is None:
                spill = self._spills[kind] = _Spill(self._tmp / f"{kind}.run")
            spill.add(records)

    def close(self) -> dict[str, int]:
        """Write every kind's file (header only when empty) and the manifest; return the counts."""
        try:
            for kind, cls in KINDS.items():
                path = self.folder / file_name(kind)
                tmp = path.with_name(path.name + ".tmp")
                with tmp.open("wb") as out:
                    out.write((",".join(field_names(cls)) + "\n").encode("utf-8"))
                    spill = self._spills.get(kind)
                    for line in spill.lines() if spill else ():
                        out.write(line[line.index(b",") + 1 :] + b"\n")
                os.replace(tmp, path)
                self.counts[kind] = spill.count if spill else 0
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "counts": dict(sorted(self.counts.items())),
            }
            text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            tmp = self.folder / (MANIFEST + ".tmp")
            tmp.write_bytes(text.encode("utf-8"))
            os.replace(tmp, self.folder / MANIFEST)
        finally:
            self.discard()
        return self.counts

    def discard(self) -> None:
        """Remove the spill files (``close`` does it; call it alone to give up)."""
        for spill in self._spills.values():
            spill.file.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> FolderWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()
