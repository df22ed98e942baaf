"""`careledger demo` on SQLite: a 60-order day, recorded through commands only, the same for the
same seed, and every read model showing it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.cli import main
from application.app import CareLedger
from application.errors import NotFoundError
from demo.day import DaySpec
from demo.notices import deliver_day
from demo.run import DemoRun, record_day
from demo.world import REGIONS
from domain.calendar import shift
from domain.complaint import Complaint
from domain.incident import Incident
from domain.meta import Channel
from domain.order import Order
from domain.order_ledger import OrderLedger
from domain.values import Sealed
from projections.engine.store import open_view_store
from projections.views.agent_queue import queue_counts
from projections.views.audit_trail import actor_history, entity_history
from tests.demo.recorded import cli_environment, sqlite_settings, stored_events

SPEC = DaySpec(orders=60, seed=11, day=date(2026, 11, 22))  # a Sunday
SPEC_START = datetime(2026, 11, 22, tzinfo=UTC)
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00")
NOTICE_REQUESTED = "careledger.NotificationRequested"


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CareLedger, DemoRun]]:
    settings = sqlite_settings(tmp_path_factory.mktemp("demo"))
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        try:
            run = record_day(app, store, SPEC)
            began = datetime.now(UTC)
            deliver_day(app, store, settings, began, began + timedelta(hours=1))
            yield app, run
        finally:
            store.close()


class Normaliser:
    """An event log with what no seed decides taken out: recorded times, and the aggregate ids
    the application draws at random (uuid4), each replaced by the order it first appeared in,
    also inside text (the policies' command ids name them). Every other id, the demo's command
    ids among them, is compared as it is; sealed personal data as its plaintext.

    The notices are delivered after the day, now, by workers in parallel: their streams are
    compared as a set, each in its own order, with every time in them taken out and each
    notification's own id written as "this" (it derives from the event that called for it,
    which the rest of its fields name)."""

    def __init__(self, app: CareLedger) -> None:
        self.app = app
        events = stored_events(app)
        notifications = {str(e.originator_id) for t, e in events if t == NOTICE_REQUESTED}
        self.events = [(t, e) for t, e in events if str(e.originator_id) not in notifications]
        self.notices: dict[str, list[Any]] = {}
        for _, e in events:
            if str(e.originator_id) in notifications:
                self.notices.setdefault(str(e.originator_id), []).append(e)
        self.ids: dict[str, str] = {}
        for _, event in self.events:
            self.ids.setdefault(str(event.originator_id), f"aggregate-{len(self.ids)}")

    def log(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        day = [self.event(topic, e) for topic, e in self.events]
        return day, sorted(self.stream(stream) for stream in self.notices.values())

    def stream(self, events: list[Any]) -> tuple[Any, ...]:
        own = str(events[0].originator_id)
        self.ids[own] = "this"
        try:
            return tuple(
                self.untimed(self.event("notice", e))
                for e in sorted(events, key=lambda e: e.originator_version)
            )
        finally:
            del self.ids[own]

    def untimed(self, value: Any) -> Any:
        if isinstance(value, tuple):
            if len(value) == 2 and value[0] == "occurred_at":
                return (value[0], "time")
            return tuple(self.untimed(v) for v in value)
        if isinstance(value, str) and TIME_TEXT.fullmatch(value):
            return "time"
        return value

    def event(self, topic: str, event: Any) -> tuple[Any, ...]:
        fields = {k: v for k, v in vars(event).items() if k != "timestamp"}
        return (topic, event.originator_version, self.value(fields))

    def value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return ("sealed", self.app.vault.open(value))
        if isinstance(value, UUID):
            return self.id(str(value))
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, str):
            return UUID_TEXT.sub(lambda m: self.id(m.group()), value)
        if isinstance(value, datetime | Decimal):
            return str(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.value({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
        if isinstance(value, dict):
            return tuple(sorted((k, self.value(v)) for k, v in value.items()))
        if isinstance(value, list | tuple):
            return tuple(self.value(v) for v in value)
        return value

    def id(self, text: str) -> str:
        return self.ids.get(text, text)


def test_every_event_comes_from_a_command_with_its_receipt(
    day: tuple[CareLedger, DemoRun],
) -> None:
    app, _ = day
    # given the recorded day, when each event's command is looked up
    events = stored_events(app)
    assert len(events) > 600
    for _, event in events:
        receipt = app.receipts.select_receipt(event.meta.command_id)
        # then its receipt names the event's aggregate, at the event's version or later
        assert receipt is not None, event
        if receipt.originator_id != event.originator_id:
            if type(event).__name__ in REVERSE_LINKS:
                # a link is kept on both sides in the linking command's own transaction
                assert receipt.originator_id in linked_to(event), event
                continue
            if type(event).__name__ == "OrderSpendRecorded":
                # a delivery counts in its customer's spend in the delivery's own transaction
                assert event.order_id == receipt.originator_id, event
                continue
            # a payout is charged to its order's ledger in the payout's own transaction
            assert about_order(app, receipt.originator_id) == ledger_order(app, event)
            continue
        assert receipt.originator_version >= event.originator_version


REVERSE_LINKS = {"ComplaintLinked", "ComplaintsLinked", "OrderLinkedToIncident"}


def linked_to(event: Any) -> set[UUID]:
    """What the link event names on the other side: its incident, or its complaints."""
    named = {getattr(event, "incident_id", None), *getattr(event, "complaint_ids", ())}
    return {i for i in named if i is not None}


def ledger_order(app: CareLedger, event: Any) -> UUID:
    return app.load(OrderLedger, event.originator_id).order_id


def about_order(app: CareLedger, aggregate_id: UUID) -> UUID | None:
    """The order itself, or the order a complaint is about."""
    try:
        return app.load(Order, aggregate_id).id
    except NotFoundError:
        return app.load(Complaint, aggregate_id).order_id


def test_orders_come_from_every_channel_and_region(day: tuple[CareLedger, DemoRun]) -> None:
    app, _ = day
    received = [e for topic, e in stored_events(app) if topic == "careledger.OrderReceived"]
    assert {str(e.channel) for e in received} == {c.value for c in Channel}
    assert {e.region for e in received} == {r.code for r in REGIONS}


def test_every_read_model_shows_the_day(day: tuple[CareLedger, DemoRun]) -> None:
    _, run = day
    summary = run.summary
    board = summary.dashboard
    # complaints: several categories and every severity, resolution times, SLA clocks met and
    # breached
    assert board.received > 0 and len(board.by_category) >= 4
    assert set(board.by_severity) == {"general", "major", "urgent"}
    assert board.resolution_time.p50 is not None and board.first_response_time.p90 is not None
    assert sum(board.sla_met.values()) > 0 and sum(board.sla_breached.values()) > 0
    assert board.escalations > 0 and board.reopened > 0
    # surveys: a partial response with scores
    assert summary.satisfaction.response_rate is not None
    assert 0.5 <= summary.satisfaction.response_rate <= 0.9
    assert all(d.csat is not None for d in summary.satisfaction.dimensions)
    # delays: late orders, by more than one cause, some detected before the promise
    assert summary.delays.late > 0 and len(summary.delays.late_by_attribution) >= 2
    assert summary.delays.detections > 0 and summary.delivered_late_min
    # incidents: acknowledged and resolved, hence MTTA and MTTR
    assert summary.incidents.reported == 3
    assert summary.incidents.mtta_s is not None and summary.incidents.mttr_s is not None
    # orders and complaints ended in more than one way
    assert {"Delivered", "Cancelled", "Rejected"} <= set(summary.orders)
    assert {"Closed", "Resolved"} & set(summary.complaints)
    # the audit chain holds
    assert summary.audit.ok and summary.audit.checked == summary.events


def test_the_audit_trail_and_the_agent_queue_are_filled(day: tuple[CareLedger, DemoRun]) -> None:
    app, run = day
    settings = app.settings
    store = open_view_store(settings)
    try:
        history = entity_history(store, run.ids["complaint:0"])
        counts = queue_counts(store)
    finally:
        store.close()
    # the first complaint's history starts where it was filed, every entry with its command
    assert [e.event for e in history.entries][:2] == ["ComplaintReceived", "SlaClockStarted"]
    assert all(e.command_id for e in history.entries)
    # the queue holds exactly the complaints still open at the day's end (on this small day,
    # perhaps none)
    closed = ("Closed", "Merged")
    still_open = {s: n for s, n in run.summary.complaints.items() if s not in closed}
    assert counts["by_status"] == still_open


def test_customers_act_as_themselves(day: tuple[CareLedger, DemoRun]) -> None:
    app, run = day
    store = open_view_store(app.settings)
    try:
        # given the first complaint's customer, when their actions are looked up by their id
        complaint = app.load(Complaint, run.ids["complaint:0"])
        mine = actor_history(store, str(complaint.customer_id), limit=200).entries
    finally:
        store.close()
    # then they registered, ordered and complained, all as themselves
    assert {"CustomerRegistered", "OrderReceived", "ComplaintReceived"} <= {e.event for e in mine}
    assert {(e.actor_kind, e.actor_id) for e in mine} == {("customer", str(complaint.customer_id))}
    assert str(complaint.id) in {e.entity_id for e in mine}
    # and every customer action of the day is some customer's own id
    customers = {str(run.ids[c.key]) for c in run.day.customers if c.key in run.ids}
    actors = {e.meta.actor.id for _, e in stored_events(app) if e.meta.actor.kind == "customer"}
    assert actors <= customers


def test_the_same_seed_records_the_same_day_and_repeating_it_adds_nothing(
    day: tuple[CareLedger, DemoRun],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, _ = day
    # given the same day recorded again from the command line into a fresh store
    cli_environment(monkeypatch, tmp_path)
    argv = ["demo", "--orders", "60", "--seed", "11", "--start", "2026-11-22"]
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert "Audit chain: intact" in printed.out and "commands/s" in printed.err
    with CareLedger(sqlite_settings(tmp_path)) as second:
        # then both logs hold the same events, in the same order, with the same fields
        assert Normaliser(second).log() == Normaliser(first).log()
        recorded = second.recorder.max_notification_id()
    # and when the same day is recorded once more into that store, every command replays
    assert main(argv) == 0
    with CareLedger(sqlite_settings(tmp_path)) as again:
        assert again.recorder.max_notification_id() == recorded


def test_the_food_poisoning_incident_arises_from_a_detected_cluster(
    day: tuple[CareLedger, DemoRun],
) -> None:
    app, run = day
    events = stored_events(app)
    detected = [e for topic, e in events if topic == "careledger.ClusterDetected"]
    # the detector proposed one cluster: the poisoned kitchen's, at the food-safety threshold
    assert [(e.rule, e.meta.actor.id) for e in detected] == [
        ("food_safety_restaurant", "cluster-detector")
    ]
    assert len(detected[0].complaint_ids) >= 3
    # the commander accepted it, which opened the incident, with the complaints linked
    (accepted,) = [e for topic, e in events if topic == "careledger.ClusterAccepted"]
    assert accepted.meta.actor.role == "incident_commander"
    incident = app.load(Incident, run.ids["incident:food_safety"])
    assert incident.id == accepted.incident_id
    assert (incident.source, incident.type, incident.severity) == (
        "complaint_cluster",
        "public_health",
        "II",
    )
    assert set(detected[0].complaint_ids) <= set(incident.complaint_ids)
    assert str(incident.status) == "Closed"


def test_the_after_sales_desk_keeps_office_hours(day: tuple[CareLedger, DemoRun]) -> None:
    app, _ = day
    # every after-sales hand-back clock of the day counts Shanghai office hours, the others 24/7
    started = [e for t, e in stored_events(app) if t == "careledger.SlaClockStarted"]
    calendars = {(str(e.clock), e.calendar) for e in started}
    assert ("after_sales_handback", "after-sales-office") in calendars
    assert {c for clock, c in calendars if clock != "after_sales_handback"} == {"always"}
    assert {c for clock, c in calendars if clock == "after_sales_handback"} == {
        "after-sales-office"
    }
    # and each is due after 24 h of the office's working time, not of wall time: handed on
    # on a Sunday, it waits for Monday 09:00 in Shanghai
    office = app.sla_book().calendar_at("after-sales-office", SPEC_START)
    handbacks = [e for e in started if str(e.clock) == "after_sales_handback"]
    for e in handbacks:
        assert e.due_at == shift(office, e.meta.occurred_at, 24 * 3600)
        assert e.due_at - e.meta.occurred_at > timedelta(days=2)


def test_the_days_new_figures_agree_with_a_recomputation_from_its_log(
    day: tuple[CareLedger, DemoRun],
) -> None:
    """The figures of issue 15 recomputed from the recorded events alone, not the views."""
    app, run = day
    board, delays = run.summary.dashboard, run.summary.delays
    start, end = board.window_start, board.window_end
    events = [(topic.removeprefix("careledger."), e) for topic, e in stored_events(app)]

    def inside(e: Any) -> bool:
        return bool(start <= e.meta.occurred_at < end)

    received = {e.originator_id: e.meta.occurred_at for t, e in events if t == "ComplaintReceived"}
    answered: dict[UUID, datetime] = {}
    for t, e in events:
        if t == "FirstResponseSent":
            answered.setdefault(e.originator_id, e.meta.occurred_at)
    # first responses sent in the window, and the complaints received in it never answered,
    # aged at the window's end (it ended before now)
    waits = [(at - received[c]).total_seconds() for c, at in answered.items() if start <= at < end]
    never = [c for c, at in received.items() if start <= at < end and c not in answered]
    ages = [(end - received[c]).total_seconds() for c in never]
    fr = board.first_response_time
    assert (fr.count, fr.unanswered) == (len(waits) + len(ages), len(ages))
    assert fr.mean == pytest.approx(sum(waits + ages) / fr.count, abs=0.01)
    # resolutions in the window: every event, and the complaints they were of
    resolved = [e.originator_id for t, e in events if t == "ComplaintResolved" and inside(e)]
    assert (board.resolutions, board.complaints_resolved) == (len(resolved), len(set(resolved)))
    assert board.complaints_resolved < board.resolutions  # the day reopens and re-resolves
    # CSAT of the surveys about complaints answered in the window, all dimensions together
    about = {
        e.originator_id for t, e in events if t == "SurveySent" and str(e.subject) == "complaint"
    }
    scores = [
        s
        for t, e in events
        if t == "SurveyResponded" and inside(e) and e.originator_id in about
        for s in e.scores.as_dict().values()
    ]
    assert scores and board.csat == sum(1 for s in scores if s >= 4) / len(scores)
    # survey response rates per channel the survey went by: answers in the window over the
    # surveys sent in it
    via = {e.originator_id: str(e.via) for t, e in events if t == "SurveySent"}
    for channel, counted in run.summary.satisfaction.by_via.items():
        sent = [e for t, e in events if t == "SurveySent" and inside(e) and str(e.via) == channel]
        answered_by = [
            e
            for t, e in events
            if t == "SurveyResponded" and inside(e) and via[e.originator_id] == channel
        ]
        assert (counted.sent, counted.responded) == (len(sent), len(answered_by))
    assert (
        sum(c.sent for c in run.summary.satisfaction.by_via.values())
        == run.summary.satisfaction.sent
    )
    # received per department: each complaint under the last department it was assigned to
    department: dict[UUID, str] = {}
    for t, e in events:
        if t == "ResponsibilityAssigned":
            department[e.originator_id] = str(e.department)
    in_window = [c for c, at in received.items() if start <= at < end and c in department]
    expected = {
        d: sum(1 for c in in_window if department[c] == d) for d in set(department.values())
    }
    assert board.by_department == {d: n for d, n in expected.items() if n}
    # late orders: each counted where it was recorded late, by its lateness at delivery if it
    # was delivered (rounded up to the minute, as OrderLate rounds), else as recorded
    promised = {e.originator_id: e.promised_at for t, e in events if t == "OrderReceived"}
    delivered = {e.originator_id: e.meta.occurred_at for t, e in events if t == "OrderDelivered"}
    late = []
    for t, e in events:
        if t == "OrderLate" and inside(e):
            arrived = delivered.get(e.originator_id)
            at_delivery = 0
            if arrived is not None:
                at_delivery = -(-(arrived - promised[e.originator_id]).total_seconds() // 60)
            late.append(max(e.late_min, int(at_delivery)))
    assert delays.late == len(late) > 0
    assert (delays.mean_late_min, delays.max_late_min) == (sum(late) / len(late), max(late))
    # which is what the orders took to arrive, not the minute past the promise the watchdog saw
    assert sum(late) / len(late) > 1.5
