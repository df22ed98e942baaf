"""Recording a notice sent from the delivery process's own copy of it: a stale copy costs a
retry, never a different answer than a fresh load would give."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from application.app import CareLedger
from application.errors import IdempotencyKeyReusedError
from application.notifications import NoticeRequest
from domain.errors import DomainError
from domain.notification import NoticeKind, Notification, RecipientKind
from tests.support import meta

REQUEST = NoticeRequest(
    kind=NoticeKind.SLA_WARNING,
    recipient_kind=RecipientKind.STAFF,
    recipient_id="agent-ana",
    channel="email",
    subject_type="complaint",
    subject_id=uuid4(),
    template_locale="en",
    template_version=1,
)


def requested(app: CareLedger) -> tuple[UUID, Notification]:
    """A notice requested with its first attempt claimed, and the requester's own copy."""
    made: list[Notification] = []
    outcome = app.request_notification(meta(), REQUEST, None, 30, made.append)
    return outcome.aggregate_id, made[0]


def events(app: CareLedger, nid: UUID) -> list[str]:
    return [type(e).__name__ for e in app.repository.event_store.get(nid)]


def test_a_fresh_copy_records_it_without_loading(app: CareLedger) -> None:
    nid, copy = requested(app)
    outcome = app.record_notification_sent(meta(timedelta(seconds=1)), nid, 1, "m-1", copy)
    assert outcome.aggregate is copy and copy.version == 3
    assert events(app, nid)[-1] == "NotificationSent"
    assert app.load(Notification, nid).provider_id == "m-1"


def test_a_copy_behind_another_process_loses_the_race_and_is_read_again(
    app: CareLedger,
) -> None:
    nid, copy = requested(app)
    # another process takes over after the lease ran out
    app.start_delivery_attempt(meta(timedelta(minutes=5)), nid, 2, 30)
    # the first attempt still reports its message sent, from its stale copy
    outcome = app.record_notification_sent(meta(timedelta(minutes=6)), nid, 1, "m-1", copy)
    assert outcome.aggregate is not copy
    assert events(app, nid) == [
        "NotificationRequested",
        "DeliveryAttemptStarted",
        "DeliveryAttemptStarted",
        "NotificationSent",
    ]
    assert app.load(Notification, nid).version == 4


@pytest.mark.parametrize("with_copy", [True, False])
def test_a_copy_of_a_suppressed_notice_is_refused_as_a_fresh_load_is(
    app: CareLedger, with_copy: bool
) -> None:
    nid, copy = requested(app)
    # erased meanwhile: another process suppressed it (once its lease ran out)
    app.suppress_notification(meta(timedelta(minutes=5)), nid, "customer_erased")
    known = copy if with_copy else None
    with pytest.raises(DomainError) as refused:
        app.record_notification_sent(meta(timedelta(minutes=6)), nid, 1, "m-1", known)
    assert "Suppressed" in str(refused.value) or "suppress" in str(refused.value).lower()
    assert events(app, nid)[-1] == "NotificationSuppressed"


def test_a_copy_of_another_notification_is_not_used(app: CareLedger) -> None:
    nid, _ = requested(app)
    _, other = requested_again(app)
    outcome = app.record_notification_sent(meta(timedelta(seconds=1)), nid, 1, "m-1", other)
    assert outcome.aggregate is not other and other.version == 2
    assert events(app, nid)[-1] == "NotificationSent"


def requested_again(app: CareLedger) -> tuple[UUID, Notification]:
    made: list[Notification] = []
    other = replace(REQUEST, recipient_id="agent-bo")
    outcome = app.request_notification(meta(), other, None, 30, made.append)
    return outcome.aggregate_id, made[0]


@pytest.fixture
def receipt_lookups(app: CareLedger, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command ids whose receipt is looked for from here on."""
    asked: list[str] = []
    select = app.receipts.select_receipt

    def spied(command_id: str) -> object:
        asked.append(command_id)
        return select(command_id)

    monkeypatch.setattr(app.receipts, "select_receipt", spied)
    return asked


def test_with_a_copy_the_receipt_is_not_looked_for_before_the_write(
    app: CareLedger, receipt_lookups: list[str]
) -> None:
    nid, copy = requested(app)
    sent = meta(timedelta(seconds=1))
    app.record_notification_sent(sent, nid, 1, "m-1", copy)
    assert sent.command_id not in receipt_lookups
    # without a copy it still is, before any work
    other, _ = requested_again(app)
    alone = meta(timedelta(seconds=2))
    receipt_lookups.clear()
    app.record_notification_sent(alone, other, 1, "m-2")
    assert receipt_lookups == [alone.command_id]


@pytest.mark.parametrize("repeat_with", ["the changed copy", "a copy from before", "no copy"])
def test_a_repeat_is_still_answered_from_the_receipt_and_records_nothing(
    app: CareLedger, repeat_with: str
) -> None:
    nid, copy = requested(app)
    before = deepcopy(copy)  # another process's copy, as it claimed the attempt
    sent = meta(timedelta(seconds=1))
    first = app.record_notification_sent(sent, nid, 1, "m-1", copy)
    known = {"the changed copy": copy, "a copy from before": before, "no copy": None}[repeat_with]
    again = app.record_notification_sent(sent, nid, 1, "m-1", known)
    assert again.replayed and (again.aggregate_id, again.version) == (nid, first.version)
    assert events(app, nid).count("NotificationSent") == 1
    # the same command id with other arguments is refused, from any copy, and records nothing
    with pytest.raises(IdempotencyKeyReusedError):
        app.record_notification_sent(sent, nid, 1, "m-2", deepcopy(before))
    assert events(app, nid)[-1] == "NotificationSent" and len(events(app, nid)) == 3
