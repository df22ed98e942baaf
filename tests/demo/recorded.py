"""What the demo tests share: the settings a recorded day runs with, on the command line
too, and the log it leaves."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from application.app import CareLedger
from application.settings import Settings
from tests.backends import MASTER_KEY

PAGE = 500


def sqlite_settings(data_dir: Path) -> Settings:
    # no quiet hours: whether a notice waits for the morning would depend on when the test runs
    return Settings(data_dir=data_dir, master_key=MASTER_KEY, quiet_hours=None)


def cli_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    """The environment that makes `careledger demo` record as `sqlite_settings(data_dir)`."""
    monkeypatch.setenv("CARELEDGER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CARELEDGER_MASTER_KEY", base64.b64encode(MASTER_KEY).decode())
    monkeypatch.setenv("CARELEDGER_QUIET_HOURS", "off")


def stored_events(app: CareLedger) -> list[tuple[str, Any]]:
    """(topic, decoded event) of every event in the log, in log order."""
    events, start = [], 0
    while page := app.recorder.select_notifications(start, PAGE, inclusive_of_start=False):
        events += [(note.topic, app.mapper.to_domain_event(note)) for note in page]
        start = page[-1].id
    return events
