"""Delivery processes that share the work (CARELEDGER_NOTICE_SHARE): each does its part, and
another's part once it has waited past the takeover time, so none is lost when a process stops."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from uuid import UUID

from application.app import CareLedger
from delivery.channels.base import ChannelKind
from delivery.delivery_settings import DeliverySettings
from delivery.notifier import Notifier
from projections.engine.store import ViewStore
from projections.views.notice_work import Share, next_due, wanted_notices
from projections.views.notices import QueuedNotice, notifications_of
from tests.delivery.orders import confirmed_order
from tests.delivery.recording import Recorder, TransientDeliveryError
from tests.support import T0, Clock

TAKEOVER = timedelta(seconds=120)  # the test clock starts a minute after the events


def share(index: int) -> Share:
    return Share(index, 2, takeover_s=TAKEOVER.total_seconds())


@contextmanager
def notifier_of(
    app: CareLedger, views: ViewStore, recorder: Recorder, clock: Clock, index: int
) -> Iterator[Notifier]:
    settings = DeliverySettings(backoff_base_s=10, lease_s=30, workers=2, share=share(index))
    notifier = Notifier(app, views, recorder, settings=settings, clock=clock)
    try:
        yield notifier
    finally:
        notifier.close()


def orders_of_both_parts(app: CareLedger, each: int = 2) -> dict[int, list[UUID]]:
    """Confirmed orders, their confirmations asked for, until each part has `each` of them."""
    parts: dict[int, list[UUID]] = {0: [], 1: []}
    while min(len(ids) for ids in parts.values()) < each:
        order_id = confirmed_order(app)
        parts[0 if share(0).owns(str(order_id)) else 1].append(order_id)
    return parts


def sent_for(views: ViewStore, recorder: Recorder, order_ids: list[UUID]) -> set[str]:
    ids = {str(n.notification_id) for o in order_ids for n in notifications_of(views, o)}
    return {m.id for m in recorder.all()} & ids


def test_two_processes_each_send_their_own_part_once(
    app: CareLedger, views: ViewStore, clock: Clock
) -> None:
    parts = orders_of_both_parts(app, each=3)
    recorders = {0: Recorder(), 1: Recorder()}
    with (
        notifier_of(app, views, recorders[0], clock, 0) as zero,
        notifier_of(app, views, recorders[1], clock, 1) as one,
    ):
        for _ in range(3):
            zero.run_once()
            one.run_once()
    every = parts[0] + parts[1]
    for index, recorder in recorders.items():
        # each process sent exactly its own part's notices, none of the other's
        mine = {str(n.notification_id) for o in parts[index] for n in notifications_of(views, o)}
        assert {m.id for m in recorder.all()} == mine
        assert len(recorder.all()) == len(parts[index])
    assert all([n.status for n in notifications_of(views, o)] == ["Sent"] for o in every)


def test_a_stopped_partners_events_are_taken_over_after_the_takeover_time(
    app: CareLedger, views: ViewStore, clock: Clock
) -> None:
    parts = orders_of_both_parts(app)
    recorder = Recorder()
    with notifier_of(app, views, recorder, clock, 0) as zero:  # share 1's process is down
        zero.run_once()
        zero.run_once()
        assert sent_for(views, recorder, parts[1]) == set()
        assert len(recorder.all()) == len(parts[0])
        waiting = wanted_notices(views, 10, share(1), clock.now)
        assert {w.source_id for w in waiting} == set(parts[1])
        # it next has something to do when the partner's events have waited the takeover
        assert next_due(views, share(0)) == T0 + TAKEOVER
        clock.advance(TAKEOVER.total_seconds())
        zero.run_once()
        zero.run_once()
    assert len(sent_for(views, recorder, parts[1])) == len(parts[1])
    assert len(recorder.all()) == len(parts[0]) + len(parts[1])
    assert wanted_notices(views, 10) == []


def test_a_stopped_partners_retries_are_taken_over_once_they_are_late(
    app: CareLedger, views: ViewStore, clock: Clock
) -> None:
    """The queue is shared by the notification's own id: a retry of share 1's is left to its
    process until it has been due for the takeover time."""
    failing, other = Recorder(), Recorder()
    retries: list[QueuedNotice] = []
    orders: list[UUID] = []
    while not retries:  # until share 1's process has failed a notification of its queue part
        order_id = confirmed_order(app)
        orders.append(order_id)
        if share(1).owns(str(order_id)):
            failing[ChannelKind.SMS].fail_next(TransientDeliveryError("timed out"))
            with notifier_of(app, views, failing, clock, 1) as one:
                one.run_once()
            retries += [
                n
                for n in notifications_of(views, order_id)
                if share(1).owns(str(n.notification_id))
            ]
    [retry] = retries
    assert (retry.status, retry.attempts) == ("Retrying", 1)
    assert retry.due_at is not None
    with notifier_of(app, views, other, clock, 0) as zero:
        clock.now = retry.due_at
        zero.run_once()
        zero.run_once()
        assert retry.notification_id not in {UUID(m.id) for m in other.all()}
        # its next turn: its own part's next attempt (a retry of another order whose notice
        # falls in its part), else the partner's retry once that is late
        own = [
            n.due_at
            for o in orders
            for n in notifications_of(views, o)
            if share(0).owns(str(n.notification_id)) and n.due_at is not None
        ]
        assert next_due(views, share(0)) == min([*own, retry.due_at + TAKEOVER])
        clock.advance(TAKEOVER.total_seconds())
        zero.run_once()
        zero.run_once()
    [taken] = [n for n in notifications_of(views, retry.subject_id)]
    assert (taken.status, taken.attempts) == ("Sent", 2)
    assert str(taken.notification_id) in {m.id for m in other.all()}
