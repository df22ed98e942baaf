"""A pass of the delivery process reads its orders, customers and notifications together, and
decides from them as they were when it began: what was recorded before is seen, on both
backends; on PostgreSQL none of them is read on its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from application.app import CareLedger
from application.customers import ContactDetails
from application.errors import NotFoundError
from application.recorders import PostgresReceiptRecorder
from delivery.channels.base import ChannelKind, TransientDeliveryError
from delivery.delivery_settings import DeliverySettings
from delivery.notifier import Notifier
from delivery.pass_reads import PassReads, read_as
from domain.customer import Customer
from domain.order import Order
from projections.engine.store import ViewStore
from projections.views.notices import notifications_of
from tests.application.builders import CONTACT, customer, order
from tests.delivery.recording import Recorder
from tests.support import Clock, meta


@pytest.fixture
def notifier(
    app: CareLedger, views: ViewStore, recorder: Recorder, clock: Clock
) -> Iterator[Notifier]:
    settings = DeliverySettings(quiet_start=None, quiet_end=None, workers=2, backoff_base_s=10)
    n = Notifier(app, views, recorder, settings=settings, clock=clock)
    try:
        yield n
    finally:
        n.close()


@pytest.fixture
def single_reads(app: CareLedger, monkeypatch: pytest.MonkeyPatch) -> list[UUID]:
    """The aggregates read one at a time from here on (the library's select_events)."""
    seen: list[UUID] = []
    select = app.recorder.select_events

    def spied(originator_id: UUID, **kwargs: object) -> object:
        seen.append(UUID(str(originator_id)))
        return select(originator_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app.recorder, "select_events", spied)
    return seen


def confirm(app: CareLedger, customer_id: UUID) -> UUID:
    order_id = order(app, customer_id)
    app.confirm_order(meta(), order_id)
    app.send_order_confirmation(meta(), order_id, "email")
    return order_id


def test_a_pass_reads_its_orders_and_customers_together(
    app: CareLedger, notifier: Notifier, recorder: Recorder, single_reads: list[UUID]
) -> None:
    customers = [customer(app), customer(app)]
    orders = [confirm(app, customers[n % 2]) for n in range(5)]
    single_reads.clear()
    notifier.run_once()
    assert len(recorder[ChannelKind.EMAIL].sent) == 5
    read_alone = set(single_reads) & {*customers, *orders}
    if isinstance(app.recorder, PostgresReceiptRecorder):
        assert read_alone == set()  # one statement for the orders, one for the customers
    else:
        assert read_alone == {*customers, *orders}  # SQLite: one in-process read each


def test_a_retry_from_the_queue_reads_its_notification_and_customer_with_the_pass(
    app: CareLedger,
    views: ViewStore,
    notifier: Notifier,
    recorder: Recorder,
    single_reads: list[UUID],
    clock: Clock,
) -> None:
    customer_id = customer(app)
    order_id = confirm(app, customer_id)
    recorder[ChannelKind.EMAIL].fail_next(TransientDeliveryError("connection refused"))
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert row.status == "Retrying"
    single_reads.clear()
    # the retry falls due; the pass reads both with the others
    clock.advance(10)
    while notifier.run_once():
        pass
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts) == ("Sent", 2)
    if isinstance(app.recorder, PostgresReceiptRecorder):
        # the customer not at all; the notification only by the claim, which writes on it
        assert (single_reads.count(customer_id), single_reads.count(row.notification_id)) == (0, 1)


def test_each_pass_sees_what_was_recorded_before_it_began(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder
) -> None:
    customer_id = customer(app)
    confirm(app, customer_id)
    notifier.run_once()
    # the customer moves to another address: the next pass's copy is brought forward
    moved = ContactDetails(name=CONTACT.name, phone=CONTACT.phone, email="new@example.com")
    app.change_contact(meta(), customer_id, moved)
    confirm(app, customer_id)
    notifier.run_once()
    first, second = recorder[ChannelKind.EMAIL].sent
    assert (first.to, second.to) == (CONTACT.email, "new@example.com")
    # erased after the next confirmation, before the pass: suppressed, nothing sent
    third = confirm(app, customer_id)
    app.erase_customer(meta(), customer_id)
    notifier.run_once()
    assert len(recorder[ChannelKind.EMAIL].sent) == 2
    [row] = notifications_of(views, third)
    assert (row.status, row.last_error) == ("Suppressed", "customer_erased")


def test_copies_are_brought_forward_and_bounded(app: CareLedger) -> None:
    reads = PassReads(app, max_copies=2)
    ids = [customer(app) for _ in range(3)]
    first = reads.read(ids[:2])
    assert set(first) == set(ids[:2])
    app.set_notice_preferences(meta(timedelta(seconds=1)), ids[1], "en", True)
    copy = reads.read([ids[1]])[ids[1]]
    assert copy is first[ids[1]] and isinstance(copy, Customer)  # brought forward in place
    assert (copy.version, copy.notice_opt_out) == (app.load(Customer, ids[1]).version, True)
    # a third copy: the least recently read one goes
    reads.read([ids[2]])
    assert set(reads._copies) == {ids[1], ids[2]}
    assert reads.read([ids[0]])[ids[0]].version == app.load(Customer, ids[0]).version


def test_what_the_pass_did_not_read_is_loaded_and_missing_is_not_found(app: CareLedger) -> None:
    reads = PassReads(app)
    missing = uuid4()
    assert reads.read([missing]) == {}
    with pytest.raises(NotFoundError):
        read_as(Order, missing, {}, app)
    customer_id = customer(app)
    assert read_as(Customer, customer_id, {}, app).id == customer_id
    # an aggregate of another kind than asked is not taken for it
    with pytest.raises(NotFoundError):
        read_as(Order, customer_id, reads.read([customer_id]), app)


@pytest.fixture
def receipt_lookups(app: CareLedger, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command ids whose receipt is looked for one at a time from here on."""
    asked: list[str] = []
    select = app.receipts.select_receipt

    def spied(command_id: str) -> object:
        asked.append(command_id)
        return select(command_id)

    monkeypatch.setattr(app.receipts, "select_receipt", spied)
    return asked


def test_a_pass_looks_for_its_requests_receipts_at_once(
    app: CareLedger, notifier: Notifier, recorder: Recorder, receipt_lookups: list[str]
) -> None:
    customer_id = customer(app)
    for _ in range(3):
        confirm(app, customer_id)
    notifier.run_once()
    assert len(recorder[ChannelKind.EMAIL].sent) == 3
    assert [c for c in receipt_lookups if ":request:" in c] == []


def test_events_requested_before_a_crash_are_not_requested_again(
    app: CareLedger, views: ViewStore, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    order_ids = [confirm(app, customer(app)) for _ in range(3)]
    # a process requests and sends them, then dies before it forgets the events
    dying = Notifier(app, views, recorder, settings=DeliverySettings(quiet_start=None))
    monkeypatch.setattr("delivery.notifier.forget_wanted", lambda store, keys: None)
    dying.runner.catch_up()
    assert dying.request_wanted(send_at_once=True) == 6
    dying.close()
    monkeypatch.undo()
    # the next one finds their receipts in one look-up and requests nothing
    after = Notifier(app, views, recorder, settings=DeliverySettings(quiet_start=None))
    try:
        assert after.run_once() == 0
    finally:
        after.close()
    assert len(recorder.all()) == 3
    assert all([n.status for n in notifications_of(views, o)] == ["Sent"] for o in order_ids)


def test_a_request_made_by_another_process_after_the_look_up_is_a_replay(
    app: CareLedger, views: ViewStore, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    order_ids = [confirm(app, customer(app)) for _ in range(3)]
    settings = DeliverySettings(quiet_start=None)
    first = Notifier(app, views, recorder, settings=settings)
    late = Notifier(app, views, recorder, settings=settings)
    try:
        first.runner.catch_up()
        late.runner.catch_up()
        # the late one looked before the first one's requests were written, and saw none
        monkeypatch.setattr("delivery.notifier.forget_wanted", lambda store, keys: None)
        assert first.request_wanted(send_at_once=True) == 6
        monkeypatch.setattr("delivery.notifier.requested_before", lambda recorder, ids: set())
        # its writes find the receipts: replays, nothing requested, claimed or sent again
        assert late.request_wanted(send_at_once=True) == 0
        late.runner.catch_up()
    finally:
        first.close()
        late.close()
    assert len(recorder.all()) == 3
    for order_id in order_ids:
        [row] = notifications_of(views, order_id)
        events = [type(e).__name__ for e in app.events.get(row.notification_id)]
        assert events == ["NotificationRequested", "DeliveryAttemptStarted", "NotificationSent"]
