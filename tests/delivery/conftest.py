"""The delivery tests' notifier: an in-process Notifier on the test's app and views, sending
through a Recorder channel, on a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.app import CareLedger
from delivery.delivery_settings import DeliverySettings
from delivery.notifier import Notifier
from projections.engine.store import ViewStore
from tests.delivery.recording import Recorder
from tests.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def notifier(
    app: CareLedger, views: ViewStore, recorder: Recorder, clock: Clock
) -> Iterator[Notifier]:
    settings = DeliverySettings(max_attempts=3, backoff_base_s=10, lease_s=30, workers=2)
    n = Notifier(app, views, recorder, settings=settings, clock=clock)
    try:
        yield n
    finally:
        n.close()
