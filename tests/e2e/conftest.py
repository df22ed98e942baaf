"""The real `careledger serve` process on 127.0.0.1, for the end-to-end tests."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from testing.postgres_server import free_port
from tests.e2e.client import SECRET

MASTER = base64.b64encode(b"m" * 32).decode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(tmp_path),
        "CARELEDGER_TOKEN_SECRET": SECRET,
        "CARELEDGER_MASTER_KEY": MASTER,
    }
    env.pop("CARELEDGER_DATABASE_URL", None)
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(f"the server did not come up:\n{_log(tmp_path)}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _log(tmp_path: Path) -> str:
    return (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
