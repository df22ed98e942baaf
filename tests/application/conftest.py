from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.app import CareLedger
from application.settings import Settings


@pytest.fixture
def app(settings: Settings) -> Iterator[CareLedger]:
    ledger = CareLedger(settings)
    try:
        yield ledger
    finally:
        ledger.close()
