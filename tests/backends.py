"""The storage backends the tests run on, and settings for each."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from application.settings import Settings
from testing.postgres_server import PostgresServer

MASTER_KEY = base64.b64decode(base64.b64encode(b"k" * 32))


def make_settings(
    backend: str, data_dir: Path, request: pytest.FixtureRequest, **extra: Any
) -> Settings:
    if backend == "sqlite":
        return Settings(data_dir=data_dir, master_key=MASTER_KEY, **extra)
    server: PostgresServer = request.getfixturevalue(server_fixture(request))
    return Settings(
        database_url=server.url,
        db_schema=f"t_{uuid4().hex[:12]}",
        data_dir=data_dir,
        master_key=MASTER_KEY,
        db_pool_size=4,
        **extra,
    )


def server_fixture(request: pytest.FixtureRequest) -> str:
    """The PostgreSQL server fixture of the test: its own (marker `own_server`) or the shared."""
    own = request.node.get_closest_marker("own_server") is not None
    return "own_postgres_server" if own else "postgres_server"


BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
