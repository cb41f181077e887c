"""``bench.neo4j_concurrency`` runs end to end in smoke mode on a Neo4j server of its own
(``--start-neo4j``: the benchmark erases its store, so never the suite's shared server) and
prints the JSON document it promises, every response validated. Timings and ratios are the
benchmark's to report, never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = ("service_1", "service_16", "bare_1", "bare_16")

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


def test_neo4j_concurrency_benchmark_smoke() -> None:
    if not os.environ.get("GRIDREG_TEST_NEO4J_URL"):
        if os.environ.get("CI"):
            pytest.fail("Neo4j tests never skip in CI: run the suite with scripts/test")
        pytest.skip("no Neo4j (run the suite with scripts/test)")
    done = subprocess.run(
        [sys.executable, "-m", "bench.neo4j_concurrency", "--start-neo4j", "--smoke"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    doc = json.loads(done.stdout)

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
