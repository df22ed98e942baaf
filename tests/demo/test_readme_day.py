"""`careledger demo` as the README's first run records it: the default day, every planned
command accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from application.app import CareLedger
from domain.values import Sealed
from tests.demo.recorded import cli_environment, sqlite_settings, stored_events


def test_the_readme_day_records_every_planned_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's first run records the default day (scripts/run.sh: `careledger demo --size
    small`, seed 1), whose draws reach commands the 60-order day of test_demo never plans: a tier
    set by hand, which needs a reason in words, refused the whole demo once."""
    cli_environment(monkeypatch, tmp_path)
    # when the default day is recorded (its date fixed, so the test does not depend on today)
    assert main(["demo", "--size", "small", "--start", "2026-11-22"]) == 0
    assert "Audit chain: intact" in capsys.readouterr().out
    with CareLedger(sqlite_settings(tmp_path)) as app:
        tiers = [e for topic, e in stored_events(app) if topic == "careledger.TierAssigned"]
    # then its tiers set by hand are on the record, each reason's words sealed
    assert tiers
    assert all(e.meta.reason.code == "spend_threshold" for e in tiers)
    assert all(isinstance(e.meta.reason.sealed, Sealed) and not e.meta.reason.text for e in tiers)
