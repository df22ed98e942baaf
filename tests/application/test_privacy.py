from __future__ import annotations

import re
from pathlib import Path
from typing import cast
from uuid import UUID

import psycopg
import pytest

from application.app import CareLedger
from application.customers import ERASED_CONTACT
from application.errors import CustomerErasedError
from application.vault import ERASED
from delivery.channels.base import ChannelKind
from delivery.delivery_settings import DeliverySettings
from delivery.notifier import Notifier
from domain.complaint import Complaint
from domain.errors import TransitionRefusedError
from domain.meta import Meta, Reason
from domain.order import Order
from domain.survey import Scores, Survey
from domain.values import Sealed
from projections.engine.store import ViewStore
from projections.views.audit_trail import AuditTrailProjection
from testing.postgres_server import PostgresServer
from tests.application.builders import ADDRESS, CONTACT, PHONE, customer, order
from tests.application.key_rows import pg_dump
from tests.backends import server_fixture
from tests.delivery.recording import Recorder
from tests.projections.catch_up import Project
from tests.support import CUSTOMER, meta

COMPLAINT_TEXT = "My neighbour Zhang San at 12 Ritan Road got sick too"
COMMENT = "Ask for Mei at the back door"
REASON_TEXT = "Caller Wang Fang, the customer's sister, rang for her"
ROOT_CAUSE = "Chef Zhou let Li Wei's allergy note fall off the ticket"
CORRECTIVE = "Call Li Wei on her mobile before every peanut dish"
REJECTION = "Li Wei's building at 88 Jianguo Road is outside our area"
CANCELLATION = "Li Wei rang from hospital: she cannot take it"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SECRETS = [PHONE, ADDRESS, COMPLAINT_TEXT, COMMENT, REASON_TEXT, "li.wei@example.com"]
SECRETS += [ROOT_CAUSE, CORRECTIVE, REJECTION, CANCELLATION]


def record_personal_data(app: CareLedger) -> dict[str, UUID]:
    customer_id = customer(app)
    order_id = order(app, customer_id)
    complaint_id = app.file_complaint(
        meta(actor=CUSTOMER),
        customer_id=customer_id,
        order_id=order_id,
        content=COMPLAINT_TEXT,
        channel="app",
    ).aggregate_id
    app.reply_to_customer(meta(), complaint_id, f"We will call {PHONE}")
    why = Reason("called_on_behalf", REASON_TEXT)
    app.classify_complaint(meta(reason=why), complaint_id, "logistics", "late", "general")
    app.record_root_cause(meta(), complaint_id, ROOT_CAUSE, CORRECTIVE)
    rejected, cancelled = order(app, customer_id), order(app, customer_id)
    app.reject_order(meta(), rejected, REJECTION)
    app.confirm_order(meta(), cancelled)
    app.cancel_order(meta(actor=CUSTOMER), cancelled, CANCELLATION, "customer")
    survey_id = app.send_survey(meta(), customer_id, "order", order_id, "sms").aggregate_id
    app.respond_to_survey(meta(actor=CUSTOMER), survey_id, Scores(2, 3, 4, 5, 1), COMMENT)
    return {
        "customer": customer_id,
        "order": order_id,
        "complaint": complaint_id,
        "survey": survey_id,
        "rejected": rejected,
        "cancelled": cancelled,
    }


def classification_reason(app: CareLedger, complaint_id: UUID) -> Sealed:
    """The sealed text of the reason the complaint was classified with."""
    (classified,) = [
        e for e in app.events.get(complaint_id) if type(e).__name__ == "ComplaintClassified"
    ]
    reason = cast(Meta, classified.meta).reason  # type: ignore[attr-defined]
    assert reason is not None and (reason.code, reason.text) == ("called_on_behalf", "")
    assert reason.sealed is not None
    return reason.sealed


def free_text(app: CareLedger, ids: dict[str, UUID]) -> list[str]:
    """The root cause, the corrective action and the two orders' closing reasons, opened."""
    complaint = app.load(Complaint, ids["complaint"])
    rejected, cancelled = app.load(Order, ids["rejected"]), app.load(Order, ids["cancelled"])
    values = [
        complaint.root_cause,
        complaint.corrective_action,
        rejected.closing_reason,
        cancelled.closing_reason,
    ]
    assert all(isinstance(v, Sealed) for v in values), values
    return [app.vault.open(cast(Sealed, v)) for v in values]


def own_server(request: pytest.FixtureRequest, backend: str) -> PostgresServer | None:
    """The test's own server on PostgreSQL (the test is marked `own_server`), None on SQLite."""
    if backend != "postgres":
        return None
    server: PostgresServer = request.getfixturevalue(server_fixture(request))
    return server


def raw_bytes(app: CareLedger, settings_dir: Path, server: PostgresServer | None) -> bytes:
    """Everything the database holds, as a backup or a stolen disk would show it."""
    if server is None:
        return b"".join(p.read_bytes() for p in sorted(settings_dir.rglob("*")) if p.is_file())
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    dump = pg_dump(server, app.settings.db_schema)
    files = b"".join(p.read_bytes() for p in sorted(server.data.rglob("*")) if p.is_file())
    return dump + files


@pytest.mark.own_server
def test_personal_data_appears_nowhere_in_plaintext(
    app: CareLedger,
    project: Project,
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    # given a customer, an order, a complaint, a reply, a reason's text and a survey comment
    # with personal data, and the audit trail that shows every event with its reason
    ids = record_personal_data(app)
    project(AuditTrailProjection())
    server = own_server(request, backend)
    # when we read every byte the store holds (and, on PostgreSQL, a pg_dump of the schema)
    dump = raw_bytes(app, tmp_path, server)
    # then none of it shows the personal data, neither as text nor as hex-encoded bytea
    assert len(dump) > 10_000
    for secret in SECRETS:
        assert secret.encode() not in dump, secret
        assert secret.encode().hex().encode() not in dump, secret
    # and the application still reads it back for those allowed to
    assert app.contact_of(ids["customer"]) == CONTACT
    assert app.vault.open(app.load(Order, ids["order"]).address) == ADDRESS
    assert app.vault.open(classification_reason(app, ids["complaint"])) == REASON_TEXT
    assert free_text(app, ids) == [ROOT_CAUSE, CORRECTIVE, REJECTION, CANCELLATION]


def test_erasure_makes_personal_data_read_as_erased_and_keeps_the_rest(app: CareLedger) -> None:
    # given recorded personal data
    ids = record_personal_data(app)
    order_before = app.load(Order, ids["order"])
    # when the customer is erased
    app.erase_customer(meta(), ids["customer"])
    # then every personal field reads as the erased marker
    order_after = app.load(Order, ids["order"])
    complaint = app.load(Complaint, ids["complaint"])
    survey = app.load(Survey, ids["survey"])
    assert app.contact_of(ids["customer"]) == ERASED_CONTACT
    assert app.vault.open(order_after.address) == ERASED
    assert app.vault.open(complaint.content) == ERASED
    assert survey.comment is not None and app.vault.open(survey.comment) == ERASED
    assert app.vault.open(classification_reason(app, ids["complaint"])) == ERASED
    assert free_text(app, ids) == [ERASED] * 4
    # and states, amounts, scores and counts are intact
    assert (order_after.status, order_after.amount, order_after.version) == (
        order_before.status,
        order_before.amount,
        order_before.version,
    )
    assert survey.scores == Scores(2, 3, 4, 5, 1)
    assert str(complaint.status) == "Classified" and complaint.version >= 3


def test_an_erased_customer_accepts_no_new_personal_data(app: CareLedger) -> None:
    ids = record_personal_data(app)
    app.erase_customer(meta(), ids["customer"])
    before = app.recorder.max_notification_id()
    with pytest.raises(CustomerErasedError):
        app.file_complaint(
            meta(), customer_id=ids["customer"], order_id=None, content="again", channel="web"
        )
    with pytest.raises(TransitionRefusedError) as refused:
        app.erase_customer(meta(), ids["customer"])
    assert refused.value.state == "Erased"
    assert app.recorder.max_notification_id() == before


@pytest.mark.own_server
def test_a_dump_holds_no_rendered_notice_and_no_address(
    app: CareLedger, views: ViewStore, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    # given the personal data above, and the notices it calls for delivered by the notifier
    ids = record_personal_data(app)
    app.confirm_order(meta(), ids["order"])
    app.send_order_confirmation(meta(), ids["order"], "email")
    channels = Recorder()
    notifier = Notifier(
        app, views, channels, settings=DeliverySettings(quiet_start=None, quiet_end=None)
    )
    try:
        while notifier.run_once():
            pass
    finally:
        notifier.close()
    sent = channels.all()
    assert {m.channel for m in sent} >= {ChannelKind.EMAIL, ChannelKind.SMS}
    server = own_server(request, backend)
    # when we read every byte the event store and the views hold
    dump = raw_bytes(app, tmp_path, server)
    # then no address, no subject and no rendered text of any message is there (the ids a
    # message quotes, an order's or a complaint's, are stored as they are: they are not text)
    secrets = {m.to for m in sent} | {m.subject for m in sent if m.subject} | {m.body for m in sent}
    fragments = {
        part.strip() for secret in secrets for part in UUID_TEXT.split(secret) if part.strip()
    }
    checked = [f for f in fragments if len(f.encode()) >= 8]  # the message's, not a common word
    assert len(checked) >= len(sent)
    for fragment in checked:
        assert fragment.encode() not in dump, fragment
        assert fragment.encode().hex().encode() not in dump, fragment
