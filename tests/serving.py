"""Run ``gridreg serve --demo`` as a real uvicorn subprocess for a test, and stop it after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_demo(store_url: str, log: Path, timeout: float = 60) -> Iterator[str]:
    """``gridreg serve --demo`` on ``store_url``; yields its base URL once /healthz says 200.

    Output goes to ``log``; the test fails with the log if the service exits or never starts.
    """
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRIDREG_STORE": store_url}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gridreg_cli", "serve", "--demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
            assert proc.poll() is None, log.read_text()
        else:
            proc.kill()
            pytest.fail(f"service did not start: {log.read_text()}")
        try:
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=20)
