"""Free text outside the reason: a complaint's root cause and corrective action and an order's
rejection and cancellation reasons are sealed under the customer's key; what was recorded in
plain words before still reads; a cluster's and an endpoint's reasons are codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast
from uuid import UUID

import pytest

from application.app import CareLedger
from application.vault import ERASED
from domain.complaint import Complaint
from domain.errors import InvalidInputError
from domain.order import Order
from domain.values import Sealed, Unsealed
from tests.application.builders import customer, order
from tests.support import CUSTOMER, meta


def complaint_of(app: CareLedger, customer_id: UUID) -> UUID:
    filed = app.file_complaint(
        meta(actor=CUSTOMER), customer_id=customer_id, order_id=None, content="cold", channel="app"
    ).aggregate_id
    app.classify_complaint(meta(), filed, "logistics", "late", "major")
    return filed


def events_named(app: CareLedger, entity_id: UUID, name: str) -> list[Any]:
    return [e for e in app.events.get(entity_id) if type(e).__name__ == name]


def test_an_erased_customers_order_still_closes_and_keeps_no_words(app: CareLedger) -> None:
    # given a customer's two orders, and the customer erased
    customer_id = customer(app)
    rejected, cancelled = order(app, customer_id), order(app, customer_id)
    app.confirm_order(meta(), cancelled)
    app.erase_customer(meta(), customer_id)
    # when they are rejected and cancelled with reasons in words
    app.reject_order(meta(), rejected, "Li Wei's street is closed")
    app.cancel_order(meta(), cancelled, "Li Wei moved away", "merchant")
    # then both close, with no words kept: nothing could seal them any more
    closed = [app.load(Order, rejected), app.load(Order, cancelled)]
    assert [(str(o.status), o.closing_reason) for o in closed] == [
        ("Rejected", None),
        ("Cancelled", None),
    ]
    assert events_named(app, cancelled, "OrderCancelled")[0].reason is None


def test_words_sealed_under_another_key_or_unsealed_are_refused_by_the_aggregate(
    app: CareLedger,
) -> None:
    # given a complaint and an order of one customer, and another customer's key
    customer_id, other = customer(app), customer(app)
    complaint_id, order_id = complaint_of(app, customer_id), order(app, customer_id)
    foreign = app.vault.seal(other, "words")
    complaint, placed = app.load(Complaint, complaint_id), app.load(Order, order_id)
    # then words sealed for someone else, or not sealed at all, are refused naming the field
    refusals: list[tuple[Callable[[], object], str]] = [
        (lambda: complaint.record_root_cause(meta(), foreign, foreign, None), "cause"),
        (lambda: placed.reject(meta(), foreign), "reason"),
        (lambda: placed.reject(meta(), "plain words"), "reason"),  # type: ignore[arg-type]
    ]
    for attempt, field in refusals:
        with pytest.raises(InvalidInputError) as refused:
            attempt()
        assert refused.value.field == field
    # and nothing was recorded
    assert complaint.pending_events == [] and placed.pending_events == []


def test_blank_or_overlong_words_are_refused_before_anything_is_sealed(app: CareLedger) -> None:
    customer_id = customer(app)
    complaint_id, order_id = complaint_of(app, customer_id), order(app, customer_id)
    before = app.recorder.max_notification_id()
    attempts: list[tuple[Callable[[], object], str]] = [
        (lambda: app.record_root_cause(meta(), complaint_id, " ", "fix"), "cause"),
        (lambda: app.record_root_cause(meta(), complaint_id, "x", "y" * 2001), "corrective_action"),
        (lambda: app.reject_order(meta(), order_id, ""), "reason"),
        (lambda: app.cancel_order(meta(), order_id, "z" * 201, "customer"), "reason"),
    ]
    for attempt, field in attempts:
        with pytest.raises(InvalidInputError) as refused:
            attempt()
        assert refused.value.field == field
    assert app.recorder.max_notification_id() == before


def recorded_in_plain_words(
    app: CareLedger, monkeypatch: pytest.MonkeyPatch, customer_id: UUID
) -> tuple[UUID, UUID]:
    """A root cause and a rejection stored as the older version stored them: class version 1,
    plain words. Their complaint and order."""
    complaint = app.load(Complaint, complaint_of(app, customer_id))
    placed = app.load(Order, order(app, customer_id))
    with monkeypatch.context() as older:
        older.setattr(Complaint.RootCauseRecorded, "class_version", 1)
        older.setattr(Order.OrderRejected, "class_version", 1)
        # the older version's arguments: plain words
        cause, fix, why = cast(Any, "old oven"), cast(Any, "new oven"), cast(Any, "old words")
        complaint._root_cause_recorded(
            meta=meta(), cause=cause, corrective_action=fix, incident_id=None
        )
        placed._rejected(meta=meta(), reason=why)
        app.save(complaint, placed)
    return complaint.id, placed.id


def test_words_recorded_in_plaintext_before_they_were_sealed_still_read(
    app: CareLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a root cause and a rejection recorded in plain words by the older version
    customer_id = customer(app)
    complaint_id, order_id = recorded_in_plain_words(app, monkeypatch, customer_id)
    stored = [
        json.loads(r.state)
        for r in [*app.recorder.select_events(complaint_id), *app.recorder.select_events(order_id)]
        if r.topic in ("careledger.RootCauseRecorded", "careledger.OrderRejected")
    ]
    assert [s.get("class_version", 1) for s in stored] == [1, 1]
    # then the upcasters read their words back as Unsealed, in the events and the aggregates
    (cause,) = events_named(app, complaint_id, "RootCauseRecorded")
    (rejection,) = events_named(app, order_id, "OrderRejected")
    assert (cause.cause, cause.corrective_action) == (Unsealed("old oven"), Unsealed("new oven"))
    assert rejection.reason == Unsealed("old words")
    again, rejected = app.load(Complaint, complaint_id), app.load(Order, order_id)
    assert (again.root_cause, rejected.closing_reason) == (
        Unsealed("old oven"),
        Unsealed("old words"),
    )
    assert again.root_cause_recorded and str(rejected.status) == "Rejected"
    # and a root cause recorded now, over the old one, is sealed, class version 2
    app.record_root_cause(meta(), complaint_id, "fresh cause", "fresh fix")
    latest = app.load(Complaint, complaint_id)
    assert isinstance(latest.root_cause, Sealed)
    assert app.vault.open(latest.root_cause) == "fresh cause"
    # and erasure reaches the sealed words
    app.erase_customer(meta(), customer_id)
    assert app.vault.open(latest.root_cause) == ERASED
