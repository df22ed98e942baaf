"""A rebuild decodes only the fields a view names: the values are the whole event's, anything
else comes from the whole event, and the rebuilt view equals the one followed live."""

from __future__ import annotations

import json
import multiprocessing
import re
from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import InfrastructureFactory, Notification
from eventsourcing.utils import Environment

from application.app import CareLedger
from application.errors import ServiceUnavailableError
from domain.survey import Scores, SurveySubject, survey_id_for
from projections.engine import tracking
from projections.engine.partial import Partial, PartialDecoder
from projections.engine.projection import Envelope
from projections.engine.reader_process import ReaderFailedError, Source, mapper_of, pages
from projections.engine.rebuild import rebuild
from projections.engine.store import Tx, ViewStore
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


@pytest.mark.parametrize("reader_process", [False, True])
def test_a_rebuild_of_the_dashboard_decodes_only_its_fields_and_equals_the_live_view(
    app: CareLedger, views: ViewStore, project: Project, reader_process: bool
) -> None:
    # given the dashboard followed live, one event a batch
    record(app)
    project(ComplaintDashboardProjection(), batch_size=1)
    with views.transaction() as tx:
        generation = tracking.active_generation(tx, DASHBOARD.name)
    assert generation is not None
    live, live_board = dump(views, DASHBOARD, generation), complaint_dashboard(views, *WINDOW)
    # when it is rebuilt, in transactions of a few events
    # (its fields read on a thread, or by a process of its own)
    process_from = 0 if reader_process else None
    report = rebuild(
        app, views, DASHBOARD, batch_size=4, page_size=3, reader_process_from=process_from
    )
    # then no event was decoded whole, and the new generation, now serving, holds the same rows
    assert (report.old_generation, report.decoded_whole) == (generation, 0)
    assert report.events == len(notes(app, DASHBOARD.topics()))
    assert dump(views, DASHBOARD, report.new_generation) == live
    assert complaint_dashboard(views, *WINDOW) == live_board
    # and the reading process, if any, is gone
    assert multiprocessing.active_children() == []


def test_the_reading_process_decodes_with_the_applications_transcodings(app: CareLedger) -> None:
    factory = InfrastructureFactory.construct(
        Environment(app.name, app.settings.eventsourcing_env())
    )
    names = mapper_of(factory).transcoder.names  # type: ignore[attr-defined]
    assert names.keys() == app.mapper.transcoder.names.keys()  # type: ignore[attr-defined]


class FailingDashboard(ComplaintDashboardProjection):
    """The dashboard, whose database goes away at its second transaction."""

    def __init__(self) -> None:
        self.transactions = 0

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        self.transactions += 1
        if self.transactions == 2:
            raise ServiceUnavailableError("the view database went away")
        super().process(tx, prefix, batch)


def test_an_aborted_rebuild_ends_its_reading_process_and_the_live_view_serves_on(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given the dashboard followed live
    record(app)
    project(ComplaintDashboardProjection())
    before = complaint_dashboard(views, *WINDOW)
    # when a rebuild reading in a process of its own fails at its second transaction
    with pytest.raises(ServiceUnavailableError):
        rebuild(app, views, FailingDashboard(), batch_size=4, page_size=3, reader_process_from=0)
    # then the reading process is gone, and the live generation still serves, unchanged
    assert multiprocessing.active_children() == []
    with views.transaction() as tx:
        assert tracking.active_generation(tx, DASHBOARD.name) == 1
    assert complaint_dashboard(views, *WINDOW) == before
    # and the rebuild started again retires the half-built generation and swaps in a whole one
    report = rebuild(app, views, DASHBOARD, batch_size=4, page_size=3, reader_process_from=0)
    assert (report.old_generation, report.new_generation) == (1, 3)
    assert complaint_dashboard(views, *WINDOW) == before


def test_what_fails_in_the_reading_process_is_raised_in_the_rebuild(
    app: CareLedger, tmp_path: Path
) -> None:
    # given a reading process sent to a log without the events table
    record(app)
    env = {**app.settings.eventsourcing_env(), "SQLITE_DBNAME": str(tmp_path / "empty.db")}
    env["POSTGRES_SCHEMA"] = "no_such_schema"
    source = Source(env, DASHBOARD.topics(), DASHBOARD.reads, 10)
    decoder = PartialDecoder(app.mapper, DASHBOARD.reads)
    # when its pages are asked for, then its own error is raised, its traceback the cause
    with pytest.raises(Exception) as failed:
        next(pages(decoder, source, 0, app.recorder.max_notification_id() or 0, 2))
    assert isinstance(failed.value.__cause__, ReaderFailedError)
    assert "select_notifications" in str(failed.value.__cause__)
    assert re.search("no such table|does not exist", str(failed.value)), failed.value
    assert multiprocessing.active_children() == []
