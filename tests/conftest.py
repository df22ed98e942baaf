from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from application.app import CareLedger
from application.settings import Settings
from testing.postgres_server import PostgresServer

MASTER_KEY = base64.b64decode(base64.b64encode(b"k" * 32))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


def make_settings(
    backend: str, data_dir: Path, request: pytest.FixtureRequest, **extra: Any
) -> Settings:
    if backend == "sqlite":
        return Settings(data_dir=data_dir, master_key=MASTER_KEY, **extra)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return Settings(
        database_url=server.url,
        db_schema=f"t_{uuid4().hex[:12]}",
        data_dir=data_dir,
        master_key=MASTER_KEY,
        db_pool_size=4,
        **extra,
    )


BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    return make_settings(backend, tmp_path, request)


@pytest.fixture
def app(settings: Settings) -> Iterator[CareLedger]:
    ledger = CareLedger(settings)
    try:
        yield ledger
    finally:
        ledger.close()
