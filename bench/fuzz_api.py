"""Fuzzes the running service over HTTP on 127.0.0.1: generated operations (valid and one
violation each, from the schema), corrupted bodies and the payloads that once crashed it, all
on one keep-alive connection. Prints the answers by status and code, and every failure: a 5xx,
an INTERNAL or uncoded error, an error answer that wrote events, or a dropped connection.

    python bench/fuzz_api.py --requests 10000
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from api.auth import Role, issue_token
from api.graphql.schema import build_schema
from application.app import CareLedger
from application.settings import Settings
from bench.serving import HOST, Server, careledger_serve
from testing.fuzz import Verdict, bodies

IDLE_CLOSE_S = 4.5
"""uvicorn closes a keep-alive connection idle for 5 s; a request that finds it closed after
that long was never read, so it is sent again (counted apart, not a drop)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="careledger-fuzz-"))
    secret, master = secrets.token_bytes(32), secrets.token_bytes(32)
    env = {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(data),
        "CARELEDGER_TOKEN_SECRET": base64.b64encode(secret).decode(),
        "CARELEDGER_MASTER_KEY": base64.b64encode(master).decode(),
    }
    env.pop("CARELEDGER_DATABASE_URL", None)
    config = Settings(data_dir=data, token_secret=secret, master_key=master)
    token = issue_token(config, Role.ADMIN, "fuzzer", 6 * 3600)
    serve = Server("careledger", lambda port: careledger_serve(port, 1), env)
    with serve as server, CareLedger(config) as ledger:
        verdict, seconds, reconnects = run(server.port, token, ledger, args.requests)
    print(f"{verdict.total:,} requests in {seconds:.0f} s ({verdict.total / seconds:,.0f}/s)")
    print("statuses:", dict(sorted(verdict.statuses.items())))
    print("codes:", dict(verdict.codes.most_common()))
    print(f"connections dropped by the server: {reconnects}")
    print(f"failures: {len(verdict.failures)}")
    for failure in verdict.failures[:20]:
        print("  ", failure)
    return 0 if not verdict.failures and reconnects == 0 else 1


def run(port: int, token: str, ledger: CareLedger, count: int) -> tuple[Verdict, float, int]:
    verdict = Verdict()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    dropped = idle_closed = 0
    last_answer = time.monotonic()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/graphql-response+json, application/json",
    }

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(body=bodies(build_schema()._schema))
    def send(body: bytes) -> None:
        nonlocal connection, dropped, idle_closed, last_answer
        before = ledger.recorder.max_notification_id()
        try:
            response, answer = _post(connection, body, headers)
        except (http.client.HTTPException, OSError) as error:
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            if time.monotonic() - last_answer < IDLE_CLOSE_S:
                dropped += 1
                verdict.failures.append(f"connection lost ({error!r}) on {body[:200]!r}")
                return
            # Generating this body took longer than the server keeps an idle connection
            # open: the server closed it before the request, so send it again.
            idle_closed += 1
            response, answer = _post(connection, body, headers)
        last_answer = time.monotonic()
        if response.getheader("connection", "").lower() == "close":
            dropped += 1
            verdict.failures.append(f"{response.status} closed the connection: {body[:200]!r}")
        moved = ledger.recorder.max_notification_id() != before
        verdict.judge(body, response.status, answer, moved)

    started = time.perf_counter()
    send()
    print(f"idle connections closed by the keep-alive timeout, then resent: {idle_closed}")
    return verdict, time.perf_counter() - started, dropped


def _post(
    connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]
) -> tuple[http.client.HTTPResponse, bytes]:
    connection.request("POST", "/graphql", body=body, headers=headers)
    response = connection.getresponse()
    return response, response.read()


if __name__ == "__main__":
    sys.exit(main())
