"""A command waits for its commit only until its deadline, and says what that means."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from application.app import CareLedger
from application.errors import DatabaseUnavailableError, OutcomeUnknownError
from application.recorders import ReceiptTakenError
from application.settings import Settings, SettingsError
from tests.application.builders import customer, order
from tests.support import meta

DEADLINE_S = 0.5


class HeldRecorder:
    """The real recorder, whose writes wait at a gate first (a database that does not answer)."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.gate = threading.Event()
        self.entered = threading.Event()

    def insert_events(self, stored: Any, **kwargs: Any) -> Any:
        self.entered.set()
        self.gate.wait(10)
        return self.recorder.insert_events(stored, **kwargs)


def test_sent_is_unknown_and_queued_is_unavailable(app: CareLedger) -> None:
    customer_id = customer(app)
    first, second = order(app, customer_id), order(app, customer_id)
    held = HeldRecorder(app.committer.recorder)
    app.committer.recorder = held  # type: ignore[assignment]
    app.command_deadline_s = DEADLINE_S
    with ThreadPoolExecutor(2) as pool:
        # The first command's unit is in the writer's transaction when the deadline passes;
        sent = pool.submit(app.confirm_order, meta(command_id="first"), first)
        assert held.entered.wait(5)
        # the second's is still queued behind it.
        started = time.monotonic()
        queued = pool.submit(app.confirm_order, meta(command_id="second"), second)
        with pytest.raises(OutcomeUnknownError):
            sent.result()
        with pytest.raises(DatabaseUnavailableError):
            queued.result()
        assert time.monotonic() - started < DEADLINE_S + 0.5
    # The database answers again: the sent one committed, the withdrawn one never will.
    held.gate.set()
    app.committer.recorder = held.recorder
    deadline = time.monotonic() + 5
    while app.receipts.select_receipt("first") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.confirm_order(meta(command_id="first"), first).replayed
    assert app.receipts.select_receipt("second") is None
    assert [type(e).__name__ for e in app.events.get(second)] == ["OrderReceived"]
    # Retried with the same id, the unavailable one is recorded once.
    assert not app.confirm_order(meta(command_id="second"), second).replayed


class AckLostRecorder:
    """The real recorder, whose write commits and then looks lost: the retry finds the
    command's own receipt taken, and by then the database is gone for the receipt's read."""

    def __init__(self, app: CareLedger) -> None:
        self.recorder = app.committer.recorder
        self.select = app.receipts.select_receipt
        self.committed = False

    def insert_events(self, stored: Any, **kwargs: Any) -> Any:
        self.recorder.insert_events(stored, **kwargs)
        self.committed = True
        raise ReceiptTakenError("a command id in this transaction was recorded before")

    def select_receipt(self, command_id: str) -> Any:
        if self.committed:
            raise DatabaseUnavailableError("the database went away")
        return self.select(command_id)


def test_a_write_that_may_be_its_own_is_unknown_not_unavailable(
    app: CareLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = order(app, customer(app))
    lost = AckLostRecorder(app)
    app.committer.recorder = lost  # type: ignore[assignment]
    with monkeypatch.context() as patch:
        patch.setattr(app.receipts, "select_receipt", lost.select_receipt)
        with pytest.raises(OutcomeUnknownError):
            app.confirm_order(meta(command_id="lost-ack"), order_id)
    app.committer.recorder = lost.recorder
    # It was recorded: the retry with the same id answers from its receipt, once.
    assert app.confirm_order(meta(command_id="lost-ack"), order_id).replayed
    kinds = [type(e).__name__ for e in app.events.get(order_id)]
    assert kinds.count("OrderConfirmed") == 1


@pytest.mark.parametrize("raw", ["0", "-1", "soon", "4000"])
def test_the_deadline_must_be_a_sensible_number_of_seconds(raw: str) -> None:
    with pytest.raises(SettingsError, match="CARELEDGER_COMMAND_DEADLINE_S"):
        Settings.from_env({"CARELEDGER_COMMAND_DEADLINE_S": raw})


def test_the_deadline_is_read_from_the_environment() -> None:
    assert Settings.from_env({"CARELEDGER_COMMAND_DEADLINE_S": "2.5"}).command_deadline_s == 2.5
    assert Settings.from_env({}).command_deadline_s == 5.0
