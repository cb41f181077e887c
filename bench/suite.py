"""The benchmark suite: synthetic regions at each scale, on each store, against baselines
measured in the same run; one JSON document on stdout (and ``--out``).

    python -m bench.suite [--scales county city] [--stores embedded neo4j] [--seconds 10]
                          [--smoke] [--start-neo4j | --neo4j URL] [--out results.json]

For each scale and store: the region (``loaders.synthetic``, seed ``--seed``) is generated into
a fresh store (embedded: a SQLite file in a temporary folder, which the service then opens,
and an in-memory store in this process; Neo4j: the store is ERASED, then written), timed, with
resident memory; a deterministic sample of ``responsible`` requests (hamlets, villages and
micro-grids, categories in turn) is answered in this process, and every answer the service
gives is checked against it. Measured: ``responsible_for`` in process (p50/p99; on Neo4j
also ``--fresh`` other requests asked once each, first: no answer kept for them); the service
over HTTP at 1 and 16 connections (``wrk`` with response validation, see ``bench.loadgen``;
the service runs under ``bench.suite_serve``, which times its GC pauses); the coverage report
of the region. Baselines of the same run: A1 the same answer from a precomputed dict plus
``orjson.dumps``; A3 ``bench.bare_app`` serving the same bytes, same generator and
connections; A4 a Neo4j ``RETURN 1`` round trip (Neo4j only); A5 every node of the graph
visited once. Then the ratios, the issue's targets with verdicts, and the embedded store's
memory extrapolated to national scale (the nation is never loaded). ``--smoke``: county,
embedded, 2-second measurements (for CI; nothing is judged there). Exits 1 if any response
was wrong: the figures would not be measurements of success.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import suite_measure as m
from bench import workload
from bench.neo4j_concurrency import machine
from bench.procs import Neo4jServer
from bench.suite_http import HttpRun, serve_and_measure
from bench.suite_targets import extrapolate, ratios, targets

SCALES = ("county", "city", "province")
STORES = ("embedded", "neo4j")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.suite",
        description="Synthetic regions on each store against baselines measured in the same "
        "run; prints one JSON document. WARNING: --neo4j ERASES ALL DATA in that store.",
    )
    parser.add_argument("--scales", nargs="+", choices=SCALES, default=["county", "city"])
    parser.add_argument("--stores", nargs="+", choices=STORES, default=["embedded"])
    parser.add_argument("--seconds", type=int, default=10, help="per measured case (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=60, help="distinct requests (default 60)")
    parser.add_argument(
        "--fresh", type=int, default=300, help="requests asked once, first (default 300)"
    )
    parser.add_argument("--smoke", action="store_true", help="county, embedded, 2 s cases (CI)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--neo4j", metavar="URL", help="the Neo4j to use (ERASED)")
    where.add_argument("--start-neo4j", action="store_true", help="start a throwaway Neo4j")
    parser.add_argument("--out", type=Path, help="also write the document here")
    args = parser.parse_args(argv)
    if args.smoke:
        args.scales, args.stores, args.seconds, args.requests = ["county"], ["embedded"], 2, 20
    if "neo4j" in args.stores and not (args.neo4j or args.start_neo4j):
        parser.error("--stores neo4j needs --neo4j URL or --start-neo4j")
    return args


def _common(
    entry: dict[str, Any], store: Any, seconds: int, requests: int
) -> tuple[list[bytes], list[dict[str, Any]]]:
    """The sample, its reference answers, in-process latency and A1 (both stores)."""
    samples = m.sample(store, requests)
    bodies = [s.body() for s in samples]
    expected = m.expected_answers(store, bodies)
    entry["samples"] = {
        "requests": len(samples),
        "places": sum(s.arg == "place" for s in samples),
        "grids": sum(s.arg == "grid" for s in samples),
        "first": f"{samples[0].arg} {samples[0].code} {samples[0].category}",
    }
    entry["inprocess"] = m.inprocess(store, samples, seconds)
    entry["graphql_inprocess"] = m.graphql_inprocess(store, bodies)
    entry["baselines"] = {"a1": m.baseline_a1(bodies, expected, seconds)}
    return bodies, expected


def embedded(args: argparse.Namespace, scale: str, folder: Path, run: HttpRun) -> dict[str, Any]:
    """One scale on the embedded store."""
    entry: dict[str, Any] = {"scale": scale, "store": "embedded"}
    db = folder / "store.db"
    folder.mkdir(parents=True)
    entry["load"], store = m.load_embedded(scale, args.seed, db)
    # Requests not seen before, first (as on Neo4j): nothing the routing code derives for them
    # is kept yet; reported, not judged (the in-process target is the served request's).
    fresh = m.sample(store, args.fresh)
    entry["inprocess_fresh"] = m.inprocess_fresh(store, fresh)
    entry["inprocess_fresh"]["requests"] = len(fresh)
    bodies, expected = _common(entry, store, args.seconds, args.requests)
    entry["baselines"]["a5"] = m.baseline_a5(store)
    nodes = entry["load"]["nodes"]
    scope = m.scope_of(store, scale)
    entry["coverage"] = m.coverage(store, scope, nodes, 1 if args.smoke else 3)
    store.close()
    del store
    gc.collect()
    entry["http"] = serve_and_measure(run, folder / "http", f"sqlite:///{db}", bodies, expected)
    server = entry["http"]["server"]
    grown = server["rss_after_store_bytes"] - server["rss_before_store_bytes"]
    entry["memory"] = {
        "server_rss_before_store_bytes": server["rss_before_store_bytes"],
        "server_rss_after_store_bytes": server["rss_after_store_bytes"],
        "server_rss_after_load_bytes": server["rss_after_load_bytes"],
        "server_bytes_per_node": round(grown / nodes),
        "inprocess_bytes_per_node": entry["load"]["inprocess_bytes_per_node"],
    }
    entry["ratios"] = ratios(entry, entry["baselines"]["a5"]["us_per_node"])
    return entry


def neo4j(
    args: argparse.Namespace, scale: str, folder: Path, run: HttpRun, url: str, a5: float | None
) -> dict[str, Any]:
    """One scale on Neo4j (``a5``: the embedded store's A5 per node at this scale, if run)."""
    entry: dict[str, Any] = {"scale": scale, "store": "neo4j"}
    entry["load"], store = m.load_neo4j(url, scale, args.seed)
    try:
        # First, before any request is repeated: requests not seen before (no kept answer).
        fresh = m.sample(store, args.fresh)
        entry["inprocess_fresh"] = m.inprocess_fresh(store, fresh, store.ping)
        entry["inprocess_fresh"]["requests"] = len(fresh)
        # What the one statement alone costs for those requests: after them (their county and
        # township parts kept) and with nothing kept (as right after a write).
        entry["statement_alone"] = {
            "parts_kept": m.statement_alone(store, fresh, skip_kept=True),
            "nothing_kept": m.statement_alone(store, fresh, skip_kept=False),
        }
        bodies, expected = _common(entry, store, args.seconds, args.requests)
        # A province's report on Neo4j is one statement returning the whole region (minutes).
        rounds = 1 if args.smoke or scale == "province" else 3
        try:
            entry["coverage"] = m.coverage(store, m.scope_of(store, scale), None, rounds)
        except Exception as exc:  # a report over a whole province in one statement may fail
            entry["coverage"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    finally:
        store.close()
    entry["baselines"]["a4"] = workload.ping_latency(url, 50 if args.smoke else 500)
    entry["http"] = serve_and_measure(run, folder / "http", url, bodies, expected)
    entry["ratios"] = ratios(entry, a5)
    return entry


def document(
    args: argparse.Namespace, results: list[dict[str, Any]], run: HttpRun
) -> dict[str, Any]:
    """The JSON document of a finished run."""
    for e in results:  # Neo4j's cost per node uses the embedded node count of that scale
        if e["store"] == "neo4j":
            twin = next(
                (x for x in results if x["store"] == "embedded" and x["scale"] == e["scale"]), None
            )
            if twin is not None:
                e["coverage"]["nodes"] = twin["load"]["nodes"]
                e["coverage"]["us_per_node"] = round(
                    e["coverage"]["ms"] * 1000 / twin["load"]["nodes"], 4
                )
                e["ratios"] = ratios(e, twin["baselines"]["a5"]["us_per_node"])
    extrapolation = extrapolate(results)
    validation = run.validation()
    return {
        "benchmark": "suite",
        "machine": machine(),
        "settings": {
            "scales": args.scales,
            "stores": args.stores,
            "seconds_per_case": args.seconds,
            "warmup_seconds": run.warmup,
            "seed": args.seed,
            "requests": args.requests,
            "smoke": args.smoke,
            "connections": [1, 16],
            "generator": run.results[0].generator if run.results else None,
            "query": m.QUERY,
            "neo4j": "started by the suite" if args.start_neo4j else args.neo4j,
        },
        "baselines": {
            "a1": "precomputed dict (request body -> answer) plus orjson.dumps, in process",
            "a3": "bench.bare_app: bare FastAPI endpoint on uvicorn returning the same bytes",
            "a4": "Neo4j RETURN 1 round trip from Python through the store",
            "a5": "every node of the embedded graph visited once",
        },
        "results": results,
        "extrapolation": extrapolation,
        "targets": targets(results, extrapolation),
        "validation": validation,
    }


def run_suite(args: argparse.Namespace, tmp: Path, url: str | None) -> dict[str, Any]:
    """Every scale and store, in order; the document."""
    run = HttpRun(seconds=args.seconds, warmup=1 if args.smoke else max(2, args.seconds // 3))
    results: list[dict[str, Any]] = []
    for scale in args.scales:
        a5: float | None = None
        if "embedded" in args.stores:
            results.append(embedded(args, scale, tmp / f"{scale}-embedded", run))
            a5 = results[-1]["baselines"]["a5"]["us_per_node"]
            print(f"bench.suite: {scale} embedded done", file=sys.stderr)
        if "neo4j" in args.stores and url is not None:
            results.append(neo4j(args, scale, tmp / f"{scale}-neo4j", run, url, a5))
            print(f"bench.suite: {scale} neo4j done", file=sys.stderr)
    return document(args, results, run)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; print the JSON document; 1 if any response was wrong."""
    args = parse(argv)
    server = Neo4jServer() if args.start_neo4j and "neo4j" in args.stores else None
    with tempfile.TemporaryDirectory(prefix="gridreg-suite-") as tmp:
        try:
            if server is not None:
                server.start()
            doc = run_suite(args, Path(tmp), server.url if server else args.neo4j)
        finally:
            if server is not None:
                server.stop()
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    if not doc["validation"]["all_valid"]:
        print(
            "bench.suite: WRONG RESPONSES were received: the figures are not valid", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
