from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from application.app import CareLedger
from application.settings import Settings
from projections.engine.projection import Projection
from projections.engine.runner import Runner
from projections.engine.store import ViewStore, open_view_store
from testing.postgres_server import PostgresServer
from tests.backends import BACKENDS, make_settings
from tests.projections.catch_up import Project


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_postgres_server() -> Iterator[PostgresServer]:
    """A server of the test's own (marker `own_server`): a test that reads every byte a server
    holds must not find what other tests wrote on purpose, such as events recorded before free
    text was sealed."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture
def views(settings: Settings) -> Iterator[ViewStore]:
    store = open_view_store(settings)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def project(app: CareLedger, views: ViewStore) -> Project:
    """Brings the given projections up to the end of the log; returns the events processed."""

    def run(*projections: Projection, batch_size: int = 1000) -> int:
        return sum(Runner(app, views, p, batch_size=batch_size).catch_up() for p in projections)

    return run
