"""Histories written late: a complaint recorded whole from a previous system is judged at the
business times of its own steps, and the live sweeper and notices leave it alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.app import CareLedger
from domain.complaint import Complaint
from domain.complaint_history import HistoryStep
from domain.complaint_types import ComplaintStatus
from domain.errors import InvalidInputError
from domain.meta import Reason
from domain.values import Sealed
from policies.cluster_detector import ClusterDetector
from policies.sla_sweeper import SlaSweeper
from projections.engine.store import ViewStore
from projections.views.notice_work import wanted_notices
from projections.views.notices import NoticesProjection
from tests.application.builders import customer
from tests.policies.clusters import Kitchens, detections
from tests.projections.catch_up import Project
from tests.support import T0, meta

WEEKS_AGO = T0 - timedelta(weeks=3)


def after(minutes: float) -> datetime:
    return WEEKS_AGO + timedelta(minutes=minutes)


FINISHED = [
    HistoryStep("reply", after(1), text="We are looking into it"),
    HistoryStep(
        "classify", after(5), category="logistics", subcategory="late_delivery", severity="major"
    ),
    HistoryStep("assign", after(6), department="customer_service", person="agent-3"),
    HistoryStep("start_work", after(7)),
    HistoryStep("propose_solution", after(50), remedy="apology"),
    HistoryStep("resolve", after(60), outcome="explained"),
    HistoryStep("record_root_cause", after(70), cause="rain", corrective_action="more couriers"),
    HistoryStep("close", after(120), closed_by="agent"),
]


def import_history(app: CareLedger, steps: list[HistoryStep], command_id: str = "imp-1") -> UUID:
    return app.import_complaint_history(
        meta(T0, command_id=command_id, reason=Reason("migration", "from the old helpdesk")),
        customer_id=customer(app),
        order_id=None,
        channel="phone",
        content="The order came two hours late",
        received_at=WEEKS_AGO,
        steps=steps,
    ).aggregate_id


def names(app: CareLedger, complaint: UUID, prefix: str = "Sla") -> list[str]:
    events: list[Any] = list(app.events.get(complaint))
    return [
        f"{type(e).__name__} {getattr(e, 'clock', '')}".strip()
        for e in events
        if type(e).__name__.startswith(prefix)
    ]


def test_a_finished_complaint_imported_weeks_late_records_no_breach(
    app: CareLedger, views: ViewStore, project: Project
) -> None:
    # given a complaint resolved one hour into its 12-hour target, three weeks ago
    complaint = import_history(app, FINISHED)
    # then every clock was met at the business time of its step, none breached
    assert names(app, complaint) == [
        "SlaClockStarted first_response",
        "SlaClockStarted registration",
        "SlaClockStarted resolution",
        "SlaMet first_response",
        "SlaMet registration",
        "SlaClockRetargeted resolution",
        "SlaMet resolution",
    ]
    loaded = app.load(Complaint, complaint)
    assert loaded.status == ComplaintStatus.CLOSED
    assert loaded.resolved_at == after(60)
    assert loaded.clocks["resolution"].elapsed_s(T0) == 3600
    # and each event is history: at its own business time, marked by the import's reason
    events: list[Any] = list(app.events.get(complaint))
    assert {e.meta.reason.code for e in events} == {"history_import"}
    # with the import's words sealed under the customer's key, as every reason's words are
    assert {e.meta.reason.text for e in events} == {""}
    opened = {app.vault.open(e.meta.reason.sealed) for e in events}
    assert opened == {"from the old helpdesk"}
    assert max(e.meta.occurred_at for e in events) == after(120)
    # and its root cause is sealed under the customer's key too
    sealed = [loaded.root_cause, loaded.corrective_action]
    assert [app.vault.open(v) for v in sealed if isinstance(v, Sealed)] == [
        "rain",
        "more couriers",
    ]
    # and the live sweeper, sweeping at today's wall time, finds nothing to judge
    assert SlaSweeper(app, views).sweep(T0) == 0
    assert names(app, complaint, "SlaBreached") == []
    # and no notice is asked for the history (the reply, the resolution)
    project(NoticesProjection())
    assert [w for w in wanted_notices(views) if w.source_id == complaint] == []


def test_an_open_history_is_judged_at_its_due_times_not_at_the_import(
    app: CareLedger, views: ViewStore
) -> None:
    # given a complaint answered and classified in time three weeks ago, still being worked
    complaint = import_history(app, FINISHED[:4])
    # then the import judged the 12-hour resolution clock (from the filing) where it fell due
    events: list[Any] = list(app.events.get(complaint))
    warning, breach = (e for e in events if type(e).__name__ in ("SlaWarning", "SlaBreached"))
    assert (warning.clock, warning.meta.occurred_at) == ("resolution", after(0.8 * 720))
    assert (breach.clock, breach.meta.occurred_at, breach.late_by_s) == (
        "resolution",
        after(720),
        0,
    )
    # and the live sweeper has nothing left to judge
    assert SlaSweeper(app, views).sweep(T0) == 0
    assert app.load(Complaint, complaint).status == ComplaintStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([FINISHED[1], FINISHED[0]], "steps[1].at"),
        ([HistoryStep("classify", after(5), category="logistics")], "steps[0].subcategory"),
        ([HistoryStep("teleport", after(5))], "steps[0].action"),
        (
            [
                HistoryStep(
                    "classify", after(5), category="weather", subcategory="x", severity="major"
                )
            ],
            "steps[0].category",
        ),
        ([HistoryStep("start_work", T0 + timedelta(hours=1))], "steps[0].at"),
    ],
)
def test_a_bad_history_is_a_validation_error_and_records_nothing(
    app: CareLedger, steps: list[HistoryStep], field: str
) -> None:
    position = app.recorder.max_notification_id()
    with pytest.raises(InvalidInputError) as invalid:
        import_history(app, steps)
    assert invalid.value.field == field
    # only the customer registered for it was recorded
    assert (app.recorder.max_notification_id() or 0) - (position or 0) == 1


def test_imported_complaints_about_one_kitchen_form_no_cluster_today(
    app: CareLedger, views: ViewStore
) -> None:
    # given three food-poisoning complaints about one kitchen within an hour, three weeks ago,
    # imported: live, three within two hours would propose an incident
    kitchen = Kitchens(app)
    for n in range(3):
        order_id = kitchen.order(WEEKS_AGO - T0 + timedelta(minutes=20 * n))
        app.import_complaint_history(
            meta(T0, command_id=f"imp-k{n}"),
            customer_id=kitchen.customer,
            order_id=order_id,
            channel="app",
            content="Ill since lunch",
            received_at=after(20 * n + 30),
            steps=[
                HistoryStep(
                    "classify",
                    after(20 * n + 31),
                    category="food_safety",
                    subcategory="food_poisoning",
                    severity="urgent",
                )
            ],
        )
    # then the cluster detector finds nothing to propose
    assert ClusterDetector(app, views).detect(T0) == 0
    assert detections(app) == []


def test_a_step_at_the_very_due_time_meets_the_clock(app: CareLedger) -> None:
    # given a first response sent exactly at its 2-minute due time, weeks ago
    complaint = import_history(app, [HistoryStep("reply", after(2), text="Sorry")])
    # then the clock warned at 96 s and was met at 120 s, as a live stop at the due time is
    clock_events = [n for n in names(app, complaint) if n.endswith("first_response")]
    assert clock_events == [
        "SlaClockStarted first_response",
        "SlaWarning first_response",
        "SlaMet first_response",
    ]
