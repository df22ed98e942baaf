"""PostgreSQL stopped for longer than the command deadline, under `careledger serve` and
`careledger project run`: every request answers in time, and nothing acknowledged is lost."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx2 as httpx
import psycopg
import pytest

from api.auth import Role, issue_token
from application.settings import Settings
from testing.postgres_server import PostgresServer, free_port

pytestmark = pytest.mark.postgres

DEADLINE_S = 2.0
OUTAGE_S = 3 * DEADLINE_S
CLIENTS = 6
SECRET = base64.b64encode(b"s" * 32).decode()
MASTER = base64.b64encode(b"m" * 32).decode()
REGISTER = """mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) {
  __typename ... on CustomerChanged { written { replayed } } } }"""
CONTACT = {"name": "Li Wei", "phone": "+86 138 0013 8000", "email": "l@example.com"}


@dataclass(frozen=True)
class Answer:
    command_id: str
    status: int
    code: str | None  # the first error's code; None when the command was acknowledged
    seconds: float


@pytest.fixture
def database() -> Iterator[PostgresServer]:
    server = PostgresServer(durable=True).start()
    try:
        yield server
    finally:
        server.stop()


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", *args], env=env, stdout=out, stderr=out
        )


def wait_until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} within {seconds}s"
        time.sleep(0.2)


def send(base: str, token: str, command_id: str) -> Answer:
    started = time.monotonic()
    try:
        response = httpx.post(
            f"{base}/graphql",
            json={
                "query": REGISTER,
                "variables": {"input": {"commandId": command_id, "contact": CONTACT}},
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=DEADLINE_S + 5,
        )
    except httpx.TransportError as error:
        return Answer(command_id, 0, type(error).__name__, time.monotonic() - started)
    seconds = time.monotonic() - started
    body = response.json()
    errors = body.get("errors") or []
    code = errors[0]["extensions"]["code"] if errors else None
    if response.status_code == 503:
        assert response.headers["Retry-After"].isdigit()
    return Answer(command_id, response.status_code, code, seconds)


def ready(base: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        status = httpx.get(f"{base}/readyz", timeout=3).status_code
    except httpx.TransportError:
        status = 0
    return status, time.monotonic() - started


@pytest.mark.parametrize("mode", ["fast", "immediate"])  # a stop, and a crash
def test_an_outage_longer_than_the_deadline(
    database: PostgresServer, tmp_path: Path, mode: str
) -> None:
    env = {
        **os.environ,
        "CARELEDGER_DATABASE_URL": database.url,
        "CARELEDGER_DATA_DIR": str(tmp_path),
        "CARELEDGER_TOKEN_SECRET": SECRET,
        "CARELEDGER_MASTER_KEY": MASTER,
        "CARELEDGER_COMMAND_DEADLINE_S": str(DEADLINE_S),
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "s.log")
    project = start(["project", "run"], env, tmp_path / "p.log")
    token = issue_token(
        Settings(data_dir=tmp_path, token_secret=base64.b64decode(SECRET)), Role.AGENT, "a-1"
    )
    answers: list[Answer] = []
    readiness: list[tuple[int, float]] = []
    recovery: list[float] = []
    try:
        wait_until(lambda: ready(base)[0] == 200, 60, "the service is ready")
        # Before the outage: acknowledged commands.
        answers += [send(base, token, f"before-{i}") for i in range(5)]
        assert all(a.status == 200 and a.code is None for a in answers)

        # During the outage: clients keep sending new commands; /readyz is asked meanwhile.
        stop = threading.Event()

        def client(n: int) -> list[Answer]:
            mine = []
            while not stop.is_set():
                mine.append(send(base, token, f"during-{n}-{uuid4().hex[:8]}"))
            return mine

        with ThreadPoolExecutor(CLIENTS) as pool:
            running = [pool.submit(client, n) for n in range(CLIENTS)]
            time.sleep(0.3)
            database.pause(mode)
            outage_started = time.monotonic()
            while time.monotonic() - outage_started < OUTAGE_S:
                readiness.append(ready(base))
                time.sleep(0.5)
            database.resume()
            resumed = time.monotonic()
            stop.set()
            during = [a for future in running for a in future.result()]
        answers += during

        # Each answered in time: acknowledged, or 503 UNAVAILABLE / OUTCOME_UNKNOWN.
        for answer in during:
            assert answer.seconds < DEADLINE_S + 1, answer
            assert (answer.status, answer.code) in {
                (200, None),
                (503, "UNAVAILABLE"),
                (503, "OUTCOME_UNKNOWN"),
            }, answer
        assert any(a.code == "UNAVAILABLE" for a in during)
        outage_ready = readiness[1:]  # the first may have been asked before the stop landed
        assert outage_ready and all(s == 503 and t < 1.0 for s, t in outage_ready), readiness

        # After the restart: the service is ready again by itself, and a retry of every command
        # whose outcome was unknown (same id) is answered.
        wait_until(lambda: ready(base)[0] == 200, 30, "ready again after the restart")
        recovery.append(time.monotonic() - resumed)
        for unknown in [a for a in during if a.code == "OUTCOME_UNKNOWN"]:
            again = send(base, token, unknown.command_id)
            assert again.status == 200 and again.code is None, again
            answers.append(again)
        fresh = send(base, token, "after-1")
        assert fresh.status == 200 and fresh.code is None
        answers.append(fresh)

        acknowledged = {a.command_id for a in answers if a.status == 200}
        refused = {a.command_id for a in answers if a.code == "UNAVAILABLE"} - acknowledged
        with psycopg.connect(database.url) as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    "SELECT command_id, count(*) FROM careledger_receipts GROUP BY command_id"
                ).fetchall()
            )
            registered = conn.execute(
                "SELECT count(*) FROM careledger_events WHERE topic LIKE %s",
                ("%CustomerRegistered",),
            ).fetchone()
        # Every acknowledged command is there once; nothing answered UNAVAILABLE was recorded.
        assert all(counts.get(c) == 1 for c in acknowledged)
        assert not refused & set(counts)
        assert registered is not None and registered[0] == len(counts)

        # The follower resumed by itself: its view reaches the log's head.
        def caught_up() -> bool:
            with psycopg.connect(database.url) as conn:
                row = conn.execute(
                    "SELECT (SELECT position FROM projection_tracking t JOIN"
                    " projection_generations g ON g.projection = t.projection"
                    " AND g.active = t.generation WHERE t.projection = 'audit_trail'),"
                    " (SELECT max(notification_id) FROM careledger_events)"
                ).fetchone()
            return row is not None and row[0] == row[1]

        wait_until(caught_up, 30, "the follower caught up after the restart")
    finally:
        times = sorted(a.seconds for a in answers if a.status == 503)
        print(
            f"\n{mode} outage {OUTAGE_S}s, deadline {DEADLINE_S}s: {len(answers)} answers,"
            f" {sum(a.code == 'UNAVAILABLE' for a in answers)} UNAVAILABLE,"
            f" {sum(a.code == 'OUTCOME_UNKNOWN' for a in answers)} OUTCOME_UNKNOWN,"
            f" 503 in {times[0] if times else 0:.2f}-{times[-1] if times else 0:.2f}s;"
            f" readyz {[f'{s}:{t:.3f}s' for s, t in readiness]};"
            f" ready again {recovery[0] if recovery else -1:.1f}s after the restart"
        )
        for process in (serve, project):
            process.terminate()
            process.wait(timeout=20)
