from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from application.app import CareLedger
from application.settings import Settings
from projections.projection import Projection
from projections.runner import Runner
from projections.store import ViewStore, open_view_store


@pytest.fixture
def views(settings: Settings) -> Iterator[ViewStore]:
    store = open_view_store(settings)
    try:
        yield store
    finally:
        store.close()


Project = Callable[..., int]


@pytest.fixture
def project(app: CareLedger, views: ViewStore) -> Project:
    """Brings the given projections up to the end of the log; returns the events processed."""

    def run(*projections: Projection, batch_size: int = 1000) -> int:
        return sum(Runner(app, views, p, batch_size=batch_size).catch_up() for p in projections)

    return run
