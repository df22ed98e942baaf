"""Running a process for a benchmark (a server on a free port of 127.0.0.1, or a worker such as
the projection runner): started, waited for, and always stopped; plus the settings and
environment `careledger` reads."""

from __future__ import annotations

import base64
import http.client
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from application.settings import Settings
from testing.postgres_server import free_port

HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


def bench_settings(database_url: str, schema: str) -> Settings:
    """Production settings on a throwaway data dir, with fresh secrets."""
    return Settings(
        database_url=database_url,
        db_schema=schema,
        data_dir=Path(tempfile.mkdtemp(prefix="careledger-bench-")),
        master_key=secrets.token_bytes(32),
        token_secret=secrets.token_bytes(32),
        environment="production",
    )


def service_env(settings: Settings) -> dict[str, str]:
    """The environment that makes `careledger serve` use these settings."""
    assert settings.database_url and settings.master_key and settings.token_secret
    return {
        **os.environ,
        "CARELEDGER_DATABASE_URL": settings.database_url,
        "CARELEDGER_DB_SCHEMA": settings.db_schema,
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_MASTER_KEY": base64.b64encode(settings.master_key).decode(),
        "CARELEDGER_TOKEN_SECRET": base64.b64encode(settings.token_secret).decode(),
        "CARELEDGER_ENV": settings.environment,
        "CARELEDGER_LIVE_WAKE": settings.live_wake,
    }


def careledger_command(*args: str) -> list[str]:
    """`careledger ARGS…` from this virtual environment."""
    script = Path(sys.executable).parent / "careledger"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    return [*command, *args]


def careledger_serve(port: int, workers: int) -> list[str]:
    return careledger_command(
        "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)
    )


def trivial_serve(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.trivial_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


class Process:
    """A child process in a session of its own, ready when `ready()` says so; `with
    Process(...) as p:` stops it however the block ends. Its output goes to a log file (a pipe
    nobody reads would block it)."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.env = dict(env or os.environ)
        self.ready = ready
        self.log = Path(tempfile.mkdtemp(prefix="careledger-bench-")) / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        with self.log.open("wb") as out:
            # A session of its own: the process and its workers form one group with its pid.
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
        if error is None:
            shutil.rmtree(self.log.parent, ignore_errors=True)  # kept when something failed

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.log_tail()}")
            if self.ready():
                return
            time.sleep(0.1)
        waited = f"{READY_TIMEOUT_S:.0f} s"
        raise RuntimeError(f"{self.name} not ready after {waited}:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # uvicorn's parent stops its workers on SIGTERM
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this Popen created, by its id
            process.wait(timeout=STOP_TIMEOUT_S)

    def output(self, timeout: float) -> str:
        """All the process printed, once it has ended by itself (within `timeout`)."""
        assert self.process is not None
        self.process.wait(timeout)
        return self.log.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Server(Process):
    """A server on a free port of 127.0.0.1 (`command` makes its command line from the port),
    ready when `ready_path` answers 200."""

    def __init__(
        self,
        name: str,
        command: Callable[[int], Sequence[str]],
        env: Mapping[str, str] | None = None,
        *,
        ready_path: str = "/healthz",
    ) -> None:
        self.port = free_port()
        self.ready_path = ready_path
        super().__init__(name, command(self.port), env, ready=self._answers)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _answers(self) -> bool:
        return get_status(HOST, self.port, self.ready_path) == 200


def get_status(host: str, port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def percentile(ordered: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of values sorted ascending."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(percent / 100 * len(ordered))))
    return ordered[rank - 1]
