"""The real thing: `gridreg serve --demo` under uvicorn, queried over HTTP, and the explorer
rendered by a real headless Chromium with no internet."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import served_demo

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("served") / "gridreg.db"
    log = db.with_suffix(".log")
    with served_demo(f"sqlite:///{db}", log) as base:
        yield base, log


@pytest.mark.slow
def test_served_demo_answers_over_http(server: tuple[str, Path]) -> None:
    base, _ = server
    health = httpx.get(f"{base}/healthz").json()
    assert health["status"] == "ok" and health["places"] > 1000
    r = httpx.post(
        f"{base}/graphql",
        json={
            "query": '{ coverage(scope: "451225000000", '
            'at: "2026-11-01") { gridsPerTier { tier count } totals { missing } } }'
        },
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    cov = r.json()["data"]["coverage"]
    assert cov["gridsPerTier"] == [
        {"tier": 1, "count": 143},
        {"tier": 2, "count": 725},
        {"tier": 3, "count": 1696},
    ]
    assert cov["totals"]["missing"] == 3


@pytest.mark.slow
def test_served_graphiql_renders_offline_in_chromium(server: tuple[str, Path]) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: scripts/test installs it")
        pytest.skip("chromium is not installed (scripts/test installs it)")
    base, log = server
    before = log.read_text().count('"POST /graphql')
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                # an intranet: every host but the app's own resolves nowhere
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000",
                "--dump-dom",
                f"{base}/graphql",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    assert "graphiql-container" in dom, dom[:2000]
    assert "graphiql-execute-button" in dom
    assert "Loading the GraphQL explorer" not in dom
    # The page's JavaScript fetched the schema from the app itself (introspection POST).
    time.sleep(0.5)
    assert log.read_text().count('"POST /graphql') > before
