"""HTTP measurements of ``bench.suite``: the service (``bench.suite_serve``: ``gridreg serve``
with GC pauses timed) and baseline A3 (``bench.bare_app``: the same response bytes without
GraphQL or a store), each warmed up and then loaded by the same generator (``wrk`` or the
asyncio fallback) at 1 and 16 connections, every response validated (status 200, an expected
body length, no ``errors``)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import loadgen, workload
from bench.loadgen import LoadResult, Workload
from bench.neo4j_concurrency import measure
from bench.procs import Server, listening_pid, process_tree
from bench.suite_serve import rss_bytes

CONNECTIONS = (1, 16)


@dataclass
class HttpRun:
    """Settings of one run and every load result (for the validation totals)."""

    seconds: int
    warmup: int
    results: list[LoadResult] = field(default_factory=list)
    answers_checked: int = 0

    def cases(
        self, name: str, server: Server, work: Workload, extra: dict[str, list[int]]
    ) -> dict[str, Any]:
        """Warm ``server`` up at 16 connections, then measure it at 1 and 16."""
        warm = loadgen.run(server.base, work, CONNECTIONS[-1], self.warmup)
        self.results.append(warm)
        assert server.proc is not None
        groups = {"server": process_tree(server.proc.pid), **extra}
        out: dict[str, Any] = {}
        for connections in CONNECTIONS:
            result, figures = measure(server, work, connections, self.seconds, groups)
            self.results.append(result)
            out[f"{name}_{connections}"] = figures
        return out

    def validation(self) -> dict[str, Any]:
        """Totals over every response of the run."""
        responses = sum(r.requests for r in self.results)
        bad = sum(r.bad for r in self.results)
        samples = [r.bad_sample for r in self.results if r.bad_sample]
        return {
            "answers_checked_against_inprocess": self.answers_checked,
            "responses": responses,
            "bad": bad,
            "all_valid": bad == 0 and responses > 0 and self.answers_checked > 0,
            "bad_sample": samples[0] if samples else None,
        }


def neo4j_pid(url: str) -> int | None:
    """The local Neo4j server's process (for its CPU), if ``url`` is on this machine."""
    host, _, port = url.split("://", 1)[-1].partition(":")
    if host not in ("127.0.0.1", "localhost"):
        return None
    return listening_pid(int(port or 7687))


def serve_and_measure(
    run: HttpRun, folder: Path, url: str, bodies: list[bytes], expected: list[dict[str, Any]]
) -> dict[str, Any]:
    """The service on ``url`` and A3 at 1 and 16 connections; the service's memory and GC."""
    folder.mkdir(parents=True, exist_ok=True)
    gc_log = folder / "gc.json"
    argv = [sys.executable, "-m", "bench.suite_serve", "--store", url, "--gc-log", str(gc_log)]
    service = Server("service", argv, folder / "service.log")
    bare: Server | None = None
    out: dict[str, Any] = {}
    try:
        service.start(timeout=1800)
        service.answers = workload.record_answers(service.base, bodies, expected)
        run.answers_checked += len(bodies)
        work = Workload("/graphql", bodies, frozenset(len(a) for a in service.answers))
        extra: dict[str, list[int]] = {}
        pid = neo4j_pid(url) if url.startswith(("bolt", "neo4j")) else None
        if pid is not None:
            extra["neo4j"] = process_tree(pid)
        assert service.proc is not None
        out |= run.cases("service", service, work, extra)
        server_rss = rss_bytes(service.proc.pid)
        service.stop()
        log = json.loads(gc_log.read_text())
        pairs = [[r.decode(), a.decode()] for r, a in zip(bodies, service.answers, strict=True)]
        (folder / "answers.json").write_text(json.dumps(pairs))
        argv = [sys.executable, "-m", "bench.bare_app", "--responses", str(folder / "answers.json")]
        bare = Server("a3_bare", argv, folder / "bare.log")
        bare.start()
        out |= run.cases("a3_bare", bare, work, {})
    finally:
        service.stop()
        if bare is not None:
            bare.stop()
    info = log["info"]
    return {
        "cases": out,
        "gc": log["gc"],
        "server": {
            "open_seconds": info["open_seconds"],
            "rss_before_store_bytes": info["rss_before_store_bytes"],
            "rss_after_store_bytes": info["rss_after_store_bytes"],
            "rss_after_load_bytes": server_rss,
            "nodes": info["nodes"],
        },
    }
