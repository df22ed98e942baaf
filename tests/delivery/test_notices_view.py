"""The notices view holds the same rows whatever the batches its runner reads the log in."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.app import CareLedger
from delivery.channels.base import ChannelKind
from delivery.notifier import Notifier
from domain.meta import Actor, ActorKind
from domain.order import Order
from projections.engine import tracking
from projections.engine.reading import epoch
from projections.engine.runner import Runner
from projections.engine.store import ViewStore
from projections.views.notices import NoticesProjection, notifications_of
from tests.application.builders import customer
from tests.delivery.orders import confirmed_order
from tests.delivery.recording import PermanentDeliveryError, Recorder, TransientDeliveryError
from tests.projections.batch_invariance import dump, live_and_rebuilt
from tests.support import Clock, meta

AGENT = Actor(ActorKind.AGENT, "agent-ana", "agent")


def drain(notifier: Notifier, clock: Clock, passes: int = 8) -> None:
    for _ in range(passes):
        notifier.run_once()
        clock.advance(1000)


def delivery_day(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder, clock: Clock
) -> None:
    """Notices that end sent and delivered, bounced, retried then sent, refused, given up,
    suppressed on erasure, deferred by quiet hours, a staff alert acknowledged, and one still
    retrying when its customer is erased."""
    sms, email = recorder[ChannelKind.SMS], recorder[ChannelKind.EMAIL]
    delivered, bounced = confirmed_order(app, "sms"), confirmed_order(app, "email")
    drain(notifier, clock, 2)
    for order_id, ok in ((delivered, True), (bounced, False)):
        [row] = notifications_of(views, order_id)
        app.record_delivery_receipt(meta(), row.notification_id, ok, None if ok else "no mailbox")
    # each of these fails as scripted, in turn
    email.fail_next(TransientDeliveryError("refused"), TransientDeliveryError("timed out"))
    confirmed_order(app, "email")
    drain(notifier, clock)
    sms.fail_next(PermanentDeliveryError("invalid number"))
    confirmed_order(app, "sms")
    drain(notifier, clock)
    sms.fail_next(*(TransientDeliveryError("503") for _ in range(3)))
    confirmed_order(app, "sms")
    drain(notifier, clock)
    sms.fail_next(TransientDeliveryError("down"))
    erased = confirmed_order(app, "sms")
    drain(notifier, clock, 1)
    app.erase_customer(meta(), app.load(Order, erased).customer_id)
    drain(notifier, clock)
    # a reply at night waits for the morning
    clock.now = datetime.fromisoformat("2026-11-23T23:30:00+08:00")
    complaint = app.file_complaint(
        meta(at=clock.now, actor=AGENT),
        customer_id=customer(app),
        order_id=None,
        content="cold food",
        channel="email",
    ).aggregate_id
    app.reply_to_customer(meta(at=clock.now, actor=AGENT), complaint, "A refund is on its way.")
    notifier.run_once()
    notifier.run_once()
    clock.now = datetime.fromisoformat("2026-11-24T08:00:01+08:00")
    drain(notifier, clock, 2)
    # the assignee is warned at 80 % of the first response and acknowledges it
    at = clock.now
    complaint = app.file_complaint(
        meta(at=at, actor=AGENT),
        customer_id=customer(app),
        order_id=None,
        content="late",
        channel="app",
    ).aggregate_id
    app.classify_complaint(
        meta(at=at + timedelta(seconds=10)), complaint, "product_quality", "temperature", "general"
    )
    app.assign_responsibility(
        meta(at=at + timedelta(seconds=20), actor=AGENT), complaint, "logistics", "agent-ana"
    )
    app.check_complaint_sla(meta(at=at + timedelta(seconds=100)), complaint)
    drain(notifier, clock, 2)
    [ana] = [n for n in notifications_of(views, complaint) if n.recipient_id == "agent-ana"]
    app.acknowledge_alert(meta(actor=AGENT), ana.notification_id)
    # and one left retrying when its customer is erased: due at once, not yet suppressed
    sms.fail_next(TransientDeliveryError("down"))
    erased = confirmed_order(app, "sms")
    drain(notifier, clock, 1)
    app.erase_customer(meta(at=clock.now), app.load(Order, erased).customer_id)
    notifier.runner.catch_up()


def test_the_view_is_the_same_in_any_batches(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder, clock: Clock
) -> None:
    delivery_day(app, views, notifier, recorder, clock)
    projection = NoticesProjection()
    # one event a batch, then the whole log in one batch, then three events a batch
    live, by_one = live_and_rebuilt(app, views, projection, batch_size=1)
    with views.transaction() as tx:
        tracking.start_generation(tx, projection, 3)
        tracking.start_generation(tx, projection, 4)
    Runner(app, views, projection, batch_size=10_000, generation=3).catch_up()
    Runner(app, views, projection, batch_size=3, generation=4).catch_up()
    assert by_one == dump(views, projection, 3) == dump(views, projection, 4)
    # the delivery process forgot what it requested; a rebuild wants it all again
    assert live["queue"] == by_one["queue"]
    assert live["wanted"] == [] and len(by_one["wanted"]) == 9
    # every outcome is there
    statuses = sorted(str(row[7]) for row in live["queue"])
    ends = ["Delivered", "Failed", "Sent", "Failed", "GaveUp", "Suppressed", "Sent", "Sent", "Sent"]
    assert statuses == sorted([*ends, "Retrying"])
    [retrying] = [row for row in live["queue"] if row[7] == "Retrying"]
    assert retrying[9] == epoch(clock.now)
    acknowledged = [row for row in live["queue"] if row[16] is not None]
    assert [row[16] for row in acknowledged] == ["agent-ana"]
