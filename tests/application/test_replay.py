"""Repeated command ids: answered from the receipt, scoped to the caller, personal arguments
compared without anything readable stored."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest
from eventsourcing import utils

from application.app import CareLedger
from application.customers import ContactDetails
from application.errors import CustomerErasedError, IdempotencyKeyReusedError
from application.handling import Outcome
from application.recorders import Receipt
from domain.meta import Actor, ActorKind
from tests.application.builders import CONTACT, PHONE, customer, order
from tests.support import AGENT, CUSTOMER, meta

OTHER_AGENT = Actor(ActorKind.AGENT, "agent-9", "agent")
OTHER_CONTACT = ContactDetails(name="Zhang Min", phone="+86 139 0000 1111")
REPLAYERS, ACKNOWLEDGED, ROUNDS, NEW = 4, 20, 2, 20


def event_count(app: CareLedger) -> int:
    return app.recorder.max_notification_id() or 0


@pytest.fixture
def writer_sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every sleep the group-commit writer thread takes (the library's @retry or ours)."""
    sleeps: list[float] = []
    real = time.sleep

    def sleep(seconds: float) -> None:
        if threading.current_thread().name == "group-commit":
            sleeps.append(seconds)
        real(seconds)

    monkeypatch.setattr(utils, "sleep", sleep)
    monkeypatch.setattr(time, "sleep", sleep)
    yield sleeps


def counting_commits(app: CareLedger) -> list[str]:
    """The command ids handed to the group-commit writer from now on."""
    handed: list[str] = []
    commit = app.committer.commit

    def counted(stored: Any, receipt: Receipt, *rest: Any) -> list[int]:
        handed.append(receipt.command_id)
        return commit(stored, receipt, *rest)

    setattr(app.committer, "commit", counted)  # noqa: B010
    return handed


def complaint(app: CareLedger) -> UUID:
    customer_id = customer(app)
    return app.file_complaint(
        meta(actor=CUSTOMER), customer_id=customer_id, order_id=None, content="cold", channel="app"
    ).aggregate_id


def assert_reveals_nothing(refused: IdempotencyKeyReusedError, *secrets: object) -> None:
    message = str(refused)
    for secret in secrets:
        assert str(secret) not in message


def test_replay_storm_answers_every_repeat_from_its_receipt_and_writes_nothing(
    app: CareLedger, writer_sleeps: list[float]
) -> None:
    # given M acknowledged commands and N threads ready to re-send all of them
    customer_id = customer(app)
    orders = [order(app, customer_id) for _ in range(ACKNOWLEDGED + NEW)]
    sent = {f"ack-{i}": o for i, o in enumerate(orders[:ACKNOWLEDGED])}
    for order_id in sent.values():
        app.confirm_order(meta(), order_id)
    # (a confirmation may be sent again and again, so only the receipt can tell a repeat)
    first = {k: app.send_order_confirmation(meta(command_id=k), o, "sms") for k, o in sent.items()}
    before, units = event_count(app), app.committer.stats.units
    handed = counting_commits(app)
    start = threading.Barrier(REPLAYERS + 1)

    def replayer(_: int) -> list[Outcome]:
        start.wait()
        return [
            app.send_order_confirmation(meta(command_id=k), o, "sms")
            for _ in range(ROUNDS)
            for k, o in sent.items()
        ]

    def newcomer() -> list[Outcome]:
        start.wait()
        return [app.confirm_order(meta(), o) for o in orders[ACKNOWLEDGED:]]

    # when they re-send them while one more thread sends new commands
    with ThreadPoolExecutor(REPLAYERS + 1) as pool:
        fresh = pool.submit(newcomer)
        replays = [r for batch in pool.map(replayer, range(REPLAYERS)) for r in batch]
    # then every repeat is the first outcome, marked replayed, and only the new ones wrote
    assert len(replays) == REPLAYERS * ROUNDS * ACKNOWLEDGED
    assert all(r.replayed for r in replays)
    assert {(r.aggregate_id, r.version, r.position) for r in replays} == {
        (f.aggregate_id, f.version, f.position) for f in first.values()
    }
    assert not any(r.replayed for r in fresh.result())
    assert event_count(app) == before + NEW
    assert app.committer.stats.units - units == NEW
    assert len(handed) == NEW  # no repeat was even handed to the writer
    # and the writer never slept on a retry
    assert writer_sleeps == []


def test_first_sends_racing_to_the_writer_answer_one_as_a_replay_cleanly(
    app: CareLedger, writer_sleeps: list[float]
) -> None:
    # given orders, and pairs of threads sending the same new command id at once
    customer_id = customer(app)
    orders = [order(app, customer_id) for _ in range(8)]
    start = threading.Barrier(16)

    def send(i: int) -> Outcome:
        start.wait()
        return app.confirm_order(meta(command_id=f"race-{i // 2}"), orders[i // 2])

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(send, range(16)))
    # then each pair stored one confirmation, and one of the two was told it was a replay
    for i, order_id in enumerate(orders):
        names = [type(e).__name__ for e in app.events.get(order_id)]
        assert names == ["OrderReceived", "OrderConfirmed"]
        assert sorted(o.replayed for o in outcomes[2 * i : 2 * i + 2]) == [False, True]
    assert writer_sleeps == []
    # and the connections still work for unrelated commands
    assert app.send_order_confirmation(meta(), orders[0], "sms").version == 3


def test_a_command_id_of_another_caller_is_refused_and_names_nothing_of_theirs(
    app: CareLedger,
) -> None:
    # given an agent's registration under a command id
    first = app.register_customer(meta(actor=AGENT, command_id="reg-1"), CONTACT)
    before = event_count(app)
    # when another agent sends the same registration under the same command id
    with pytest.raises(IdempotencyKeyReusedError) as refused:
        app.register_customer(meta(actor=OTHER_AGENT, command_id="reg-1"), CONTACT)
    # then it is refused, typed, nothing is written, and nothing of the first is told
    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert event_count(app) == before
    assert_reveals_nothing(refused.value, first.aggregate_id, "register_customer", AGENT.id)


def test_a_customer_reusing_an_agents_command_id_is_not_told_its_command(
    app: CareLedger,
) -> None:
    order_id = order(app, customer(app))
    app.confirm_order(meta(actor=AGENT, command_id="k-9"), order_id)
    with pytest.raises(IdempotencyKeyReusedError) as refused:
        app.cancel_order(
            meta(actor=CUSTOMER, command_id="k-9"), order_id, "changed my mind", "customer"
        )
    assert_reveals_nothing(refused.value, "confirm_order", order_id, AGENT.id)


def test_other_personal_arguments_under_one_command_id_are_refused(app: CareLedger) -> None:
    # given a registration under a command id
    first = app.register_customer(meta(command_id="reg-2"), CONTACT)
    before = event_count(app)
    # when the same caller sends another person's contact under it
    with pytest.raises(IdempotencyKeyReusedError) as refused:
        app.register_customer(meta(command_id="reg-2"), OTHER_CONTACT)
    # then it is refused rather than dropped, and the first person stays hidden
    assert event_count(app) == before
    assert_reveals_nothing(refused.value, first.aggregate_id, CONTACT.name, PHONE)


def test_a_reply_with_other_text_under_one_command_id_is_refused(app: CareLedger) -> None:
    complaint_id = complaint(app)
    app.reply_to_customer(meta(command_id="reply-1"), complaint_id, "We are on it.")
    with pytest.raises(IdempotencyKeyReusedError):
        app.reply_to_customer(meta(command_id="reply-1"), complaint_id, "Refund sent.")
    again = app.reply_to_customer(meta(command_id="reply-1"), complaint_id, "We are on it.")
    assert again.replayed


def test_same_caller_same_personal_arguments_is_a_replay(app: CareLedger) -> None:
    first = app.register_customer(meta(command_id="reg-3"), CONTACT)
    again = app.register_customer(meta(command_id="reg-3"), CONTACT)
    assert again.replayed and again.aggregate_id == first.aggregate_id
    assert app.contact_of(first.aggregate_id) == CONTACT


def test_receipts_hold_nothing_readable_of_personal_arguments(app: CareLedger) -> None:
    customer_id = app.register_customer(meta(command_id="reg-4"), CONTACT).aggregate_id
    receipt = app.receipts.select_receipt("reg-4")
    assert receipt is not None and receipt.originator_id == customer_id
    for secret in (CONTACT.name, PHONE):
        assert secret not in receipt.fingerprint
    # short pieces are looked for outside the digests and ids, where a random "138" may stand
    digests = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,}"
    readable = re.sub(digests, "<digest>", receipt.fingerprint)
    for piece in ("Li", "138"):
        assert piece not in readable


def test_a_repeat_after_erasure_cannot_be_compared_and_says_so(app: CareLedger) -> None:
    # given a registration, then the customer's erasure
    customer_id = app.register_customer(meta(command_id="reg-5"), CONTACT).aggregate_id
    app.erase_customer(meta(), customer_id)
    before = event_count(app)
    # when the registration is repeated, its personal arguments can no longer be compared
    with pytest.raises(CustomerErasedError):
        app.register_customer(meta(command_id="reg-5"), CONTACT)
    assert event_count(app) == before
