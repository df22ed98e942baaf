"""A rebuild decodes only the fields a view names: the values are the whole event's, anything
else comes from the whole event, and the rebuilt view equals the one followed live."""

from __future__ import annotations

import json
from operator import attrgetter
from typing import Any

import pytest
from eventsourcing.persistence import Notification

from application.app import CareLedger
from domain.survey import Scores, SurveySubject, survey_id_for
from projections.engine import tracking
from projections.engine.partial import Partial, PartialDecoder
from projections.engine.rebuild import rebuild
from projections.engine.store import ViewStore
from projections.views.complaint_dashboard import ComplaintDashboardProjection, complaint_dashboard
from tests.application.builders import customer, order
from tests.projections.batch_invariance import dump
from tests.projections.catch_up import Project
from tests.projections.complaint_hours import at, run_scenario
from tests.support import CUSTOMER, meta

DASHBOARD = ComplaintDashboardProjection()
WINDOW = (at(8, 0), at(12, 0))


def record(app: CareLedger) -> None:
    """The scripted hours, a survey about C1 answered, and a complaint paid compensation."""
    ids = run_scenario(app)
    app.send_survey(meta(at(10, 45)), ids["customer"], "complaint", ids["c1"], "sms")
    survey = survey_id_for(SurveySubject.COMPLAINT, ids["c1"])
    app.respond_to_survey(meta(at(10, 50), actor=CUSTOMER), survey, Scores(5, 4, 2, 3, 4))
    customer_id = customer(app)
    c = app.file_complaint(
        meta(at(9, 0), actor=CUSTOMER),
        customer_id=customer_id,
        order_id=order(app, customer_id),
        content="cold soup",
        channel="app",
    ).aggregate_id
    app.classify_complaint(meta(at(9, 1)), c, "logistics", "late_delivery", "general")
    app.assign_responsibility(meta(at(9, 2)), c, "logistics", "agent-7")
    app.start_work(meta(at(9, 3)), c)
    app.propose_solution(meta(at(9, 4)), c, "partial_refund", "12.50")
    app.issue_compensation(meta(at(9, 5)), c, "12.50", "platform")


def notes(app: CareLedger, topics: tuple[str, ...] = ()) -> list[Notification]:
    head = app.recorder.max_notification_id() or 0
    return list(app.recorder.select_notifications(0, head, topics=topics))


def test_the_fields_a_view_names_are_the_whole_events(app: CareLedger) -> None:
    # given a history of every event the dashboard reads
    record(app)
    decoder = PartialDecoder(app.mapper, DASHBOARD.reads)
    stored = notes(app, DASHBOARD.topics())
    assert {n.topic.removeprefix("careledger.") for n in stored} == set(DASHBOARD.events)
    for note in stored:
        whole = app.mapper.to_domain_event(note)
        # when it is decoded in the fields the view names
        event = decoder.decode(note)
        assert isinstance(event, Partial)
        # then each field the event has holds what the whole event holds, of the same type
        paths = ["originator_id", "originator_version", *DASHBOARD.reads]
        for path in (p for p in paths if hasattr(whole, p.split(".")[0])):
            value = attrgetter(path)(event)
            assert value == attrgetter(path)(whole), (note.topic, path)
            assert type(value) is type(attrgetter(path)(whole)), (note.topic, path)
    # and no event had to be decoded whole for it
    assert decoder.wholes == 0
    # and a value read whole is the domain's own, its methods there
    answered = [decoder.decode(n) for n in stored if n.topic.endswith("SurveyResponded")]
    assert answered[0].scores.as_dict() == Scores(5, 4, 2, 3, 4).as_dict()


def test_anything_else_asked_comes_from_the_whole_event_decoded_once(app: CareLedger) -> None:
    # given a complaint received, decoded in the dashboard's fields only
    record(app)
    (note, *_) = notes(app, ("careledger.ComplaintReceived",))
    whole: Any = app.mapper.to_domain_event(note)
    decoder = PartialDecoder(app.mapper, DASHBOARD.reads)
    event = decoder.decode(note)
    # when fields it does not name are asked for, of the event and of its metadata
    customer_id, actor = event.customer_id, event.meta.actor
    command_id = event.meta.command_id
    # then they are the whole event's, decoded once for all of them
    assert (customer_id, actor, command_id) == (
        whole.customer_id,
        whole.meta.actor,
        whole.meta.command_id,
    )
    assert decoder.wholes == 1
    # and a field no such event has is missing as it is from the whole event
    with pytest.raises(AttributeError, match="clock"):
        _ = event.clock


def restated(note: Notification, change: Any) -> Notification:
    """The stored event with its state changed by `change` (given the state as parsed)."""
    state = json.loads(note.state)
    change(state)
    return Notification(
        id=note.id,
        originator_id=note.originator_id,
        originator_version=note.originator_version,
        topic=note.topic,
        state=json.dumps(state).encode(),
    )


def test_what_the_fast_path_cannot_read_exactly_is_decoded_whole(app: CareLedger) -> None:
    # given a survey sent, stored by version 1 of its class (`channel`, not `via`)
    record(app)
    (sent,) = notes(app, ("careledger.SurveySent",))

    def version_1(state: dict[str, Any]) -> None:
        del state["class_version"]
        state["channel"] = state.pop("via")

    old = restated(sent, version_1)
    # and a complaint received whose state holds a number JSON has no name for (Python's json
    # writes and reads NaN; msgspec refuses it)
    (received, *_) = notes(app, ("careledger.ComplaintReceived",))
    odd = restated(received, lambda state: state.update(policy_version=float("nan")))
    decoder = PartialDecoder(app.mapper, (*DASHBOARD.reads, "via"))
    # when they are decoded for the dashboard
    upcast, nan = decoder.decode(old), decoder.decode(odd)
    # then each is the whole event, as the mapper reads it: upcast, and with its NaN
    current: Any = app.mapper.to_domain_event(sent)
    assert type(upcast) is type(current)
    assert upcast.via == current.via == "sms"
    assert not isinstance(nan, Partial) and nan.policy_version != nan.policy_version
    assert decoder.wholes == 2


def test_a_rebuild_of_the_dashboard_decodes_only_its_fields_and_equals_the_live_view(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the dashboard followed live, one event a batch
    record(app)
    project(ComplaintDashboardProjection(), batch_size=1)
    with views.transaction() as tx:
        generation = tracking.active_generation(tx, DASHBOARD.name)
    assert generation is not None
    live, live_board = dump(views, DASHBOARD, generation), complaint_dashboard(views, *WINDOW)
    # when it is rebuilt, in transactions of a few events
    report = rebuild(app, views, ComplaintDashboardProjection(), batch_size=4, page_size=3)
    # then no event was decoded whole, and the new generation, now serving, holds the same rows
    assert (report.old_generation, report.decoded_whole) == (generation, 0)
    assert report.events == len(notes(app, DASHBOARD.topics()))
    assert dump(views, DASHBOARD, report.new_generation) == live
    assert complaint_dashboard(views, *WINDOW) == live_board
