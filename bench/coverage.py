"""How fast are the planners' reports, and does their cost grow linearly with the region?

    python -m bench.coverage [--counties 1 4 12] [--rounds 3] [--smoke]

Builds regions of 1, 4 and 12 copies of the demo county (the copies get their own county codes
under one prefecture, their own ids and boundaries shifted side by side; 12 copies is about the
size of a prefecture city such as Baise), loads each into the embedded store, and times for the
whole region: the staffing coverage report, territory, workload, structure and reach (each the
best of ``--rounds`` after a warm-up, so what the store keeps until its next write is reused;
``coverage_after_write_ms`` is the coverage report right after rewriting the scope's place: the
region and the place index are built again). Baseline A5, measured in the same run: iterating
every node of the store's graph once (the least any report over the whole region could cost).
Reports the milliseconds, the cost per node, the ratio to A5 per node, and how the cost per node
and that ratio change with size (linear growth keeps them flat; A5's own cost per node grows
with the heap). Targets from the issues: the demo county's coverage report under 100 ms, a
city-size region's under 0.5 s. Prints one JSON document; ratios are what matter on a shared
2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from loaders.demo import DEMO_TODAY, demo_records
from registry.codec import from_row, to_row
from registry.model import KINDS, AnyRecord, Boundary, Place, Requirement, RoleTemplate
from registry.queries.coverage import coverage_report
from registry.queries.reach import reach_report
from registry.queries.structure import structure_report
from registry.queries.territory import territory_report
from registry.queries.workload import workload_report
from registry.store import open_store
from registry.store.embedded_store import EmbeddedStore

DEMO = "451225"
PREFECTURE = "451200000000"
#: County codes for the copies (the first is the demo county itself).
COPY_CODES = [DEMO, *(f"4512{n:02d}" for n in range(30, 60))]
REPORTS: dict[str, Callable[[EmbeddedStore, str, date], Any]] = {
    "coverage": lambda s, scope, at: coverage_report(s, scope, at=at),
    "territory": territory_report,
    "workload": workload_report,
    "structure": structure_report,
    "reach": reach_report,
}
_COORD = re.compile(r"\[(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)\]")


def region_records(copies: int) -> list[AnyRecord]:
    """The demo county and ``copies - 1`` clones of it, each under its own county code."""
    base = demo_records()
    seen: set[tuple[str, str]] = set()
    out: list[AnyRecord] = []
    for n in range(copies):
        for rec in base if n == 0 else (_clone(r, n) for r in base):
            ident = (rec.KIND, rec.key)
            if ident not in seen:
                seen.add(ident)
                out.append(rec)
    order = {kind: i for i, kind in enumerate(KINDS)}
    out.sort(key=lambda r: order[r.KIND])
    return out


def _clone(rec: AnyRecord, n: int) -> AnyRecord:
    """``rec`` moved to copy ``n``: codes, ids and (shifted) geometry."""
    code = COPY_CODES[n]
    row = to_row(rec)
    for name, value in row.items():
        if isinstance(value, str):
            value = value.replace(DEMO, code)
            if name in ("id", "person") and value[:1] in ("P", "H") and value[1:].isdigit():
                value = f"{value[0]}{n:02d}{value[1:]}"
            row[name] = value
    if isinstance(rec, Boundary):
        dx, dy = 0.55 * (n % 4), 0.55 * (n // 4)
        row["geometry"] = _COORD.sub(
            lambda m: f"[{float(m.group(1)) + dx:.6f},{float(m.group(2)) + dy:.6f}]",
            str(row["geometry"]),
        )
    if isinstance(rec, RoleTemplate):  # each copy has its county's own standards
        row["code"] = f"{row['code']}-{n}"
    if isinstance(rec, Requirement):
        row["template"] = f"{row['template']}-{n}"
    if isinstance(rec, Place) and rec.code == f"{DEMO}000000":
        row["name"] = f"{rec.name}（副本{n}）"
    return from_row(type(rec), row)


def _timed(fn: Callable[[], Any], rounds: int) -> float:
    """Best-of-``rounds`` milliseconds (after one warm-up call)."""
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def _baseline_a5(store: EmbeddedStore) -> float:
    """A5: every node of the graph visited once with its record (found from the node id, as
    the store keeps records by kind and key), in milliseconds (best of 5)."""

    def visit() -> int:
        count = 0
        kinds = store._kinds
        for nid in store.graph:
            kind, _, key = nid.partition(":")
            count += kinds[kind].get(key) is not None
        return count

    return _timed(visit, 5)


def nodes_only_ms(store: EmbeddedStore) -> float:
    """Every node of the graph visited once without its record (its attributes: the store's
    shared empty mapping), in milliseconds (best of 5): the floor under A5, reported beside it."""

    def visit() -> int:
        count = 0
        for _, attrs in store.graph.nodes(data=True):
            count += not attrs
        return count

    return _timed(visit, 5)


def _after_write(store: EmbeddedStore, scope: str, rounds: int) -> float:
    """Best-of-``rounds`` milliseconds of the coverage report right after a write of the
    scope's place (rewritten as it is): the store's region and place index are built again, as
    after any edit of a place, grid or coverage link."""
    place = store.get(Place, scope)
    assert place is not None
    times = []
    for _ in range(rounds):
        store.apply([place], actor="bench", operation="touch")
        start = time.perf_counter()
        coverage_report(store, scope, at=DEMO_TODAY)
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def measure(copies: int, rounds: int) -> dict[str, Any]:
    records = region_records(copies)
    store = open_store("memory://")
    assert isinstance(store, EmbeddedStore)
    start = time.perf_counter()
    store.apply(records, actor="bench", operation="load")
    load_s = time.perf_counter() - start
    nodes = store.graph.number_of_nodes()
    scope = PREFECTURE if copies > 1 else f"{DEMO}000000"
    a5 = _baseline_a5(store)
    out: dict[str, Any] = {
        "counties": copies,
        "scope": scope,
        "records": len(records),
        "nodes": nodes,
        "load_seconds": round(load_s, 2),
        "a5_ms": round(a5, 3),
        "reports": {},
    }
    for name, report in REPORTS.items():
        ms = _timed(lambda r=report: r(store, scope, DEMO_TODAY), rounds)  # type: ignore[misc]
        out["reports"][name] = {
            "ms": round(ms, 2),
            "us_per_node": round(ms * 1000 / nodes, 3),
            "x_a5_per_node": round(ms / a5, 1),
        }
    county_ms = _timed(lambda: coverage_report(store, f"{DEMO}000000", at=DEMO_TODAY), rounds)
    out["coverage_one_county_ms"] = round(county_ms, 2)
    out["coverage_after_write_ms"] = round(_after_write(store, scope, rounds), 2)
    totals = coverage_report(store, scope, at=DEMO_TODAY).totals
    out["statuses"] = dict(sorted(totals.items()))
    out["uncovered"] = len(territory_report(store, scope, DEMO_TODAY).uncovered)
    store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", type=int, nargs="+", default=[1, 4, 12])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="1 and 2 counties, one round")
    args = parser.parse_args(argv)
    sizes = [1, 2] if args.smoke else args.counties
    rounds = 1 if args.smoke else args.rounds
    results = [measure(n, rounds) for n in sizes]
    first, last = results[0], results[-1]
    growth = {
        name: round(
            last["reports"][name]["us_per_node"] / max(first["reports"][name]["us_per_node"], 1e-9),
            2,
        )
        for name in REPORTS
    }
    # A5's own cost per node grows with the heap (caches): the growth of the ratio to A5
    growth_vs_a5 = {
        name: round(
            last["reports"][name]["x_a5_per_node"]
            / max(first["reports"][name]["x_a5_per_node"], 1e-9),
            2,
        )
        for name in REPORTS
    }
    city = next((r for r in results if r["counties"] >= 12), None)
    # every copy is the demo county again: the region's counts are the county's times n
    scaled = all(
        r["statuses"] == {k: v * r["counties"] for k, v in first["statuses"].items()}
        and r["uncovered"] == first["uncovered"] * r["counties"]
        for r in results
    )
    doc = {
        "benchmark": "coverage",
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "baseline": "A5: visiting every node of the graph once, measured in the same run",
        "sizes": results,
        "per_node_growth_smallest_to_largest": growth,
        "x_a5_growth_smallest_to_largest": growth_vs_a5,
        "validation": {"counts_scale_with_copies": scaled},
        "targets": {
            "demo_county_coverage_under_100_ms": first["coverage_one_county_ms"] < 100,
            "city_coverage_under_500_ms": None
            if city is None
            else city["reports"]["coverage"]["ms"] < 500,
            "linear": all(0.5 <= g <= 1.5 for g in growth.values()),
            "median_growth": statistics.median(growth.values()),
        },
    }
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if scaled else 1


if __name__ == "__main__":
    raise SystemExit(main())
