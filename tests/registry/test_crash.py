"""A writer killed with SIGKILL mid-stream loses no acknowledged write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.model import Person
from registry.store import EmbeddedStore, GraphStore

WRITER = Path(__file__).with_name("crash_writer.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_crash_sigkill_loses_no_acknowledged_write(
    durable_url: str, reopen: Callable[[], GraphStore]
) -> None:
    rng = random.Random(7)
    acknowledged: list[str] = []
    for cycle in range(5):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), durable_url, f"C{cycle}-"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        wanted = rng.randint(5, 60)
        for _ in range(wanted):
            line = proc.stdout.readline()
            assert line, f"writer died early: {proc.wait()}"
            acknowledged.append(line.strip())
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        store = reopen()
        missing = [pid for pid in acknowledged if store.get(Person, pid) is None]
        assert missing == [], f"cycle {cycle}: lost acknowledged writes {missing[:5]}"
        if isinstance(store, EmbeddedStore):
            assert store.integrity_check() == "ok"
        store.close()
    assert len(acknowledged) >= 25
