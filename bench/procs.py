"""Processes a benchmark runs and watches: HTTP servers as subprocesses, a throwaway Neo4j
server (the project's ``scripts/neo4j/neo4j``) and CPU accounting read from ``/proc``."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
NEO4J_SCRIPT = ROOT / "scripts" / "neo4j" / "neo4j"
TICK = float(os.sysconf("SC_CLK_TCK"))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(url: str, body: bytes | None = None, timeout: float = 30) -> tuple[int, bytes]:
    """GET (or POST a JSON ``body``) without following redirects: status and body bytes."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


@dataclass
class Server:
    """An HTTP server run as a subprocess, its output going to ``log``."""

    name: str
    argv: list[str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    answers: list[bytes] = field(default_factory=list)
    _out: IO[bytes] | None = None

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        """Start it and wait until ``/healthz`` answers 200 (fails with the log's tail)."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self._out = self.log.open("wb")
        argv = [*self.argv, "--port", str(self.port)]
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._out, stderr=self._out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.tail()}")
            try:
                if http(f"{self.base}/healthz", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not healthy after {timeout:.0f}s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        """The last lines of the server's log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate it (and its worker processes, which uvicorn stops), then close the log."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._out is not None:
            self._out.close()


class Neo4jServer:
    """A Neo4j server of the benchmark's own: a free port and a home in a temporary folder."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="gridreg-bench-neo4j-"))
        self.env = {
            **os.environ,
            "NEO4J_PORT": str(self.port),
            "NEO4J_HOME_DIR": str(self.folder / "home"),
            "NEO4J_PYTHON": sys.executable,
        }
        self.url = f"bolt://127.0.0.1:{self.port}"

    def _run(self, command: str) -> None:
        done = subprocess.run(
            ["bash", str(NEO4J_SCRIPT), command], env=self.env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"scripts/neo4j/neo4j {command} failed:\n{done.stderr}")

    def start(self) -> None:
        """Start it (the script waits until Bolt answers)."""
        self._run("start")

    def stop(self) -> None:
        """Stop it and delete its home."""
        try:
            self._run("stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(tree.get(p, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds used so far by the live processes among ``pids``."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def machine_seconds() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine since boot (all cores)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    total = sum(ticks[:8])  # guest time is already counted in user
    return (total - idle) / TICK, total / TICK


def _socket_inodes(port: int, state: str) -> set[str]:
    """Socket inodes (as ``socket:[N]`` links) of TCP sockets on local ``port`` in ``state``
    (``0A`` listening, ``01`` established)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == state and int(cols[1].rpartition(":")[2], 16) == port:
                inodes.add(f"socket:[{cols[9]}]")
    return inodes


def _sockets_of(pid: int | str, inodes: set[str]) -> int:
    count = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                count += os.readlink(f"/proc/{pid}/fd/{fd}") in inodes
    except OSError:
        pass
    return count


def listening_pid(port: int) -> int | None:
    """The process listening on TCP ``port`` (any address), found through its socket inode."""
    inodes = _socket_inodes(port, "0A")
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _sockets_of(entry, inodes):
            return int(entry)
    return None


def connections_per_process(port: int, pids: list[int]) -> list[int]:
    """How many established client connections to ``port`` each of ``pids`` holds (the
    processes holding any), largest first: shows how connections spread over workers."""
    inodes = _socket_inodes(port, "01")
    counts = [_sockets_of(pid, inodes) for pid in pids]
    return sorted((n for n in counts if n), reverse=True)


class CpuMeter:
    """CPU used during one measurement, in cores (CPU seconds per wall second): the whole
    machine, named groups of processes, and ``other`` (whatever else ran: other users' work)."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._start: dict[str, float] = {}
        self._end: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        busy, total = machine_seconds()
        sample = {name: cpu_seconds(pids) for name, pids in self.groups.items()}
        return {**sample, "_busy": busy, "_total": total, "_wall": time.monotonic()}

    def __enter__(self) -> CpuMeter:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        self._end = self._sample()

    def seconds(self, name: str) -> float:
        """CPU seconds used by group ``name`` during the measurement."""
        return self._end[name] - self._start[name]

    def report(self, extra: dict[str, float]) -> dict[str, float]:
        """Cores used by each group, by ``extra`` (CPU seconds measured elsewhere), by the
        machine (``machine_busy``, of ``machine_cores``) and by everything else (``other``)."""
        wall = self._end["_wall"] - self._start["_wall"]
        cores = os.cpu_count() or 1
        machine_wall = (self._end["_total"] - self._start["_total"]) / cores
        busy = (self._end["_busy"] - self._start["_busy"]) / max(machine_wall, 1e-9)
        used = {name: self.seconds(name) / wall for name in self.groups}
        used |= {name: seconds / wall for name, seconds in extra.items()}
        out = {name: round(v, 3) for name, v in used.items()}
        out["other"] = round(max(busy - sum(used.values()), 0.0), 3)
        out["machine_busy"] = round(busy, 3)
        out["machine_cores"] = cores
        return out


def wait_tcp(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port`` (``proc`` must live)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f}s")
