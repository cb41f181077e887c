"""The benchmark's workload: the ``responsible`` query routing systems send, for a spread of
the demo county's hamlets, with the answers the embedded store gives (the reference every
served answer is checked against)."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import orjson

from bench.procs import http
from loaders.demo import demo_records, load_demo
from registry.codes import Level
from registry.model import AnyRecord, Place
from registry.store import GraphStore, open_store
from schema.api import schema
from schema.context import Context

QUERY = (
    '{ responsible(place: "%s", category: "C2.2", at: "2026-11-01") { timeLimitMinutes '
    "tiers { rank kind found grid { code name } place { code name } "
    "organization { code name } seats { roleCode status holders { name } } } } }"
)


def hamlets(records: list[AnyRecord], count: int) -> list[str]:
    """``count`` hamlet codes spread evenly over the county (sorted by code)."""
    codes = sorted(r.code for r in records if isinstance(r, Place) and r.level is Level.HAMLET)
    step = max(len(codes) // count, 1)
    return codes[::step][:count]


def bodies(codes: list[str]) -> list[bytes]:
    """The POST bodies asking ``QUERY`` for each place code."""
    return [orjson.dumps({"query": QUERY % code}) for code in codes]


def execute(store: GraphStore, body: bytes) -> dict[str, Any]:
    """The response the service would send for ``body`` on ``store``, as JSON data."""
    result = asyncio.run(schema.execute(orjson.loads(body)["query"], context_value=Context(store)))
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [str(e) for e in result.errors]
    return response


def reference(records: list[AnyRecord], requests: list[bytes]) -> list[dict[str, Any]]:
    """The embedded store's answers (the demo in memory); fails if any has errors."""
    store = open_store("memory://")
    load_demo(store)
    answers = [execute(store, body) for body in requests]
    wrong = [a for a in answers if "errors" in a or not a["data"]["responsible"]["tiers"]]
    if wrong:
        raise RuntimeError(f"the reference answers have errors: {wrong[0]}")
    return answers


def load_neo4j(url: str) -> dict[str, float]:
    """Erase the Neo4j store at ``url`` and load the demo county into it."""
    t0 = time.perf_counter()
    with open_store(url) as store:
        store.erase_all_data()  # type: ignore[attr-defined]
        written = load_demo(store).written
    return {"records": written, "seconds": round(time.perf_counter() - t0, 1)}


def record_answers(base: str, requests: list[bytes], expected: list[dict[str, Any]]) -> list[bytes]:
    """The service's response bytes for each request, each checked against the reference."""
    answers = []
    for body, want in zip(requests, expected, strict=True):
        status, got = http(f"{base}/graphql", body, timeout=120)
        if status != 200 or orjson.loads(got) != want:
            raise RuntimeError(f"served answer differs from the embedded store's: {status} {got!r}")
        answers.append(got)
    return answers


def ping_latency(url: str, calls: int) -> dict[str, float]:
    """Baseline A4: ``RETURN 1`` round trips from Python through the store (after a warm-up)."""
    with open_store(url) as store:
        for _ in range(min(calls, 20)):
            store.ping()  # type: ignore[attr-defined]
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            store.ping()  # type: ignore[attr-defined]
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "calls": calls,
        "p50_ms": round(times[len(times) // 2], 3),
        "p99_ms": round(times[min(calls - 1, int(calls * 0.99))], 3),
        "mean_ms": round(statistics.fmean(times), 3),
    }


def inprocess_ms(url: str, requests: list[bytes], rounds: int) -> dict[str, float]:
    """Baseline A5: mean milliseconds to execute one request's GraphQL in this process, on the
    embedded store (GraphQL and query CPU only) and on Neo4j (plus the round trips)."""
    out: dict[str, float] = {}
    memory = open_store("memory://")
    load_demo(memory)
    with open_store(url) as neo4j:
        for name, store in (("memory_ms", memory), ("neo4j_ms", neo4j)):
            execute(store, requests[0])
            t0 = time.perf_counter()
            for _ in range(rounds):
                for body in requests:
                    execute(store, body)
            out[name] = round((time.perf_counter() - t0) * 1000 / (rounds * len(requests)), 3)
    return out


__all__ = [
    "QUERY",
    "bodies",
    "demo_records",
    "hamlets",
    "inprocess_ms",
    "load_neo4j",
    "ping_latency",
    "record_answers",
    "reference",
]
