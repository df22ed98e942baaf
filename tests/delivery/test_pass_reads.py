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
from tests.support import meta


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def notifier(app: CareLedger, views: ViewStore, recorder: Recorder) -> Iterator[Notifier]:
    settings = DeliverySettings(quiet_start=None, quiet_end=None, workers=2, backoff_base_s=0.01)
    n = Notifier(app, views, recorder, settings=settings)
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
) -> None:
    customer_id = customer(app)
    order_id = confirm(app, customer_id)
    recorder[ChannelKind.EMAIL].fail_next(TransientDeliveryError("connection refused"))
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert row.status == "Retrying"
    single_reads.clear()
    # the retry is due at once (a 10 ms backoff); the pass reads both with the others
    while notifier.run_once():
        pass
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts) == ("Sent", 2)
    if isinstance(app.recorder, PostgresReceiptRecorder):
        assert set(single_reads) & {customer_id, row.notification_id} == set()


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
    first = reads.read(ids)
    assert set(first) == set(ids)
    app.set_notice_preferences(meta(timedelta(seconds=1)), ids[2], "en", True)
    again = reads.read(ids[1:])
    fresh = app.load(Customer, ids[2])
    copy = again[ids[2]]
    assert copy is first[ids[2]] and isinstance(copy, Customer)  # brought forward in place
    assert (copy.version, copy.notice_opt_out) == (fresh.version, True)
    assert len(reads._copies) == 2  # the least recently read went
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
