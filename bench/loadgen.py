"""Load generators: ``wrk`` (native, preferred) driven by a generated Lua script, or a small
asyncio HTTP/1.1 keep-alive client when ``wrk`` is not installed.

Both send the workload's POST bodies in turn over ``connections`` keep-alive connections for a
fixed time and validate every response: status 200, a body length among the expected ones and
no ``"errors"`` in the body. Anything else is counted as bad, never as throughput.
"""

from __future__ import annotations

import asyncio
import json
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Workload:
    """What to send (``bodies``, in turn, to ``path``) and what a right answer looks like."""

    path: str
    bodies: list[bytes]
    lengths: frozenset[int]

    def valid(self, status: int, body: bytes) -> bool:
        """Whether a response is a right answer."""
        return status == 200 and len(body) in self.lengths and b'"errors"' not in body


@dataclass
class LoadResult:
    """One measurement: counts, throughput, latency (ms) and the generator's own CPU."""

    generator: str
    connections: int
    seconds: float
    requests: int
    ok: int
    bad_status: int
    bad_body: int
    socket_errors: int
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    loadgen_cpu_seconds: float
    bad_sample: str = ""

    @property
    def bad(self) -> int:
        """Responses that were wrong, plus requests that got no response."""
        return self.bad_status + self.bad_body + self.socket_errors

    def figures(self) -> dict[str, object]:
        """The result as JSON-ready figures."""
        out = asdict(self)
        out.pop("loadgen_cpu_seconds")
        out["bad"] = self.bad
        if not self.bad_sample:
            out.pop("bad_sample")
        return out


def wrk_path() -> str | None:
    """The ``wrk`` executable, if installed."""
    return shutil.which("wrk")


def run(url: str, work: Workload, connections: int, seconds: int) -> LoadResult:
    """Load the server at ``url`` (``http://HOST:PORT``; the path is the workload's) with
    ``wrk`` if installed, else with the asyncio generator."""
    if wrk_path():
        return run_wrk(url, work, connections, seconds)
    return run_python(url, work, connections, seconds)


_LUA = r"""
local bodies = { %(bodies)s }
local lengths = { %(lengths)s }
local headers = { ["Content-Type"] = "application/json" }
local threads = {}
i, ok, bad_status, bad_body, sample = 0, 0, 0, 0, ""

function setup(thread)
  table.insert(threads, thread)
  thread:set("i", (#threads - 1) * 7)
end

function request()
  i = i %% #bodies + 1
  return wrk.format("POST", "%(path)s", headers, bodies[i])
end

function response(status, hdrs, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif not lengths[#body] or string.find(body, '"errors"', 1, true) then
    bad_body = bad_body + 1
  else
    ok = ok + 1
    return
  end
  if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 300) end
end

function done(summary, latency, requests)
  local n = { ok = 0, bad_status = 0, bad_body = 0 }
  local first = ""
  for _, t in ipairs(threads) do
    for k, _ in pairs(n) do n[k] = n[k] + t:get(k) end
    if first == "" then first = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\": %%d, \"duration_us\": %%d, \"ok\": %%d, \"bad_status\": %%d, " ..
    "\"bad_body\": %%d, \"socket_errors\": %%d, \"p50_us\": %%d, \"p99_us\": %%d, " ..
    "\"mean_us\": %%.1f, \"max_us\": %%d}\n",
    summary.requests, summary.duration, n.ok, n.bad_status, n.bad_body,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
  io.write("BENCH_SAMPLE " .. string.gsub(first, "\n", " ") .. "\n")
end
"""


def _lua_string(data: bytes) -> str:
    text = data.decode()
    if "]==]" in text:
        raise ValueError("request body cannot be quoted for Lua")
    return f"[==[{text}]==]"


def lua_script(work: Workload) -> str:
    """The wrk script sending ``work`` and validating every response."""
    return _LUA % {
        "bodies": ", ".join(_lua_string(b) for b in work.bodies),
        "lengths": ", ".join(f"[{n}] = true" for n in sorted(work.lengths)),
        "path": work.path,
    }


def run_wrk(url: str, work: Workload, connections: int, seconds: int) -> LoadResult:
    """One ``wrk`` run (one thread: it is event driven, and the machine's cores are scarce)."""
    with tempfile.TemporaryDirectory(prefix="gridreg-bench-") as folder:
        script = Path(folder) / "load.lua"
        script.write_text(lua_script(work))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [
                str(wrk_path()),
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = {
        line.split(" ", 1)[0]: line.partition(" ")[2] for line in done.stdout.splitlines() if line
    }
    if done.returncode != 0 or "BENCH_JSON" not in lines:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    f = json.loads(lines["BENCH_JSON"])
    duration = f["duration_us"] / 1e6
    return LoadResult(
        generator="wrk",
        connections=connections,
        seconds=round(duration, 3),
        requests=f["requests"],
        ok=f["ok"],
        bad_status=f["bad_status"],
        bad_body=f["bad_body"],
        socket_errors=f["socket_errors"],
        throughput_rps=round(f["requests"] / duration, 1),
        p50_ms=f["p50_us"] / 1000,
        p99_ms=f["p99_us"] / 1000,
        mean_ms=round(f["mean_us"] / 1000, 3),
        max_ms=f["max_us"] / 1000,
        loadgen_cpu_seconds=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        bad_sample=lines.get("BENCH_SAMPLE", "").strip(),
    )


async def _client(
    host: str, port: int, work: Workload, start: int, deadline: float, out: _Tally
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    heads = [
        f"POST {work.path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(b)}\r\n\r\n".encode()
        + b
        for b in work.bodies
    ]
    i = start
    try:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            writer.write(heads[i % len(heads)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            out.latencies.append(time.perf_counter() - t0)
            if work.valid(status, body):
                out.ok += 1
            else:
                out.bad_status += status != 200
                out.bad_body += status == 200
                out.sample = out.sample or f"{status} {body[:300]!r}"
    except (OSError, asyncio.IncompleteReadError, ValueError):
        out.socket_errors += 1
    finally:
        writer.close()


@dataclass
class _Tally:
    latencies: list[float]
    ok: int = 0
    bad_status: int = 0
    bad_body: int = 0
    socket_errors: int = 0
    sample: str = ""


def run_python(url: str, work: Workload, connections: int, seconds: int) -> LoadResult:
    """The fallback generator: ``connections`` asyncio clients in this process."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    tally = _Tally(latencies=[])
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_client(host, port, work, 7 * c, deadline, tally) for c in range(connections))
        )

    asyncio.run(main())
    duration = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    lat = sorted(tally.latencies) or [0.0]
    requests = tally.ok + tally.bad_status + tally.bad_body
    return LoadResult(
        generator="python-asyncio",
        connections=connections,
        seconds=round(duration, 3),
        requests=requests,
        ok=tally.ok,
        bad_status=tally.bad_status,
        bad_body=tally.bad_body,
        socket_errors=tally.socket_errors,
        throughput_rps=round(requests / duration, 1),
        p50_ms=round(lat[len(lat) // 2] * 1000, 3),
        p99_ms=round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 3),
        mean_ms=round(sum(lat) / len(lat) * 1000, 3),
        max_ms=round(lat[-1] * 1000, 3),
        loadgen_cpu_seconds=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        bad_sample=tally.sample,
    )
