from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from application.app import CareLedger
from application.errors import ConcurrencyConflictError
from application.handling import MAX_ATTEMPTS, Outcome, command
from application.settings import Settings
from domain.complaint import Complaint
from domain.errors import RuleViolationError
from domain.meta import Meta
from tests import support
from tests.application.builders import customer, order
from tests.support import CUSTOMER, meta
from tests.unit.replay import replayed, state_of

THREADS = 8
COMMANDS_EACH = 6


def test_eight_writers_on_one_complaint_apply_each_command_once_or_get_a_conflict(
    app: CareLedger,
) -> None:
    # given one complaint and eight threads that each send six commands at once
    customer_id = customer(app)
    complaint_id = app.file_complaint(
        meta(actor=CUSTOMER),
        customer_id=customer_id,
        order_id=order(app, customer_id),
        content="cold",
        channel="app",
    ).aggregate_id
    start = threading.Barrier(THREADS)
    results: Counter[str] = Counter()
    lock = threading.Lock()

    def writer(n: int) -> None:
        start.wait()
        for i in range(COMMANDS_EACH):
            try:
                if i == 0 and n < 4:
                    app.escalate_complaint(meta(command_id=f"esc-{n}"), complaint_id)
                    outcome = "escalated"
                else:
                    app.receive_customer_message(
                        meta(command_id=f"msg-{n}-{i}"), complaint_id, f"message {n}.{i}"
                    )
                    outcome = "message"
            except ConcurrencyConflictError:
                outcome = "conflict"
            except RuleViolationError:
                outcome = "refused"
            with lock:
                results[outcome] += 1

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(writer, range(THREADS)))
    # then every acknowledged command is stored exactly once, and nothing else is
    events = Counter(type(e).__name__ for e in app.events.get(complaint_id))
    assert sum(results.values()) == THREADS * COMMANDS_EACH
    assert events["CustomerMessageReceived"] == results["message"]
    assert events["ComplaintEscalated"] == results["escalated"] <= 3
    assert results["escalated"] + results["refused"] + results["conflict"] >= 4
    # and the loaded complaint equals a replay of its events, versions without gaps
    complaint = app.load(Complaint, complaint_id)
    versions = [e.originator_version for e in app.events.get(complaint_id)]
    assert versions == list(range(1, complaint.version + 1))
    assert state_of(complaint) == replayed(app, complaint_id)
    assert complaint.escalation_level == results["escalated"]


class RacingLedger(CareLedger):
    """A ledger with one extra command whose every attempt another writer overtakes."""

    overtaken = 0

    @command()
    def escalate_overtaken(self, meta: Meta, complaint_id: UUID) -> Outcome:
        def rival_writes_then_escalate(complaint: Complaint) -> None:
            self.overtaken += 1
            self.receive_customer_message(support.meta(), complaint_id, "rival")
            complaint.escalate(meta)

        return self.change(meta, Complaint, complaint_id, rival_writes_then_escalate)


def test_a_command_that_always_loses_the_race_ends_in_a_typed_conflict(
    settings: Settings,
) -> None:
    with RacingLedger(settings) as app:
        # given a complaint, and a command whose every attempt is overtaken by another writer
        customer_id = customer(app)
        complaint_id = app.file_complaint(
            meta(actor=CUSTOMER),
            customer_id=customer_id,
            order_id=None,
            content="late",
            channel="web",
        ).aggregate_id
        # when it runs, then it gives up with a typed conflict after a bounded number of tries
        with pytest.raises(ConcurrencyConflictError) as conflict:
            app.escalate_overtaken(meta(), complaint_id)
        assert conflict.value.code == "CONFLICT" and app.overtaken == MAX_ATTEMPTS
        # and nothing of the losing command was stored
        names = [type(e).__name__ for e in app.events.get(complaint_id)]
        assert "ComplaintEscalated" not in names
        assert names.count("CustomerMessageReceived") == MAX_ATTEMPTS
