"""CPU per GraphQL mutation on the event loop: this tree against an earlier commit, in one run.

    .venv/bin/python -m bench.mutation_cpu                       # against BASELINE_REV
    .venv/bin/python -m bench.mutation_cpu --before HEAD~3 --requests 4000 --rounds 3
    .venv/bin/python -m bench.mutation_cpu --profile             # where this tree's loop time goes

Each phase is a process of its own that imports one tree's code: the earlier commit is unpacked
with `git archive` into a temporary directory (this file copied beside it, so both run the same
driver). A phase records a customer and confirmed orders in its own schema of one throwaway
PostgreSQL server, builds the app with `create_app` (production settings), and sends `updateEta`
straight into the ASGI app from 16 concurrent tasks on one uvloop event loop: no sockets, no
HTTP parser, no load generator, so what it counts is the service's own Python. It measures the
event loop thread's CPU time (`time.thread_time`) and the process's (`time.process_time`, the
worker threads and the committer included) over the timed requests, after two warm-up rounds.
`bench/trivial_app.py`'s `bump` mutation is measured the same way, as the floor. Phases
alternate (before, after, before, after, ...) and each figure is the median of its rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

BASELINE_REV = "3c27ae0"  # main before the lighter mutation path (issue 16, direction 2)
CLIENTS = 16
RESULT = "MUTATION_CPU "
Call = Callable[[bytes], Awaitable[tuple[int, bytes]]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default=BASELINE_REV, help="the commit to compare with")
    parser.add_argument("--requests", type=int, default=3200, help="timed requests a round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each phase")
    parser.add_argument("--profile", action="store_true", help="yappi profile of this tree")
    parser.add_argument("--phase", choices=["careledger", "trivial"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase is not None:
        print(RESULT + json.dumps(run_phase(args)), flush=True)
        return
    compare(args)


# The parent: unpack the earlier tree, run the phases in turn, print the figures.


def compare(args: argparse.Namespace) -> None:
    from bench.machine import describe
    from testing.postgres_server import PostgresServer

    here = Path(__file__).resolve().parent.parent
    before = unpack(here, args.before)
    pg = PostgresServer().start()
    try:
        if args.profile:
            phase(here, "careledger", pg.url, "profiled", args, profile=True)
            return
        figures: dict[str, list[dict[str, float]]] = {"before": [], "after": [], "trivial": []}
        for round_ in range(args.rounds):
            figures["before"].append(phase(before, "careledger", pg.url, f"b{round_}", args))
            figures["after"].append(phase(here, "careledger", pg.url, f"a{round_}", args))
            figures["trivial"].append(phase(here, "trivial", pg.url, f"t{round_}", args))
        report(figures, args)
        print(f"\nMachine: {describe()}")
    finally:
        pg.stop()
        shutil.rmtree(before, ignore_errors=True)


def unpack(here: Path, rev: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="careledger-before-"))
    archive = subprocess.run(
        ["git", "-C", str(here), "archive", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    shutil.copy(Path(__file__), target / "bench" / "mutation_cpu.py")
    return target


def phase(
    tree: Path, kind: str, url: str, schema: str, args: argparse.Namespace, profile: bool = False
) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.mutation_cpu", "--phase", kind, "--url", url]
    command += ["--schema", f"bench_mut_{schema}", "--requests", str(args.requests)]
    command += ["--profile"] if profile else []
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {kind} phase in {tree} failed:\n{done.stdout}\n{done.stderr}")
    lines = done.stdout.splitlines()
    for line in lines:
        if not line.startswith(RESULT):
            print(line)
    result = next(line for line in lines if line.startswith(RESULT))
    found: dict[str, float] = json.loads(result.removeprefix(RESULT))
    return found


def report(figures: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    def median(name: str, key: str) -> float:
        return statistics.median(f[key] for f in figures[name])

    print(
        f"\n{args.requests:,} timed requests a round, {args.rounds} rounds, {CLIENTS} concurrent"
        " tasks, in-process ASGI (no sockets); medians of the rounds\n"
    )
    print("| what | loop thread CPU us/request | process CPU us/request | requests/s (wall) |")
    print("|---|---:|---:|---:|")
    labels = {
        "before": f"careledger `updateEta`, {args.before}",
        "after": "careledger `updateEta`, this tree",
        "trivial": "trivial `bump` mutation",
    }
    for name, label in labels.items():
        loop, process = median(name, "loop_us"), median(name, "process_us")
        print(f"| {label} | {loop:,.0f} | {process:,.0f} | {median(name, 'rate'):,.0f} |")
    print()
    for key, what in (("loop_us", "loop thread CPU"), ("process_us", "process CPU")):
        after, before, floor = median("after", key), median("before", key), median("trivial", key)
        print(f"{what:16} after / before = {after / before:.2f}")
        print(
            f"{what:16} before / trivial = {before / floor:.1f}, after / trivial = "
            f"{after / floor:.1f}"
        )


# A phase: one tree's app, driven in-process.


def run_phase(args: argparse.Namespace) -> dict[str, float]:
    import uvloop

    return uvloop.run(drive(args))


async def drive(args: argparse.Namespace) -> dict[str, float]:
    if args.phase == "trivial":
        from bench.trivial_app import app

        bodies = [json.dumps({"query": "mutation { bump(n: 1) }"}).encode()]
        return await measure(app, bodies, [], b'"bump":', args)
    from api.app import create_app
    from api.auth import Role, issue_token
    from bench.commands import AGENT, prepare, service_load
    from bench.serving import bench_settings

    settings = bench_settings(args.url, args.schema)
    order_ids, _ = prepare(settings, 512)
    load = service_load("updateEta", order_ids, issue_token(settings, Role.AGENT, AGENT.id))
    headers = [(k.lower().encode(), v.encode()) for k, v in load.headers.items()]
    service = create_app(settings)
    async with service.router.lifespan_context(service):
        bodies = [body.encode() for body in load.bodies]
        return await measure(service, bodies, headers, b"OrderChanged", args)


async def measure(
    app: Any, bodies: list[bytes], headers: list[tuple[bytes, bytes]], expect: bytes, args: Any
) -> dict[str, float]:
    call = asgi_caller(
        app,
        [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")]
        + [h for h in headers if h[0] != b"content-type"],
    )
    per_client = max(args.requests // CLIENTS, 1)

    async def client(k: int) -> None:
        for j in range(per_client):
            status, body = await call(bodies[(k + CLIENTS * j) % len(bodies)])
            if status != 200 or expect not in body or b'"errors"' in body:
                raise SystemExit(f"unexpected answer {status}: {body[:400]!r}")

    async def round_() -> None:
        await asyncio.gather(*(client(k) for k in range(CLIENTS)))

    for _ in range(2):
        await round_()
    if args.profile:
        return await profiled(round_)
    wall, loop, process = time.perf_counter(), time.thread_time(), time.process_time()
    await round_()
    wall, loop, process = (
        time.perf_counter() - wall,
        time.thread_time() - loop,
        time.process_time() - process,
    )
    n = per_client * CLIENTS
    return {"loop_us": loop / n * 1e6, "process_us": process / n * 1e6, "rate": n / wall}


async def profiled(round_: Callable[[], Awaitable[None]]) -> dict[str, float]:
    """cProfile of the event loop thread alone, timed by that thread's CPU clock."""
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    await round_()
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    return {}


def asgi_caller(app: Any, headers: list[tuple[bytes, bytes]]) -> Call:
    async def call(body: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        answer: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # no disconnect while the answer is written
            return {}

        async def send(message: dict[str, Any]) -> None:
            answer.append(message)

        await app(scope, receive, send)
        body_out = b"".join(m.get("body", b"") for m in answer[1:])
        return answer[0]["status"], body_out

    return call


if __name__ == "__main__":
    main()
