from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from application.app import CareLedger
from application.settings import Settings
from domain.order import Order
from domain.survey import Survey, SurveyVia
from tests.application.builders import customer, order
from tests.backends import make_settings
from tests.support import meta
from tests.unit.replay import replayed, state_of


def test_long_streams_load_from_a_snapshot_equal_to_a_full_replay(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # given snapshots every 5 events and an order with 8 events
    settings: Settings = make_settings(backend, tmp_path, request, snapshot_interval=5)
    with CareLedger(settings) as app:
        order_id = order(app, customer(app))
        for step in (app.confirm_order, app.start_preparation, app.pack_order):
            step(meta(), order_id)
        app.assign_courier(meta(), order_id, "c-1", "fleet")
        app.pick_up_order(meta(), order_id)
        app.deliver_order(meta(), order_id)
        app.record_refund(meta(), order_id, "1.00", "guarantee")
        # then a snapshot at version 5 exists and loading equals replaying every event
        assert app.snapshots is not None
        snapshots = list(app.snapshots.get(order_id))
        assert [s.originator_version for s in snapshots] == [5]
        loaded = app.load(Order, order_id)
        assert loaded.version == 8
        assert state_of(loaded) == replayed(app, order_id)


def test_an_old_shaped_event_is_upcast_when_read(app: CareLedger) -> None:
    # given a SurveySent recorded by version 1 of the code, which called `via` `channel`
    customer_id = customer(app)
    current = app.send_survey(meta(), customer_id, "order", order(app, customer_id), "email")
    stored = app.recorder.select_events(current.aggregate_id)[0]
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    state["channel"] = state.pop("via")
    old_id = uuid4()
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=old_id,
                originator_version=1,
                topic=stored.topic,
                state=json.dumps(state).encode(),
            )
        ]
    )
    # when it is read by today's code
    survey = app.load(Survey, old_id)
    # then it arrives in today's shape
    assert survey.via == SurveyVia.EMAIL
    assert stored.topic == "careledger.SurveySent"
