"""Soak: the real service under steady load for a long time, every response validated.

    python -m bench.soak [--seconds 600] [--window 60] [--connections 16] [--scale city]
    python -m bench.soak --smoke          # county scale, 6 s in windows of 3 s

A synthetic region (``loaders.synthetic``, ``--scale``, seed ``--seed``) is generated into a
fresh SQLite file and served by ``gridreg serve`` (a uvicorn subprocess, default settings:
anonymous callers are viewers). ``--requests`` ``responsible`` requests spread over the region
(``bench.suite_measure.sample``: hamlets, villages and micro-grids, categories in turn) are
answered in this process first, and the service's answers are checked against them. Then
``--connections`` keep-alive clients (``bench.loadgen``: ``wrk``, or the asyncio fallback) send
them in turn for ``--seconds`` (after ``--warmup`` seconds not reported), in consecutive windows of
``--window`` seconds; every response is validated (status 200, the length of an expected answer,
no ``errors``), the warm-up's included.

Prints one JSON document: per window the requests, errors, throughput, p50 and p99; the totals;
the service's resident memory before and after; and the verdict. **Stable** means the last
window's p99 is at most ``--stable-ratio`` (1.5) times the first window's; the verdict is met
when there were zero errors and p99 was stable.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import loadgen, workload
from bench.loadgen import LoadResult, Workload
from bench.procs import Server
from bench.suite_measure import expected_answers, sample
from bench.suite_serve import rss_bytes
from loaders.synthetic import write_to_store
from registry.store import open_store

__all__ = ["main", "soak", "verdict"]


def verdict(windows: list[dict[str, Any]], stable_ratio: float) -> dict[str, Any]:
    """Zero errors, and the last window's p99 within ``stable_ratio`` × the first one's."""
    errors = sum(int(w["errors"]) for w in windows)  # the warm-up's are added by ``soak``
    first, last = float(windows[0]["p99_ms"]), float(windows[-1]["p99_ms"])
    ratio = round(last / first, 3) if first > 0 else None
    stable = ratio is not None and ratio <= stable_ratio
    return {
        "errors": errors,
        "zero_errors": errors == 0,
        "p99_first_ms": first,
        "p99_last_ms": last,
        "p99_last_vs_first": ratio,
        "p99_max_vs_first": round(max(float(w["p99_ms"]) for w in windows) / first, 3)
        if first > 0
        else None,
        "p99_stable": stable,
        "stable_rule": f"last window's p99 <= {stable_ratio} x the first window's",
        "met": errors == 0 and stable,
    }


def _window(index: int, result: LoadResult) -> dict[str, Any]:
    return {
        "window": index,
        "seconds": round(result.seconds, 1),
        "requests": result.requests,
        "ok": result.ok,
        "errors": result.bad,
        "throughput_rps": result.throughput_rps,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "max_ms": result.max_ms,
        "bad_sample": result.bad_sample or None,
    }


def soak(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Generate, serve, check the answers, load in windows; the JSON document."""
    db = folder / "soak.db"
    t0 = time.perf_counter()
    with open_store(f"sqlite:///{db}") as store:
        summary = write_to_store(store, args.scale, args.seed, progress=False)
        samples = sample(store, args.requests)
        bodies = [s.body() for s in samples]
        expected = expected_answers(store, bodies)
    load_seconds = time.perf_counter() - t0
    argv = [sys.executable, "-m", "gridreg_cli", "serve", "--store", f"sqlite:///{db}"]
    server = Server("soak", argv, folder / "service.log")
    windows: list[dict[str, Any]] = []
    try:
        server.start(timeout=1800)
        assert server.proc is not None
        answers = workload.record_answers(server.base, bodies, expected)
        work = Workload("/graphql", bodies, frozenset(len(a) for a in answers))
        warm = loadgen.run(server.base, work, args.connections, args.warmup)
        rss_start = rss_bytes(server.proc.pid)
        started = time.monotonic()
        left = args.seconds
        while left > 0:
            seconds = min(args.window, left)
            result = loadgen.run(server.base, work, args.connections, seconds)
            windows.append(_window(len(windows) + 1, result))
            left -= seconds
        elapsed = time.monotonic() - started
        rss_end = rss_bytes(server.proc.pid)
        alive = server.proc.poll() is None
    finally:
        server.stop()
    generator = "wrk" if loadgen.wrk_path() else "python-asyncio"
    total = sum(int(w["requests"]) for w in windows)
    judged = verdict(windows, args.stable_ratio)
    judged["errors"] += warm.bad
    judged["zero_errors"] = judged["errors"] == 0
    judged["service_alive_at_end"] = alive
    judged["met"] = bool(judged["zero_errors"] and judged["p99_stable"] and alive)
    return {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "scale": args.scale,
            "seed": args.seed,
            "seconds": args.seconds,
            "window_seconds": args.window,
            "connections": args.connections,
            "distinct_requests": len(bodies),
            "generator": generator,
            "smoke": args.smoke,
        },
        "warmup": {"seconds": args.warmup, "requests": warm.requests, "errors": warm.bad},
        "setup": {
            "records": summary.records,
            "counties": summary.counties,
            "generate_and_reference_seconds": round(load_seconds, 1),
            "answers_checked_against_inprocess": len(answers),
        },
        "windows": windows,
        "totals": {
            "seconds_under_load": round(elapsed, 1),
            "requests": total,
            "errors": judged["errors"],
            "throughput_rps": round(total / elapsed, 1) if elapsed > 0 else 0.0,
        },
        "memory": {
            "service_rss_start_bytes": rss_start,
            "service_rss_end_bytes": rss_end,
            "growth_bytes": rss_end - rss_start,
        },
        "verdict": judged,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the soak, print the JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600, help="time under load (600)")
    parser.add_argument("--window", type=int, default=60, help="seconds per window (60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--scale", choices=("county", "city", "province"), default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=15, help="seconds, not reported (15)")
    parser.add_argument("--requests", type=int, default=64, help="distinct requests (64)")
    parser.add_argument("--stable-ratio", type=float, default=1.5)
    parser.add_argument("--smoke", action="store_true", help="county, 6 s in windows of 3 s")
    parser.add_argument("--out", type=Path, help="also write the JSON document here")
    args = parser.parse_args(argv)
    if args.smoke:
        args.scale, args.seconds, args.window, args.requests = "county", 6, 3, 16
        args.warmup = 1
    with tempfile.TemporaryDirectory(prefix="gridreg-soak-") as tmp:
        doc = soak(args, Path(tmp))
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if args.out is not None:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
