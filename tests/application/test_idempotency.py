from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from application.app import CareLedger
from application.errors import IdempotencyKeyReusedError, NotFoundError
from domain.errors import InvalidInputError, TransitionRefusedError
from tests.application.builders import customer, order
from tests.support import meta


def event_count(app: CareLedger) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_repeated_command_id_returns_the_first_outcome_and_records_nothing(
    app: CareLedger,
) -> None:
    # given an order
    order_id = order(app, customer(app))
    # when the same confirmation arrives twice with one command id
    first = app.confirm_order(meta(command_id="confirm-1"), order_id)
    before = event_count(app)
    again = app.confirm_order(meta(command_id="confirm-1"), order_id)
    # then the second is the first outcome, marked replayed, and nothing new is stored
    assert (again.aggregate_id, again.version, again.position) == (
        first.aggregate_id,
        first.version,
        first.position,
    )
    assert again.replayed and not first.replayed
    assert event_count(app) == before
    assert len(list(app.events.get(order_id))) == 2


def test_a_repeated_create_returns_the_same_new_aggregate(app: CareLedger) -> None:
    customer_id = customer(app)
    about = order(app, customer_id)
    first = app.send_survey(meta(command_id="survey-1"), customer_id, "order", about, "sms")
    again = app.send_survey(meta(command_id="survey-1"), customer_id, "order", about, "sms")
    assert again.aggregate_id == first.aggregate_id and again.replayed


def test_a_command_id_reused_for_another_command_is_refused(app: CareLedger) -> None:
    order_id = order(app, customer(app))
    app.confirm_order(meta(command_id="k-1"), order_id)
    with pytest.raises(IdempotencyKeyReusedError) as refused:
        app.start_preparation(meta(command_id="k-1"), order_id)
    assert "confirm_order" not in str(refused.value)


def test_a_command_id_reused_with_other_arguments_is_refused(app: CareLedger) -> None:
    order_id = order(app, customer(app))
    app.confirm_order(meta(), order_id)
    app.send_order_confirmation(meta(command_id="k-2"), order_id, "sms")
    with pytest.raises(IdempotencyKeyReusedError):
        app.send_order_confirmation(meta(command_id="k-2"), order_id, "email")


def test_concurrent_duplicates_of_one_command_record_one_set_of_events(app: CareLedger) -> None:
    # given an order and eight threads sending the same confirmation at once
    order_id = order(app, customer(app))
    start = threading.Barrier(8)

    def send() -> int:
        start.wait()
        return app.confirm_order(meta(command_id="same-confirm"), order_id).version

    with ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(lambda _: send(), range(8)))
    # then all saw the one outcome, and one OrderConfirmed was stored
    assert versions == [2] * 8
    topics = [e.__class__.__name__ for e in app.events.get(order_id)]
    assert topics == ["OrderReceived", "OrderConfirmed"]


def test_refused_and_invalid_commands_record_nothing(app: CareLedger) -> None:
    order_id = order(app, customer(app))
    before = event_count(app)
    with pytest.raises(TransitionRefusedError) as refused:
        app.deliver_order(meta(), order_id)
    assert refused.value.state == "Received"
    with pytest.raises(InvalidInputError) as invalid:
        app.send_order_confirmation(meta(), order_id, "pigeon")
    assert invalid.value.field == "via"
    with pytest.raises(NotFoundError):
        app.confirm_order(meta(), customer(app))
    assert event_count(app) == before + 1  # only the customer registered just above
