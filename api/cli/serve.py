"""`careledger serve`: the service under uvicorn (uvloop, httptools)."""

from __future__ import annotations

import argparse

import uvicorn

from api.http import MAX_BODY_BYTES
from application.settings import Settings

WORKER_START_TIMEOUT_S = 60


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="serve the GraphQL API, /healthz, /readyz, /metrics")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (each runs the app)")
    serve.set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",  # a failed start-up stops the server instead of serving half an app
        server_header=False,  # no "server: uvicorn" for a scanner to fingerprint
        ws_max_size=MAX_BODY_BYTES,  # a WebSocket message is held to the HTTP body's limit
        access_log=False,  # ~4 % of the loop's CPU under load; /metrics counts every request
        # uvicorn kills a worker whose start-up (schema checks, key store, pools) takes over
        # 5 s and starts another, forever, on a loaded machine or a database slow to answer
        timeout_worker_healthcheck=WORKER_START_TIMEOUT_S,
    )
    return 0
