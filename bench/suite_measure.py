"""In-process measurements of ``bench.suite``: loading a synthetic region, the request sample,
``responsible`` latency, baselines A1 (a precomputed dict plus orjson) and A5 (iterating every
node of the graph), and the coverage report of the region."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from bench import workload
from bench.coverage import _baseline_a5, _timed, nodes_only_ms
from bench.suite_serve import rss_bytes
from loaders.synthetic import write_to_store
from loaders.synthetic_builder import TODAY
from registry.codes import Level
from registry.model import Category, Grid, Place
from registry.queries.coverage import coverage_report
from registry.queries.responsibility import responsible_for
from registry.store import GraphStore, open_store
from registry.store.embedded_store import EmbeddedStore
from schema.api import schema
from schema.context import Context

if TYPE_CHECKING:  # the Neo4j driver is an optional extra
    from registry.store.neo4j_store import Neo4jStore

#: The field set of ``bench.workload.QUERY`` (tiers, seats, holders), for any place or grid.
SELECTION = workload.QUERY[workload.QUERY.index("{ timeLimitMinutes") :]
QUERY = '{ responsible(%s: "%s", category: "%s", at: "' + TODAY.isoformat() + '") ' + SELECTION
#: The region the coverage report covers at each scale: the top place of that level.
SCOPE_LEVEL = {
    "county": Level.COUNTY,
    "city": Level.PREFECTURE,
    "province": Level.PROVINCE,
    "national": Level.PROVINCE,
}


@dataclass(frozen=True)
class Sample:
    """One ``responsible`` request: a place or a grid and a category."""

    arg: str  # "place" or "grid"
    code: str
    category: str

    def body(self) -> bytes:
        """The POST body asking the service the same."""
        return orjson.dumps({"query": QUERY % (self.arg, self.code, self.category)})

    def call(self, store: GraphStore) -> Any:
        """The answer in this process."""
        if self.arg == "grid":
            return responsible_for(store, grid=self.code, category=self.category, at=TODAY)
        return responsible_for(store, place=self.code, category=self.category, at=TODAY)


def _spread(codes: list[str], count: int) -> list[str]:
    codes = sorted(codes)
    step = max(len(codes) // max(count, 1), 1)
    return codes[::step][:count]


def sample(store: GraphStore, count: int) -> list[Sample]:
    """``count`` requests spread evenly over the region (by code, so deterministic): half
    hamlets, a quarter villages, a quarter micro-grids, categories taken in turn."""
    places = list(store.scan(Place))
    hamlets = [p.code for p in places if p.level is Level.HAMLET]
    villages = [p.code for p in places if p.level is Level.VILLAGE]
    grids = [g.code for g in store.scan(Grid) if g.tier == 3]
    categories = sorted(c.code for c in store.scan(Category) if "." in c.code)
    quarter = max(count // 4, 1)
    chosen = [("place", c) for c in _spread(hamlets, count - 2 * quarter)]
    chosen += [("place", c) for c in _spread(villages, quarter)]
    chosen += [("grid", c) for c in _spread(grids, quarter)]
    return [
        Sample(arg, code, categories[i % len(categories)]) for i, (arg, code) in enumerate(chosen)
    ]


def percentiles(times_us: list[float]) -> dict[str, float]:
    """p50, p99, mean and count of durations in microseconds."""
    times = sorted(times_us) or [0.0]
    return {
        "calls": len(times_us),
        "p50_us": round(times[len(times) // 2], 2),
        "p99_us": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
        "mean_us": round(statistics.fmean(times), 2),
    }


def timed_calls(fns: list[Callable[[], object]], seconds: float) -> dict[str, float]:
    """Each of ``fns`` called in turn (one warm-up pass, then passes for about ``seconds``,
    at least one): the latency of one call."""
    for fn in fns:
        fn()
    times: list[float] = []
    deadline = time.monotonic() + seconds
    while not times or time.monotonic() < deadline:
        for fn in fns:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e6)
    return percentiles(times)


def inprocess(store: GraphStore, samples: list[Sample], seconds: float) -> dict[str, float]:
    """``responsible_for`` called directly on ``store`` (the query, no GraphQL, no HTTP)."""
    return timed_calls([lambda s=s: s.call(store) for s in samples], seconds)  # type: ignore[misc]


def _interleaved(
    samples: list[Sample], call: Callable[[Sample], object], ping: Callable[[], object] | None
) -> dict[str, Any]:
    """``call`` of each sample, timed; with ``ping``, one A4 round trip timed before each, so
    both see the same moment of a shared machine (``a4_interleaved``)."""
    times: list[float] = []
    pings: list[float] = []
    for s in samples:
        if ping is not None:
            t0 = time.perf_counter()
            ping()
            pings.append((time.perf_counter() - t0) * 1e6)
        t0 = time.perf_counter()
        call(s)
        times.append((time.perf_counter() - t0) * 1e6)
    found: dict[str, Any] = percentiles(times)
    if pings:
        found["a4_interleaved"] = percentiles(pings)
    return found


def inprocess_fresh(
    store: GraphStore, samples: list[Sample], ping: Callable[[], object] | None = None
) -> dict[str, Any]:
    """``responsible_for`` of each of ``samples`` asked once, before any other request of the
    run: no answer is kept for it yet (on Neo4j each call runs the whole neighbourhood
    statement; a repeated request only asks whether the data version is still the same). With
    ``ping`` (Neo4j: ``store.ping``, A4), an A4 round trip before each request."""
    return _interleaved(samples, lambda s: s.call(store), ping)


def statement_alone(store: Neo4jStore, samples: list[Sample], skip_kept: bool) -> dict[str, Any]:
    """The neighbourhood round trip of each of ``samples`` alone (``read_neighbourhood``: the
    statement, its transfer and the driver's decoding; no view, no answer), asked once each,
    with an A4 round trip before each: the least a request not seen before costs with one
    statement per request. With ``skip_kept`` the routing parts the store keeps are not read
    again (a process that has answered other requests of this data version); without, every
    part is read (the first requests after a write)."""

    def read(s: Sample) -> object:
        request = (s.code, None, s.category) if s.arg == "place" else (None, s.code, s.category)
        return store.read_neighbourhood([request], skip_kept=skip_kept)

    return _interleaved(samples, read, store.ping)


def graphql_inprocess(store: GraphStore, bodies: list[bytes]) -> dict[str, float]:
    """One pass of ``schema.execute`` per body in this process, on one event loop as in the
    service (``asyncio.run`` per call would add creating and closing a loop to each)."""
    loop = asyncio.new_event_loop()
    queries = [orjson.loads(b)["query"] for b in bodies]

    def run(query: str) -> None:
        result = loop.run_until_complete(schema.execute(query, context_value=Context(store)))
        if result.errors:
            raise RuntimeError(f"GraphQL errors in the benchmark: {result.errors}")

    try:
        return timed_calls([lambda q=q: run(q) for q in queries], 0)  # type: ignore[misc]
    finally:
        loop.close()


def expected_answers(store: GraphStore, bodies: list[bytes]) -> list[dict[str, Any]]:
    """The answers the service must give (GraphQL in this process); fails on any error."""
    answers = [workload.execute(store, b) for b in bodies]
    wrong = [a for a in answers if "errors" in a or not a["data"]["responsible"]["tiers"]]
    if wrong:
        raise RuntimeError(f"reference answer with errors or no tiers: {wrong[0]}")
    return answers


def baseline_a1(
    bodies: list[bytes], answers: list[dict[str, Any]], seconds: float
) -> dict[str, float]:
    """A1: the same answer from a precomputed dict (request body → answer), ``orjson.dumps``."""
    table = dict(zip(bodies, answers, strict=True))
    return timed_calls([lambda b=b: orjson.dumps(table[b]) for b in bodies], seconds)  # type: ignore[misc]


def baseline_a5(store: EmbeddedStore) -> dict[str, float]:
    """A5: every node of the graph visited once with its record (``bench.coverage``; best of
    5); ``nodes_only_ms``: the nodes alone, without their records."""
    ms = _baseline_a5(store)
    bare = nodes_only_ms(store)
    nodes = store.graph.number_of_nodes()
    return {
        "ms": round(ms, 3),
        "nodes": nodes,
        "us_per_node": round(ms * 1000 / nodes, 4),
        "nodes_only_ms": round(bare, 3),
    }


def scope_of(store: GraphStore, scale: str) -> str:
    """The code of the region at ``scale`` (the county, city or province)."""
    level = SCOPE_LEVEL[scale]
    return min(p.code for p in store.scan(Place) if p.level is level)


def coverage(store: GraphStore, scope: str, nodes: int | None, rounds: int) -> dict[str, Any]:
    """The coverage report of ``scope``: best of ``rounds`` (after a warm-up)."""
    ms = _timed(lambda: coverage_report(store, scope, at=TODAY), rounds)
    out: dict[str, Any] = {"scope": scope, "ms": round(ms, 2), "nodes": nodes}
    out["us_per_node"] = round(ms * 1000 / nodes, 4) if nodes else None
    return out


def load_embedded(scale: str, seed: int, db: Path) -> tuple[dict[str, Any], EmbeddedStore]:
    """Generate the region into a fresh SQLite file (the service's store, timed), then into
    an in-memory store in this process (timed, resident memory before and after)."""
    sqlite = open_store(f"sqlite:///{db}")
    t0 = time.perf_counter()
    summary = write_to_store(sqlite, scale, seed, progress=False)
    sqlite_s = time.perf_counter() - t0
    sqlite.close()
    gc.collect()
    before = rss_bytes()
    memory = open_store("memory://")
    assert isinstance(memory, EmbeddedStore)
    t0 = time.perf_counter()
    write_to_store(memory, scale, seed, progress=False)
    memory_s = time.perf_counter() - t0
    gc.collect()
    after = rss_bytes()
    nodes = memory.graph.number_of_nodes()
    figures = {
        "records": summary.records,
        "counties": summary.counties,
        "headline": summary.headline,
        "nodes": nodes,
        "edges": memory.graph.number_of_edges(),
        "sqlite_seconds": round(sqlite_s, 2),
        "sqlite_records_per_second": round(summary.records / sqlite_s),
        "memory_seconds": round(memory_s, 2),
        "memory_records_per_second": round(summary.records / memory_s),
        "sqlite_file_bytes": db.stat().st_size + _size(db.with_name(db.name + "-wal")),
        "inprocess_rss_before_bytes": before,
        "inprocess_rss_after_bytes": after,
        "inprocess_bytes_per_node": round((after - before) / nodes),
    }
    return figures, memory


def load_neo4j(url: str, scale: str, seed: int) -> tuple[dict[str, Any], GraphStore]:
    """Erase the Neo4j store at ``url`` and generate the region into it (timed); the store
    stays open for the in-process measurements."""
    store = open_store(url)
    t0 = time.perf_counter()
    store.erase_all_data()  # type: ignore[attr-defined]
    erase_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = write_to_store(store, scale, seed, progress=False)
    load_s = time.perf_counter() - t0
    figures = {
        "records": summary.records,
        "counties": summary.counties,
        "headline": summary.headline,
        "erase_seconds": round(erase_s, 2),
        "seconds": round(load_s, 2),
        "records_per_second": round(summary.records / load_s),
    }
    return figures, store


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
