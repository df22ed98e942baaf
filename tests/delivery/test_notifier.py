"""The delivery process end to end on the real stores: requested, attempted, sent or not."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from application.app import CareLedger
from delivery.channels.base import ChannelKind
from delivery.delivery_settings import DeliverySettings
from delivery.notifier import Notifier
from delivery.staff import Directory
from delivery.templates import Template, Templates
from domain.meta import Actor, ActorKind, Reason
from domain.notification import NoticeKind, Notification
from domain.order import Order
from policies.cluster_detector import ClusterDetector
from projections.engine.store import ViewStore
from projections.views.notice_work import wanted_notices
from projections.views.notices import notifications_of
from tests.application.builders import CONTACT, PHONE, customer
from tests.delivery.orders import confirmed_order
from tests.delivery.recording import PermanentDeliveryError, Recorder, TransientDeliveryError
from tests.policies.clusters import Kitchens
from tests.support import T0, Clock, meta

AGENT = Actor(ActorKind.AGENT, "agent-ana", "agent")


def statuses(views: ViewStore, subject: UUID) -> list[str]:
    return [n.status for n in notifications_of(views, subject)]


def test_an_order_confirmation_reaches_the_customers_phone_once(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder
) -> None:
    order_id = confirmed_order(app)
    # one pass, two writes: requested with its first attempt claimed, then sent
    assert notifier.run_once() == 2
    [message] = recorder[ChannelKind.SMS].sent
    assert message.to == PHONE
    assert message.kind == "order_confirmation"
    assert order_id.hex[:8].upper() in message.subject
    assert CONTACT.name in message.body and "Golden Dumpling" in message.body
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts, row.provider_id) == ("Sent", 1, "sms-1")
    assert message.id == str(row.notification_id)
    events = [type(e).__name__ for e in app.repository.event_store.get(row.notification_id)]
    assert events == ["NotificationRequested", "DeliveryAttemptStarted", "NotificationSent"]
    # nothing more on later passes: the intent was requested once, the message sent once
    assert notifier.run_once() == 0
    assert len(recorder.all()) == 1


def test_a_channel_down_for_a_while_retries_with_backoff_then_sends(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder, clock: Clock
) -> None:
    order_id = confirmed_order(app, via="email")
    recorder[ChannelKind.EMAIL].fail_next(
        TransientDeliveryError("connection refused"), TransientDeliveryError("timed out")
    )
    notifier.run_once()
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts, row.last_error) == ("Retrying", 1, "connection refused")
    assert row.due_at is not None
    # the next attempt waits 5-10 s (base 10 s, jittered over its upper half)
    assert timedelta(seconds=5) <= row.due_at - clock.now <= timedelta(seconds=10)
    assert notifier.run_once() == 0  # not due yet
    clock.advance(10)
    notifier.run_once()
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts) == ("Retrying", 2)
    assert row.due_at is not None
    assert timedelta(seconds=10) <= row.due_at - clock.now <= timedelta(seconds=20)
    clock.advance(20)
    notifier.run_once()
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts) == ("Sent", 3)
    assert len(recorder[ChannelKind.EMAIL].sent) == 1
    events = [type(e).__name__ for e in app.events.get(row.notification_id)]
    assert events.count("NotificationAttemptFailed") == 2 and events[-1] == "NotificationSent"


def test_a_permanent_refusal_is_not_retried(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder, clock: Clock
) -> None:
    order_id = confirmed_order(app)
    recorder[ChannelKind.SMS].fail_next(PermanentDeliveryError("invalid number"))
    notifier.run_once()
    notifier.run_once()
    clock.advance(3600)
    assert notifier.run_once() == 0
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts, row.last_error, row.due_at) == (
        "Failed",
        1,
        "invalid number",
        None,
    )


def test_it_gives_up_after_the_allowed_attempts(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder, clock: Clock
) -> None:
    order_id = confirmed_order(app)
    recorder[ChannelKind.SMS].fail_next(*(TransientDeliveryError("503") for _ in range(5)))
    for _ in range(6):
        notifier.run_once()
        clock.advance(1000)
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts) == ("GaveUp", 3)
    assert recorder.all() == []


def test_erasure_suppresses_what_is_queued(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder, clock: Clock
) -> None:
    order_id = confirmed_order(app)
    recorder[ChannelKind.SMS].fail_next(TransientDeliveryError("down"))
    notifier.run_once()
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert row.status == "Retrying"
    customer_id = app.load(Order, order_id).customer_id
    app.erase_customer(meta(), customer_id)
    # erased: due at once (not at its backoff), and suppressed without being sent
    notifier.run_once()
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert (row.status, row.last_error) == ("Suppressed", "customer_erased")
    assert recorder.all() == []


def test_a_template_error_fails_that_notification_and_nothing_else(
    app: CareLedger, views: ViewStore, recorder: Recorder, clock: Clock, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        '[[template]]\nkind = "order_confirmation"\nlocale = "zh-CN"\nversion = 2\n'
        'subject = "{{ no_such_parameter }}"\nbody = "x"\n',
        encoding="utf-8",
    )
    notifier = Notifier(app, views, recorder, templates=Templates.load(broken), clock=clock)
    try:
        first = confirmed_order(app)
        app.detect_delay(meta(), first, 15)
        app.send_delay_notice(meta(), first, "sms")
        notifier.run_once()
        notifier.run_once()
    finally:
        notifier.close()
    by_kind = {n.kind: n for n in notifications_of(views, first)}
    failed = by_kind["order_confirmation"]
    assert failed.status == "Failed"
    assert failed.last_error is not None and "no_such_parameter" in failed.last_error
    assert by_kind["delay_notice"].status == "Sent"  # the other notice went
    [message] = recorder.all()
    assert message.kind == "delay_notice"


def test_a_notification_keeps_the_template_version_it_was_requested_with(
    app: CareLedger, views: ViewStore, recorder: Recorder, clock: Clock
) -> None:
    v1 = Templates.load()
    order_id = confirmed_order(app)
    first = Notifier(app, views, recorder, templates=v1, clock=clock)
    try:
        first.runner.catch_up()
        first.request_wanted()
    finally:
        first.close()
    newer = Template(NoticeKind.ORDER_CONFIRMATION, "zh-CN", 2, "v2 {{ order_no }}", "v2")
    v2 = Templates([*v1._by_key.values(), newer])
    second = Notifier(app, views, recorder, templates=v2, clock=clock)
    try:
        second.run_once()
    finally:
        second.close()
    [message] = recorder.all()
    assert not message.subject.startswith("v2")
    [row] = notifications_of(views, order_id)
    assert app.load(Notification, row.notification_id).template_version == 1


def test_a_lapsed_lease_is_taken_over_and_sent_again_under_the_same_id(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder, clock: Clock
) -> None:
    order_id = confirmed_order(app)
    notifier.runner.catch_up()
    notifier.request_wanted()
    notifier.runner.catch_up()
    [row] = notifications_of(views, order_id)
    # another process claimed attempt 1, then died before recording what became of it
    app.start_delivery_attempt(meta(at=clock.now), row.notification_id, 1, 30)
    assert notifier.run_once() == 0  # its lease still runs
    clock.advance(31)
    notifier.run_once()
    notifier.run_once()
    [row] = notifications_of(views, order_id)
    assert (row.status, row.attempts) == ("Sent", 2)
    [message] = recorder.all()
    assert message.id == str(row.notification_id)


def test_two_processes_send_a_notice_once(
    app: CareLedger, views: ViewStore, recorder: Recorder, clock: Clock
) -> None:
    order_ids = [confirmed_order(app) for _ in range(6)]
    one = Notifier(app, views, recorder, clock=clock)
    two = Notifier(app, views, recorder, clock=clock)
    try:
        for _ in range(3):
            one.run_once()
            two.run_once()
    finally:
        one.close()
        two.close()
    assert sorted(m.id for m in recorder.all()) == sorted(
        str(n.notification_id) for o in order_ids for n in notifications_of(views, o)
    )
    assert all(statuses(views, o) == ["Sent"] for o in order_ids)


def test_quiet_hours_hold_a_reply_and_drop_a_survey_invitation(
    app: CareLedger, views: ViewStore, recorder: Recorder
) -> None:
    night = Clock(datetime.fromisoformat("2026-11-23T23:30:00+08:00"))
    notifier = Notifier(app, views, recorder, clock=night)
    try:
        customer_id = customer(app)
        complaint = app.file_complaint(
            meta(at=night.now, actor=AGENT),
            customer_id=customer_id,
            order_id=None,
            content="cold food",
            channel="email",
        ).aggregate_id
        app.reply_to_customer(
            meta(at=night.now, actor=AGENT), complaint, "We are sorry: a refund is on its way."
        )
        survey = app.send_survey(
            meta(at=night.now), customer_id, "complaint", complaint, "sms"
        ).aggregate_id
        notifier.run_once()
        notifier.run_once()
        [reply] = notifications_of(views, complaint)
        [invitation] = notifications_of(views, survey)
        assert (invitation.status, invitation.last_error) == ("Suppressed", "quiet_hours")
        assert reply.status == "Queued"
        assert reply.due_at == datetime.fromisoformat("2026-11-24T08:00:00+08:00")
        assert recorder.all() == []
        night.now = datetime.fromisoformat("2026-11-24T08:00:01+08:00")
        notifier.run_once()
        notifier.run_once()
    finally:
        notifier.close()
    [message] = recorder.all()
    assert message.channel is ChannelKind.EMAIL and message.to == CONTACT.email
    assert "a refund is on its way" in message.body


def test_nothing_rendered_and_no_address_is_recorded(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder
) -> None:
    confirmed_order(app, via="email")
    notifier.run_once()
    notifier.run_once()
    [message] = recorder.all()
    stored = b"".join(n.state for n in app.recorder.select_notifications(start=1, limit=10_000))
    for secret in (CONTACT.email, PHONE, CONTACT.name, message.body, message.subject):
        assert secret is not None and secret.encode() not in stored


def test_staff_alerts_follow_the_routes_and_are_acknowledged(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder, clock: Clock
) -> None:
    customer_id = customer(app)
    complaint = app.file_complaint(
        meta(actor=AGENT), customer_id=customer_id, order_id=None, content="late", channel="app"
    ).aggregate_id
    app.classify_complaint(
        meta(at=timedelta(seconds=10)), complaint, "product_quality", "temperature", "general"
    )
    app.assign_responsibility(
        meta(at=timedelta(seconds=20), actor=AGENT), complaint, "logistics", "agent-ana"
    )
    # 80 % of the 2-minute first response: the assignee and the logistics on-call are warned
    app.check_complaint_sla(meta(at=timedelta(seconds=100)), complaint)
    notifier.run_once()
    notifier.run_once()
    alerts = {(n.recipient_id, n.channel, n.status) for n in notifications_of(views, complaint)}
    assert alerts == {("agent-ana", "email", "Sent"), ("sup-wang", "sms", "Sent")}
    by_to = {m.to: m for m in recorder.all()}
    assert set(by_to) == {"ana@staff.careledger.example", "+8613900000001"}
    assert all(m.kind == "sla_warning" for m in by_to.values())
    # an alert is acknowledged once, by whoever took it in hand
    [ana] = [n for n in notifications_of(views, complaint) if n.recipient_id == "agent-ana"]
    app.acknowledge_alert(meta(actor=AGENT), ana.notification_id)
    notifier.runner.catch_up()
    [ana] = [n for n in notifications_of(views, complaint) if n.recipient_id == "agent-ana"]
    assert ana.acknowledged_by == "agent-ana"


def test_a_red_warning_reaches_the_commander_and_superiors_a_blue_one_the_duty_robot(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder
) -> None:
    red = app.report_incident(
        meta(), type="public_health", source="staff", title="Food poisoning", description="x"
    ).aggregate_id
    app.confirm_incident(meta(), red)
    app.establish_command(meta(), red, "sup-zhou")
    app.issue_warning(meta(), red, "red")
    blue = app.report_incident(
        meta(), type="system_failure", source="monitor", title="Slow map tiles", description="y"
    ).aggregate_id
    app.issue_warning(meta(), blue, "blue")
    notifier.run_once()
    notifier.run_once()
    assert {(n.recipient_id, n.urgent) for n in notifications_of(views, red)} == {
        ("sup-zhou", True),
        ("dir-chen", True),
    }
    assert {(n.recipient_kind, n.recipient_id) for n in notifications_of(views, blue)} == {
        ("robot", "duty")
    }
    [robot] = [m for m in recorder.all() if m.channel is ChannelKind.IM]
    assert robot.to.startswith("dingtalk+") and "Slow map tiles" in robot.body


def test_a_detected_cluster_alerts_the_commanders_and_the_duty_channel(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder
) -> None:
    kitchens = Kitchens(app)
    for n in range(3):
        kitchens.ill(timedelta(hours=3, minutes=10 * n))
    assert ClusterDetector(app, views).detect(T0 + timedelta(hours=7)) == 1
    notifier.run_once()
    notifier.run_once()
    alerts = [m for m in recorder.all() if m.kind == "cluster_detected"]
    duty = Directory.load().robots["duty"]
    assert {m.to for m in alerts} == {"+8613900000002", duty}
    assert all("Golden Dumpling" in m.subject and "3" in m.subject for m in alerts)
    assert all(m.urgent for m in alerts)


def test_a_request_repeated_without_the_claim_is_a_replay(
    app: CareLedger, views: ViewStore, recorder: Recorder, clock: Clock
) -> None:
    # given a process that requested a notice and claimed its first attempt, then died
    order_id = confirmed_order(app)
    quick = Notifier(app, views, recorder, clock=clock, settings=DeliverySettings(lease_s=30))
    try:
        quick.runner.catch_up()
        wanted = wanted_notices(views, 10)
        [planned] = quick.planner.plan(wanted[0])
        request_meta = meta(at=clock.now, command_id="request-1")
        first = app.request_notification(request_meta, planned.request, None, 30)
        # when another process requests it again, under quiet hours, so without the claim
        again = app.request_notification(request_meta, planned.request, None, None)
    finally:
        quick.close()
    # then that is the same command, replayed: not a reused id
    assert again.replayed and again.aggregate_id == first.aggregate_id
    assert [type(e).__name__ for e in app.repository.event_store.get(first.aggregate_id)] == [
        "NotificationRequested",
        "DeliveryAttemptStarted",
    ]
    assert order_id


def test_broken_glass_alerts_the_privacy_officers_at_once(
    app: CareLedger, views: ViewStore, notifier: Notifier, recorder: Recorder
) -> None:
    # an agent opens a customer's data without handling anything of theirs
    customer_id = customer(app)
    why = Reason("customer_on_the_line", "calling about a refund")
    app.break_glass(meta(timedelta(minutes=1), AGENT, reason=why), customer_id, 30)
    notifier.run_once()
    notifier.run_once()
    # the privacy officers' rota hears of it, urgently, by who and until when: not the reason
    [alert] = [m for m in recorder.all() if m.kind == "glass_broken"]
    assert alert.to == "privacy@staff.careledger.example"  # dpo-lin, delivery/staff.toml
    assert "agent-ana" in alert.subject and customer_id.hex[:8].upper() in alert.subject
    assert alert.urgent
    assert "refund" not in alert.body
