"""``gridreg serve`` (one process, same app, same uvicorn settings) with its garbage-collection
pauses and its memory recorded, for ``bench.suite``:

    python -m bench.suite_serve --store URL --port PORT --gc-log FILE

Opens the store the way ``gridreg serve`` does (an embedded store reads its SQLite file into
memory, then ``gc.freeze()``), writes ``FILE`` (JSON: resident memory before and after opening
the store, and the graph's node count) and then serves; from then on every collection is timed
through ``gc.callbacks``. When the server stops (SIGTERM) ``FILE`` is rewritten with the pauses:
count, total and maximum (per generation too), and how many exceeded 10 and 100 ms. Start-up
collections (the bulk load's) are not counted: the target is about pauses under load.
``FILE`` is rewritten every half second while serving (uvicorn ends the process by re-raising
SIGTERM, so nothing runs after it stops).
"""

from __future__ import annotations

import argparse
import gc
import json
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of process ``pid`` (``/proc/PID/status`` VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class GcLog:
    """A ``gc.callbacks`` entry timing every collection."""

    def __init__(self) -> None:
        self._start = 0.0
        self._cpu_start = 0.0
        self.max_cpu_ms = 0.0  # CPU time of the longest collection (without preemption)
        self.since = time.monotonic()
        self.count = 0
        self.total_ms = 0.0
        self.max_ms = 0.0
        self.max_by_generation: dict[str, float] = {}
        self.over_10_ms = 0
        self.over_100_ms = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            self._cpu_start = time.thread_time()
            return
        ms = (time.perf_counter() - self._start) * 1000
        self.max_cpu_ms = max(self.max_cpu_ms, (time.thread_time() - self._cpu_start) * 1000)
        self.count += 1
        self.total_ms += ms
        self.max_ms = max(self.max_ms, ms)
        gen = str(info.get("generation"))
        self.max_by_generation[gen] = max(self.max_by_generation.get(gen, 0.0), ms)
        self.over_10_ms += ms > 10
        self.over_100_ms += ms > 100

    def figures(self) -> dict[str, Any]:
        """The pauses so far, JSON-ready."""
        return {
            "seconds_observed": round(time.monotonic() - self.since, 1),
            "collections": self.count,
            "total_ms": round(self.total_ms, 3),
            "max_pause_ms": round(self.max_ms, 3),
            "max_pause_cpu_ms": round(self.max_cpu_ms, 3),
            "max_pause_ms_by_generation": {
                k: round(v, 3) for k, v in self.max_by_generation.items()
            },
            "over_10_ms": self.over_10_ms,
            "over_100_ms": self.over_100_ms,
        }


def main(argv: list[str] | None = None) -> None:
    """Open the store, record memory, serve with GC pauses timed; write the log at the end."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--gc-log", type=Path, required=True)
    args = parser.parse_args(argv)

    from gridreg_cli import _open, _service  # the app exactly as ``gridreg serve`` builds it
    from registry.settings import Settings

    gc.collect()
    before = rss_bytes()
    t0 = time.perf_counter()
    store = _open(args.store)
    open_s = time.perf_counter() - t0
    gc.collect()
    graph = getattr(store, "graph", None)
    info: dict[str, Any] = {
        "pid": int(Path("/proc/self").resolve().name),
        "open_seconds": round(open_s, 3),
        "rss_before_store_bytes": before,
        "rss_after_store_bytes": rss_bytes(),
        "nodes": None if graph is None else graph.number_of_nodes(),
    }
    _write(args.gc_log, {"info": info, "gc": None})
    app = _service(store, Settings())
    log = GcLog()
    gc.callbacks.append(log)

    def keep_writing() -> None:
        while True:
            time.sleep(0.5)
            _write(args.gc_log, {"info": info, "gc": log.figures()})

    threading.Thread(target=keep_writing, name="gc-log", daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
    _write(args.gc_log, {"info": info, "gc": log.figures()})


def _write(path: Path, doc: dict[str, Any]) -> None:
    """Replace ``path`` atomically (a reader never sees half a file)."""
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(doc))
    part.replace(path)


if __name__ == "__main__":
    main()
