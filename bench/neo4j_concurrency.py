"""Does a Neo4j call block the service's event loop? Throughput of ``gridreg serve`` on Neo4j
at 1 and 16 concurrent connections (the issue's target: at 16, at least 3x that at 1).

    python -m bench.neo4j_concurrency --neo4j bolt://127.0.0.1:7689 [--seconds 10]
                                      [--processes 1] [--smoke]
    python -m bench.neo4j_concurrency --start-neo4j [--smoke] [--neo4j-rtt-ms 20]

Steps: erase the Neo4j store and load the demo county into it; start ``gridreg serve`` on it
(a subprocess, free port); check its answer for every request against the embedded store's;
start the bare endpoint (baseline A3: ``bench.bare_app``, the same response bytes without
GraphQL or a store); warm both up; measure each at 1 and at 16 connections with ``wrk`` (or
the asyncio fallback), validating every response; measure a Neo4j ``RETURN 1`` round trip
(A4) and in-process GraphQL execution (A5). With ``--neo4j-rtt-ms``, also the service through
``bench.delay_proxy`` (Neo4j as if on another host: a round trip is waiting, not CPU on the
same cores), at 1 and 16 connections. Prints one JSON document on stdout; exits 1 if any
response was wrong (the figures would not be measurements of success).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import loadgen, workload
from bench.loadgen import LoadResult, Workload
from bench.procs import (
    ROOT,
    CpuMeter,
    Neo4jServer,
    Server,
    connections_per_process,
    free_port,
    listening_pid,
    process_tree,
    wait_tcp,
)
from registry.settings import Settings

CONNECTIONS = (1, 16)
TARGET = 3.0


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.neo4j_concurrency",
        description="Throughput and latency of gridreg serve on Neo4j at 1 and 16 concurrent "
        "connections, with baselines measured in the same run; prints one JSON document. "
        "WARNING: ERASES ALL DATA in the Neo4j store given with --neo4j (it loads the demo "
        "county); never point it at a server holding data you need.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--neo4j", metavar="URL", help="Neo4j to use (ERASED), bolt://HOST:PORT")
    where.add_argument(
        "--start-neo4j",
        action="store_true",
        help="start a throwaway Neo4j (scripts/neo4j/neo4j, free port, temporary home) and "
        "stop it at the end",
    )
    parser.add_argument("--seconds", type=int, default=10, help="per measured case (default 10)")
    parser.add_argument("--processes", type=int, default=1, help="gridreg serve --processes")
    parser.add_argument("--places", type=int, default=50, help="hamlets to vary the query over")
    parser.add_argument(
        "--neo4j-rtt-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="also measure the service through bench.delay_proxy adding MS to every Neo4j "
        "round trip (a server on another host: waiting, not CPU on the same cores); 0: off",
    )
    parser.add_argument("--smoke", action="store_true", help="about 1 s per case (for CI)")
    return parser.parse_args(argv)


def measure(
    server: Server, work: Workload, connections: int, seconds: int, groups: dict[str, list[int]]
) -> tuple[LoadResult, dict[str, Any]]:
    """One case: the load result and its figures, with the CPU each group of processes used
    and how the connections spread over the server's processes (sampled mid-run)."""
    with CpuMeter(groups) as meter, ThreadPoolExecutor(1) as pool:
        running = pool.submit(loadgen.run, server.base, work, connections, seconds)
        time.sleep(seconds / 2)
        spread = connections_per_process(server.port, groups["server"])
        result = running.result()
    figures = result.figures()
    figures["cpu_cores"] = meter.report({"loadgen": result.loadgen_cpu_seconds})
    for name in groups:
        per_request = meter.seconds(name) * 1000 / max(result.requests, 1)
        figures[f"{name}_cpu_ms_per_request"] = round(per_request, 3)
    figures["connections_per_server_process"] = spread
    return result, figures


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def ratios(cases: dict[str, dict[str, Any]], processes: int) -> dict[str, float | None]:
    """The ratios the issue and the analysis need."""
    s1, s16, b1, b16 = (cases[k] for k in ("service_1", "service_16", "bare_1", "bare_16"))
    return {
        "neo4j_16_vs_1": _ratio(s16["throughput_rps"], s1["throughput_rps"]),
        "bare_16_vs_1": _ratio(b16["throughput_rps"], b1["throughput_rps"]),
        "service_16_rps_vs_bare_16_rps": _ratio(s16["throughput_rps"], b16["throughput_rps"]),
        "service_p50_vs_bare_p50_at_1": _ratio(s1["p50_ms"], b1["p50_ms"]),
        "service_p50_vs_bare_p50_at_16": _ratio(s16["p50_ms"], b16["p50_ms"]),
        "service_p50_at_1_vs_return1_p50": _ratio(s1["p50_ms"], cases["neo4j_return1"]["p50_ms"]),
        "service_p99_vs_p50_at_16": _ratio(s16["p99_ms"], s16["p50_ms"]),
        "service_1_idle_fraction": idle_fraction(s1),
        "cpu_ceiling_16_vs_1": _ratio(cpu_ceiling_rps(s16, processes), s1["throughput_rps"]),
    }


def idle_fraction(case: dict[str, Any]) -> float:
    """At 1 connection, the share of the time nobody (service, Neo4j, load generator) was
    computing for the one request in flight: waiting on a network round trip, or a stall."""
    cores = case["cpu_cores"]
    busy = cores["server"] + cores.get("neo4j", 0.0) + cores["loadgen"] + cores.get("proxy", 0.0)
    return round(max(1.0 - float(busy), 0.0), 3)


def cpu_ceiling_rps(case: dict[str, Any], processes: int) -> float:
    """The most requests per second the CPU allows, from a case's CPU cost per request: each
    service process runs Python on at most one core (the GIL), and all parties share the
    cores that other work left free."""
    cores = case["cpu_cores"]
    server_ms = case["server_cpu_ms_per_request"]
    total_ms = server_ms + case.get("neo4j_cpu_ms_per_request", 0.0)
    total_ms += cores["loadgen"] * 1000 * case["seconds"] / max(case["requests"], 1)
    free = cores["machine_cores"] - cores["other"]
    return round(float(min(processes * 1000 / server_ms, free * 1000 / total_ms)), 1)


def notes(cases: dict[str, dict[str, Any]], found: dict[str, Any], processes: int) -> list[str]:
    """What a reader of the figures must know before trusting the 16-vs-1 ratio."""
    out = []
    s16 = cases["service_16"]
    if (found["service_1_idle_fraction"] or 0) > 0.5:
        out.append(
            "at 1 connection the service and Neo4j computed less than half the time although "
            "no round-trip delay was added: requests stall on something (e.g. Nagle/delayed "
            "ACK on keep-alive connections), which inflates the 16-vs-1 ratio"
        )
    if s16["cpu_cores"]["server"] >= 0.85 * processes:
        out.append(
            f"at 16 connections the service's {processes} process(es) used "
            f"{s16['cpu_cores']['server']} cores: throughput is bound by the service's CPU "
            f"per request ({s16['server_cpu_ms_per_request']} ms), not by waiting on Neo4j"
        )
    spread = s16["connections_per_server_process"]
    if processes > 1 and len(spread) < processes:
        out.append(
            f"at 16 connections the connections sat in {len(spread)} of {processes} server "
            f"processes ({spread}): keep-alive connections stay where they were accepted"
        )
    if s16["cpu_cores"]["machine_busy"] >= 0.9 * s16["cpu_cores"]["machine_cores"]:
        out.append("at 16 connections the machine's cores were all busy (see cpu_cores.other)")
    return out


def service_argv(url: str, processes: int) -> list[str]:
    """``gridreg serve`` on the store at ``url``."""
    return [sys.executable, "-m", "gridreg_cli", "serve", "--store", url,
            "--processes", str(processes)]  # fmt: skip


def delay_proxy(target: str, delay_ms: float, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``bench.delay_proxy`` in front of Neo4j at ``target``: the process and its URL."""
    port, where = free_port(), urlsplit(target)
    argv = [sys.executable, "-m", "bench.delay_proxy", "--port", str(port), "--delay-ms",
            str(delay_ms), "--target", f"{where.hostname}:{where.port or 7687}"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=out)
    wait_tcp(port, proc)
    return proc, f"bolt://127.0.0.1:{port}"


class Run:
    """One benchmark run: servers, the workload, and the figures gathered so far."""

    def __init__(self, args: argparse.Namespace, folder: Path, url: str) -> None:
        self.args, self.folder, self.url = args, folder, url
        self.seconds = 1 if args.smoke else args.seconds
        self.warmup = 1 if args.smoke else max(2, self.seconds // 2)
        self.cases: dict[str, dict[str, Any]] = {}
        self.results: list[LoadResult] = []
        self.setup: dict[str, Any] = {}
        where = urlsplit(url)
        local = where.hostname in ("127.0.0.1", "localhost")
        self.neo4j_pid = listening_pid(where.port or 7687) if local else None

    def measure(self, name: str, server: Server, work: Workload, extra: list[int]) -> None:
        """Warm ``server`` up, then measure it at each connection count (cases ``name_N``)."""
        warm = loadgen.run(server.base, work, CONNECTIONS[-1], self.warmup)
        self.results.append(warm)
        self.setup[f"warmup_{name}"] = {"seconds": warm.seconds, "requests": warm.requests}
        assert server.proc is not None
        groups = {"server": process_tree(server.proc.pid)}
        if self.neo4j_pid is not None:
            groups["neo4j"] = process_tree(self.neo4j_pid)
        if extra:
            groups["proxy"] = extra
        for connections in CONNECTIONS:
            result, figures = measure(server, work, connections, self.seconds, groups)
            self.results.append(result)
            self.cases[f"{name}_{connections}"] = figures

    def service(self, name: str, url: str, requests: list[bytes], expected: Any) -> Server:
        """Start ``gridreg serve`` on ``url``; check its answer to every request."""
        server = Server(name, service_argv(url, self.args.processes), self.folder / f"{name}.log")
        server.start()
        server.answers = workload.record_answers(server.base, requests, expected)
        return server


def run(args: argparse.Namespace, folder: Path, url: str) -> dict[str, Any]:
    """Everything but starting and stopping Neo4j; the JSON document."""
    state = Run(args, folder, url)
    records = workload.demo_records()
    requests = workload.bodies(workload.hamlets(records, args.places))
    expected = workload.reference(records, requests)
    state.setup["demo"] = workload.load_neo4j(url)
    servers: list[Server] = []
    proxy: subprocess.Popen[bytes] | None = None
    try:
        service = state.service("service", url, requests, expected)
        servers.append(service)
        pairs = [[r.decode(), a.decode()] for r, a in zip(requests, service.answers, strict=True)]
        (folder / "answers.json").write_text(json.dumps(pairs))
        bare = Server(
            "bare",
            [sys.executable, "-m", "bench.bare_app", "--responses", str(folder / "answers.json")],
            folder / "bare.log",
        )
        servers.append(bare)
        bare.start()
        work = Workload("/graphql", requests, frozenset(len(a) for a in service.answers))
        state.measure("service", service, work, [])
        service.stop()
        state.measure("bare", bare, work, [])
        bare.stop()
        if args.neo4j_rtt_ms > 0:
            proxy, via = delay_proxy(url, args.neo4j_rtt_ms, folder / "proxy.log")
            delayed = state.service("service_rtt", via, requests, expected)
            servers.append(delayed)
            state.measure("service_rtt", delayed, work, [proxy.pid])
    finally:
        for server in servers:
            server.stop()
        if proxy is not None:
            proxy.terminate()
            proxy.wait()
    state.cases["neo4j_return1"] = workload.ping_latency(url, 50 if args.smoke else 500)
    state.cases["inprocess_graphql"] = workload.inprocess_ms(url, requests, 1 if args.smoke else 5)
    return document(state, len(requests))


def document(state: Run, places: int) -> dict[str, Any]:
    """The JSON document of a finished run."""
    args, cases, results = state.args, state.cases, state.results
    checked, bad = sum(r.requests for r in results), sum(r.bad for r in results)
    found = ratios(cases, args.processes)
    targets: dict[str, Any] = {
        "neo4j_16_vs_1": {
            "target": f">= {TARGET}",
            "value": found["neo4j_16_vs_1"],
            "met": (found["neo4j_16_vs_1"] or 0) >= TARGET,
        },
        "all_responses_valid": {"met": bad == 0 and checked > 0},
    }
    if "service_rtt_1" in cases:
        value = _ratio(
            cases["service_rtt_16"]["throughput_rps"], cases["service_rtt_1"]["throughput_rps"]
        )
        found["neo4j_16_vs_1_with_rtt"] = value
        targets["neo4j_16_vs_1_with_rtt"] = {
            "target": f">= {TARGET}",
            "value": value,
            "met": (value or 0) >= TARGET,
        }
    return {
        "benchmark": "neo4j_concurrency",
        "machine": machine(),
        "settings": {
            "seconds_per_case": state.seconds,
            "warmup_seconds": state.warmup,
            "smoke": args.smoke,
            "processes": args.processes,
            "connections": list(CONNECTIONS),
            "generator": results[0].generator,
            "places": places,
            "query": workload.QUERY,
            "neo4j": "started by the benchmark" if args.start_neo4j else state.url,
            "neo4j_rtt_ms": args.neo4j_rtt_ms,
            "service_workers": Settings().workers,
        },
        "setup": state.setup,
        "validation": {
            "answers_checked_against_embedded": places,
            "responses": checked,
            "bad": bad,
            "all_valid": bad == 0 and checked > 0,
        },
        "cases": cases,
        "ratios": found,
        "targets": targets,
        "notes": notes(cases, found, args.processes),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    generator = loadgen.wrk_path()
    version = ""
    if generator:
        done = subprocess.run([generator, "--version"], capture_output=True, text=True)
        version = (done.stdout or done.stderr).split(" [")[0].strip()
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": version or None,
        "load_average": list(os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the JSON document; 1 if any response was wrong."""
    args = parse(argv)
    neo4j = Neo4jServer() if args.start_neo4j else None
    with tempfile.TemporaryDirectory(prefix="gridreg-bench-") as tmp:
        try:
            if neo4j is not None:
                neo4j.start()
            document = run(args, Path(tmp), neo4j.url if neo4j else args.neo4j)
        finally:
            if neo4j is not None:
                neo4j.stop()
    print(json.dumps(document, indent=2, ensure_ascii=False))
    if not document["validation"]["all_valid"]:
        print("bench: WRONG RESPONSES were received: the figures are not valid", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
