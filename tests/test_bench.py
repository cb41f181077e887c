"""``bench.neo4j_concurrency`` runs end to end in smoke mode on a Neo4j server of its own
(``--start-neo4j``: the benchmark erases its store, so never the suite's shared server) and
prints the JSON document it promises, every response validated; so does ``bench.routing_batch``
(embedded store and HTTP, no Neo4j), and ``bench.soak`` (the served city under steady load,
here a county for seconds). Timings and ratios are the benchmarks' to report, never
asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = ("service_1", "service_16", "bare_1", "bare_16")

pytestmark = [pytest.mark.slow]


def _bench(module: str, *args: str, timeout: int = 300) -> dict[str, Any]:
    """Run ``python -m module args`` from the repository; its JSON document (exit code 0)."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


@pytest.mark.neo4j
def test_neo4j_concurrency_benchmark_smoke() -> None:
    if not os.environ.get("GRIDREG_TEST_NEO4J_URL"):
        if os.environ.get("CI"):
            pytest.fail("Neo4j tests never skip in CI: run the suite with scripts/test")
        pytest.skip("no Neo4j (run the suite with scripts/test)")
    doc = _bench("bench.neo4j_concurrency", "--start-neo4j", "--smoke", timeout=900)

    assert set(doc) >= {"machine", "settings", "setup", "validation", "cases", "ratios", "targets"}
    assert doc["machine"]["cpu_count"] >= 1 and doc["machine"]["python"]
    assert doc["settings"]["smoke"] is True and doc["settings"]["connections"] == [1, 16]
    assert doc["settings"]["generator"] in ("wrk", "python-asyncio")

    validation = doc["validation"]
    assert validation["answers_checked_against_embedded"] > 0
    assert validation["responses"] > 0 and validation["bad"] == 0 and validation["all_valid"]
    for name in CASES:
        case = doc["cases"][name]
        assert case["requests"] > 0, name
        assert case["ok"] == case["requests"] and case["bad"] == 0, (name, case)
        assert {"throughput_rps", "p50_ms", "p99_ms", "cpu_cores"} <= set(case), name
    assert doc["cases"]["neo4j_return1"]["calls"] > 0
    assert {"memory_ms", "neo4j_ms"} <= set(doc["cases"]["inprocess_graphql"])

    assert {"neo4j_16_vs_1", "bare_16_vs_1", "service_p50_vs_bare_p50_at_1"} <= set(doc["ratios"])
    assert isinstance(doc["targets"]["neo4j_16_vs_1"]["met"], bool)
    assert doc["targets"]["all_responses_valid"]["met"] is True


def test_routing_batch_benchmark_smoke() -> None:
    doc = _bench("bench.routing_batch", "--smoke")

    assert set(doc) >= {"machine", "baseline_rule", "settings", "embedded", "graphql", "http"}
    assert {"ratios", "validation"} <= set(doc) and doc["neo4j"] is None
    assert doc["machine"]["cpu_count"] >= 1 and doc["machine"]["python"]
    settings = doc["settings"]
    assert settings["smoke"] is True and settings["requests"] == 50
    assert sum(settings["mix"][k] for k in ("hamlet", "village", "grid", "point")) == 50

    for name in ("embedded", "graphql", "http"):
        case = doc[name]
        assert case["requests"] == 50, name
        assert case["singles"]["seconds"] > 0 and case["batch"]["seconds"] > 0, name
        assert isinstance(case["singles_vs_batch"], float), name
    assert doc["embedded"]["answers_matched"] is True and doc["embedded"]["errors"] == 0
    http = doc["http"]
    assert http["responses_valid"] and http["answers_matched"] and http["items_compared"] == 50
    assert http["singles"]["posts"] == 50 and http["batch"]["posts"] == 1
    assert {"embedded_singles_vs_batch", "http_singles_vs_batch"} <= set(doc["ratios"])
    assert doc["validation"]["all_valid"] is True


def test_coverage_benchmark_smoke() -> None:
    doc = _bench("bench.coverage", "--smoke")
    assert doc["validation"]["counts_scale_with_copies"] is True
    one, two = doc["sizes"]
    assert (one["counties"], two["counties"]) == (1, 2)
    assert two["nodes"] > 1.9 * one["nodes"] and one["a5_ms"] > 0
    assert sum(one["statuses"].values()) > 2000 and one["uncovered"] == 2
    for name in ("coverage", "territory", "workload", "structure", "reach"):
        assert one["reports"][name]["ms"] > 0 and name in doc["per_node_growth_smallest_to_largest"]
    assert isinstance(doc["targets"]["demo_county_coverage_under_100_ms"], bool)
    assert one["coverage_after_write_ms"] > 0 and two["coverage_after_write_ms"] > 0


def test_suite_benchmark_smoke() -> None:
    doc = _bench("bench.suite", "--smoke")

    assert set(doc) >= {"machine", "settings", "baselines", "results", "targets", "validation"}
    assert {"extrapolation"} <= set(doc) and doc["settings"]["smoke"] is True
    assert set(doc["baselines"]) == {"a1", "a3", "a4", "a5"}
    (entry,) = doc["results"]
    assert (entry["scale"], entry["store"]) == ("county", "embedded")
    assert {"load", "memory", "samples", "inprocess", "baselines", "coverage", "http"} <= set(entry)
    assert entry["load"]["records"] > 0 and entry["load"]["nodes"] > 0
    assert entry["memory"]["server_bytes_per_node"] > 0 and entry["inprocess"]["calls"] > 0
    assert entry["inprocess_fresh"]["calls"] == entry["inprocess_fresh"]["requests"] > 0
    assert {"a1", "a5"} <= set(entry["baselines"]) and entry["coverage"]["ms"] > 0

    validation = doc["validation"]
    assert validation["answers_checked_against_inprocess"] > 0
    assert validation["responses"] > 0 and validation["bad"] == 0 and validation["all_valid"]
    for name in ("service_1", "service_16", "a3_bare_1", "a3_bare_16"):
        case = entry["http"]["cases"][name]
        assert case["requests"] > 0 and case["ok"] == case["requests"] and case["bad"] == 0, name
    assert entry["http"]["gc"]["collections"] >= 0

    expected = {"http_p50_at_1_vs_a3_p50", "http_rps_at_16_vs_a3_rps", "coverage_vs_a5_per_node"}
    assert expected <= set(entry["ratios"])
    for name, value in entry["ratios"].items():
        assert isinstance(value, int | float) and not isinstance(value, bool), name
    assert isinstance(doc["extrapolation"]["national_bytes_estimate"], int)
    for target in doc["targets"]:
        assert target["met"] in (True, False, None), target


@pytest.mark.neo4j
def test_suite_on_neo4j_measures_fresh_requests_and_the_statement_alone() -> None:
    """The suite's Neo4j path end to end at county scale, a few seconds a case (the test
    server's one database is erased): requests not seen before, the neighbourhood statement
    alone for the same requests with and without the kept parts, their ratios to A4, the
    HTTP cases validated and the targets reported."""
    url = os.environ.get("GRIDREG_TEST_NEO4J_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("Neo4j tests never skip in CI: run the suite with scripts/test")
        pytest.skip("no Neo4j (run the suite with scripts/test)")
    args = ["--scales", "county", "--stores", "neo4j", "--neo4j", url, "--seconds", "1"]
    doc = _bench("bench.suite", *args, "--requests", "5", "--fresh", "12", timeout=600)
    (entry,) = doc["results"]
    assert (entry["scale"], entry["store"]) == ("county", "neo4j")
    assert entry["inprocess_fresh"]["calls"] == 12
    assert entry["inprocess_fresh"]["a4_interleaved"]["calls"] == 12
    for name in ("parts_kept", "nothing_kept"):
        alone = entry["statement_alone"][name]
        assert alone["calls"] == 12 and alone["p99_us"] >= alone["p50_us"] > 0, name
        assert alone["a4_interleaved"]["calls"] == 12 and alone["a4_interleaved"]["p50_us"] > 0
        for a4 in ("a4", "a4_interleaved"):
            assert f"statement_alone_{name}_p50_vs_{a4}_p50" in entry["ratios"], (name, a4)
    assert doc["validation"]["all_valid"] and doc["validation"]["bad"] == 0
    (fresh,) = [t for t in doc["targets"] if t.get("name") == "neo4j_fresh_vs_a4"]
    assert isinstance(fresh["met"], bool) and "statement alone" in fresh["note"]


def test_import_rate_benchmark_smoke() -> None:
    result = _bench("bench.import_rate", "--smoke")["result"]
    assert result["issues"] == 0 and result["rows"] > 3000
    assert result["written"] > result["rows"]  # persons, posts and holdings
    assert result["rows_per_second"] > 0 and result["baseline_csv_reader_rows_per_second"] > 0
    assert result["reimport_changes_nothing"] is True  # the same file again writes nothing
    assert result["rows_per_cpu_second"] > 0 and result["runs_rows_per_second"]


@pytest.mark.neo4j
def test_import_rate_benchmark_smoke_on_neo4j_measures_the_bare_write() -> None:
    """On Neo4j the import is measured against the same records created alone (the test
    server's one database is erased, as every Neo4j test's fresh store erases it)."""
    url = os.environ.get("GRIDREG_TEST_NEO4J_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("Neo4j tests never skip in CI: run the suite with scripts/test")
        pytest.skip("no Neo4j (run the suite with scripts/test)")
    result = _bench("bench.import_rate", "--smoke", "--store", "neo4j", "--neo4j", url)["result"]
    assert result["store"] == "neo4j" and result["issues"] == 0
    assert result["reimport_changes_nothing"] is True
    bare = result["baseline_bare_write"]
    assert bare["records"] == result["written"]  # the same records, created alone
    assert bare["seconds"] > 0 and bare["statements"] >= 3  # persons, posts, holdings
    assert result["rows_per_second_ceiling"] == round(result["rows"] / bare["seconds"])
    assert result["write_x_bare_write"] > 0


def test_soak_benchmark_smoke() -> None:
    doc = _bench("bench.soak", "--smoke")

    assert set(doc) >= {"machine", "settings", "setup", "windows", "totals", "memory", "verdict"}
    assert doc["settings"]["smoke"] is True and doc["settings"]["connections"] == 16
    assert doc["setup"]["answers_checked_against_inprocess"] == doc["settings"]["distinct_requests"]
    assert len(doc["windows"]) == 2
    for window in doc["windows"]:
        assert window["requests"] > 0 and window["ok"] == window["requests"], window
        assert window["errors"] == 0 and window["p99_ms"] >= window["p50_ms"] > 0, window
    assert doc["totals"]["requests"] == sum(w["requests"] for w in doc["windows"])
    verdict = doc["verdict"]
    assert verdict["errors"] == 0 and verdict["zero_errors"] and verdict["service_alive_at_end"]
    assert isinstance(verdict["p99_stable"], bool) and isinstance(verdict["met"], bool)
