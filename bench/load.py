"""Closed-loop HTTP load: N connections each sending its next POST as soon as the last one was
answered, for a fixed time; requests/s and latency percentiles.

wrk (C, one thread) when it is installed, else an asyncio client on httpx in this process.
Every answer is checked: a 200 whose body holds `expect` and no "errors".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bench.serving import percentile

try:  # the project's dev dependency; plain httpx has the same API
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef,import-not-found,unused-ignore]

MAX_REQUESTS_PER_CLIENT = 2_000_000  # a bound besides time, never reached in practice
RESULT = "LOAD_RESULT "


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failed: int  # socket errors, timeouts, non-200 and unexpected bodies

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Load:
    """What to send: bodies taken in turn, to POST `path` with `headers`."""

    bodies: Sequence[str]
    headers: dict[str, str]
    expect: str
    path: str = "/graphql"
    pause_ms: float = 0.0  # each connection waits this long between its requests (0: closed loop)

    def paced(self, rate: float, connections: int) -> Load:
        """The same load offered at about `rate` requests/s in all (0: as fast as answered):
        each connection pauses connections/rate between requests, so the rate holds while
        answers take much less than that pause."""
        pause = connections * 1000 / rate if rate > 0 else 0.0
        return replace(self, pause_ms=pause)


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """The options of bench/commands.py's command load: the service's workers, the
    connections, the orders they take in turn (K per connection), and the client."""
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--orders-per-client", type=int, default=64, help="K")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")


def chosen_wrk(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """wrk's path as the options ask (installed when missing and allowed); None: the Python
    client."""
    wrk = None if args.client == "python" else ensure_wrk(install=not args.no_install)
    if args.client == "wrk" and wrk is None:
        parser.error("wrk is not installed")
    return wrk


def ensure_wrk(install: bool) -> str | None:
    """wrk's path; installs the Debian package when missing and allowed (says so)."""
    found = shutil.which("wrk")
    if found or not install or shutil.which("apt-get") is None:
        return found
    print("wrk is not installed: running `apt-get install -y wrk`", flush=True)
    for command in (
        ["apt-get", "install", "-y", "wrk"],
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "wrk"],
    ):
        try:
            subprocess.run(command, check=False, capture_output=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired):
            break
        if shutil.which("wrk"):
            break
    found = shutil.which("wrk")
    print("installed wrk with apt-get" if found else "could not install wrk", flush=True)
    return found


def lua_script(load: Load) -> str:
    """A wrk script: bodies in turn, every answer checked, the figures on one line at the end.

    With one wrk thread the turn is shared by all connections: consecutive requests go to
    consecutive bodies, so requests in flight at the same time never share a body (an order)
    while there are more bodies than connections.
    """
    bodies = ",\n".join(f"[==[{body}]==]" for body in load.bodies)
    headers = "\n".join(f'wrk.headers["{k}"] = [==[{v}]==]' for k, v in load.headers.items())
    return f"""
local bodies = {{
{bodies}
}}
local count = #bodies
local turn = 0
bad = 0
wrk.method = "POST"
{headers}

delay = function()
  return {load.pause_ms:.0f}
end

request = function()
  turn = turn + 1
  return wrk.format(nil, [==[{load.path}]==], nil, bodies[(turn % count) + 1])
end

response = function(status, headers, body)
  if status ~= 200 or not string.find(body, [==[{load.expect}]==], 1, true)
      or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
  end
end

local threads = {{}}
setup = function(thread) table.insert(threads, thread) end

done = function(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("bad") end
  local e = summary.errors
  failed = failed + e.connect + e.read + e.write + e.timeout
  io.write(string.format("LOAD_RESULT %.0f %.0f %.0f %.0f %.0f\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), failed))
end
"""


def run_wrk(
    wrk: str, url: str, load: Load, seconds: float, connections: int, workdir: Path
) -> LoadResult:
    command = load_command(wrk, url, load, seconds, connections, workdir)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    return load_result(f"{done.stdout}\n{done.stderr}")


def load_command(
    wrk: str | None, url: str, load: Load, seconds: float, connections: int, workdir: Path
) -> list[str]:
    """The load as a command line of its own: wrk, or (without wrk) the asyncio client in a
    Python process of its own (`python -m bench.load`); both print the same RESULT line."""
    if wrk is None:
        spec = workdir / "load.json"
        spec.write_text(json.dumps(asdict(load)))
        client = [sys.executable, "-m", "bench.load"]
        return [*client, url, f"{seconds:g}", str(connections), str(spec)]
    script = workdir / "load.lua"
    script.write_text(lua_script(load))
    return [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]


def load_result(output: str) -> LoadResult:
    """The figures from the RESULT line a load command printed: requests, duration, p50, p99
    (microseconds), failed."""
    for line in output.splitlines():
        if line.startswith(RESULT):
            requests, micros, p50, p99, failed = (float(x) for x in line.split()[1:])
            return LoadResult(int(requests), micros / 1e6, p50 / 1e3, p99 / 1e3, int(failed))
    raise RuntimeError(f"the load printed no result:\n{output[-3000:]}")


def run_python(url: str, load: Load, seconds: float, connections: int) -> LoadResult:
    return asyncio.run(_python_load(url, load, seconds, connections))


async def _python_load(url: str, load: Load, seconds: float, connections: int) -> LoadResult:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    failed = [0]
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10.0) as client:
        began = time.perf_counter()
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _client(
                    client,
                    load,
                    load.bodies[c::connections] or load.bodies,
                    deadline,
                    latencies,
                    failed,
                )
                for c in range(connections)
            )
        )
        elapsed = time.perf_counter() - began
    latencies.sort()
    return LoadResult(
        len(latencies),
        elapsed,
        percentile(latencies, 50) * 1e3,
        percentile(latencies, 99) * 1e3,
        failed[0],
    )


async def _client(
    client: httpx.AsyncClient,
    load: Load,
    bodies: Sequence[str],
    deadline: float,
    latencies: list[float],
    failed: list[int],
) -> None:
    for turn in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= deadline:
            return
        started = time.perf_counter()
        try:
            answer = await client.post(
                load.path, content=bodies[turn % len(bodies)], headers=load.headers
            )
            ok = answer.status_code == 200 and load.expect in answer.text
            ok = ok and '"errors"' not in answer.text
        except httpx.HTTPError:
            ok = False
        latencies.append(time.perf_counter() - started)
        failed[0] += not ok
        if load.pause_ms:
            await asyncio.sleep(load.pause_ms / 1000)


def main() -> None:
    """`python -m bench.load URL SECONDS CONNECTIONS LOAD.json`: the asyncio client, alone."""
    url, seconds, connections, spec = sys.argv[1:]
    load = Load(**json.loads(Path(spec).read_text()))
    result = run_python(url, load, float(seconds), int(connections))
    print(
        f"{RESULT}{result.requests} {result.seconds * 1e6:.0f} {result.p50_ms * 1e3:.0f}"
        f" {result.p99_ms * 1e3:.0f} {result.failed}",
        flush=True,
    )


if __name__ == "__main__":
    main()
