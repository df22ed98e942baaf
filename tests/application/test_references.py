"""References that hold: commands refuse ids of nothing, and orders of other customers."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from application.app import CareLedger
from application.errors import NotFoundError, NotYoursError
from domain.complaint import Complaint
from domain.incident import Incident
from domain.order import Order
from domain.survey import Survey, SurveyAlreadySentError
from tests.application.builders import customer, order
from tests.support import CUSTOMER, meta


def incident(app: CareLedger) -> UUID:
    return app.report_incident(
        meta(), type="system_failure", source="monitor", title="app down", description="502s"
    ).aggregate_id


def complaint(app: CareLedger, customer_id: UUID, order_id: UUID | None = None) -> UUID:
    return app.file_complaint(
        meta(actor=CUSTOMER),
        customer_id=customer_id,
        order_id=order_id,
        content="late",
        channel="app",
    ).aggregate_id


def test_a_complaint_about_another_customers_order_is_refused(app: CareLedger) -> None:
    # given Bo's order
    alice, bo = customer(app), customer(app)
    bos_order = order(app, bo)
    # then Alice cannot complain about it, nor about an order that does not exist
    with pytest.raises(NotYoursError) as refused:
        complaint(app, alice, bos_order)
    assert refused.value.code == "NOT_YOURS" and str(bo) not in str(refused.value)
    with pytest.raises(NotFoundError):
        complaint(app, alice, uuid4())
    # and Bo can
    assert app.load(Complaint, complaint(app, bo, bos_order)).order_id == bos_order


def test_linking_ids_of_nothing_is_refused_and_records_nothing(app: CareLedger) -> None:
    # given an incident, a real order and complaint, and an id of nothing
    incident_id, customer_id = incident(app), customer(app)
    order_id = order(app, customer_id)
    complaint_id = complaint(app, customer_id, order_id)
    nothing = uuid4()
    version = app.load(Incident, incident_id).version
    # then links to nothing are refused, naming what was not found
    with pytest.raises(NotFoundError) as missing:
        app.link_orders(meta(), incident_id, [order_id, nothing])
    assert (missing.value.entity, missing.value.entity_id) == ("Order", str(nothing))
    with pytest.raises(NotFoundError):
        app.link_complaints(meta(), incident_id, [nothing])
    with pytest.raises(NotFoundError):
        app.link_complaints(meta(), incident_id, [order_id])  # an order is no complaint
    with pytest.raises(NotFoundError):
        app.link_complaint(meta(), complaint_id, incident_id=nothing)
    with pytest.raises(NotFoundError):
        app.link_complaint(meta(), complaint_id, order_id=nothing)
    assert app.load(Incident, incident_id).version == version
    # and links to what exists are recorded
    app.link_orders(meta(), incident_id, [order_id])
    app.link_complaints(meta(), incident_id, [complaint_id])
    app.link_complaint(meta(), complaint_id, incident_id=incident_id)
    assert app.load(Complaint, complaint_id).linked_incident_ids == [incident_id]


def test_a_survey_needs_an_order_of_the_customer_and_is_sent_once(app: CareLedger) -> None:
    # given Alice's order and Bo
    alice, bo = customer(app), customer(app)
    alices_order = order(app, alice)
    before = app.recorder.max_notification_id()
    # then a survey about an order that does not exist, or about another's, is refused
    with pytest.raises(NotFoundError) as missing:
        app.send_survey(meta(), alice, "order", uuid4(), "sms")
    assert missing.value.entity == "Order"
    with pytest.raises(NotYoursError):
        app.send_survey(meta(), bo, "order", alices_order, "sms")
    with pytest.raises(NotFoundError):
        app.send_survey(meta(), alice, "complaint", alices_order, "sms")  # no such complaint
    assert app.recorder.max_notification_id() == before
    # and the first survey about her order is sent, a second (another command) refused
    first = app.send_survey(meta(), alice, "order", alices_order, "sms")
    with pytest.raises(SurveyAlreadySentError) as twice:
        app.send_survey(meta(), alice, "order", alices_order, "app")
    assert twice.value.code == "SURVEY_ALREADY_SENT"
    assert app.recorder.max_notification_id() == first.position
    # and a survey about a complaint on that order is a survey of another kind
    about = complaint(app, alice, alices_order)
    survey = app.load(
        Survey, app.send_survey(meta(), alice, "complaint", about, "app").aggregate_id
    )
    assert (survey.subject, survey.subject_id) == ("complaint", about)


def test_links_between_complaints_and_incidents_are_kept_both_ways(app: CareLedger) -> None:
    # given an incident and two complaints
    incident_id, customer_id = incident(app), customer(app)
    first, second = complaint(app, customer_id), complaint(app, customer_id)
    # when the incident links the first, and the second links the incident
    app.link_complaints(meta(), incident_id, [first])
    app.link_complaint(meta(), second, incident_id=incident_id)
    # then each side shows the link, once
    assert app.load(Complaint, first).linked_incident_ids == [incident_id]
    assert app.load(Complaint, second).linked_incident_ids == [incident_id]
    assert app.load(Incident, incident_id).complaint_ids == [first, second]
    # and linking again from either side records nothing more
    complaint_version = app.load(Complaint, first).version
    incident_version = app.load(Incident, incident_id).version
    app.link_complaint(meta(), first, incident_id=incident_id)
    assert app.load(Incident, incident_id).version == incident_version
    app.link_complaints(meta(), incident_id, [second])
    assert app.load(Complaint, second).linked_incident_ids == [incident_id]
    assert app.load(Complaint, first).version == complaint_version + 1  # its own link only


def test_a_refused_link_records_neither_side(app: CareLedger) -> None:
    # given an incident and a complaint, and an id of nothing
    incident_id, complaint_id = incident(app), complaint(app, customer(app))
    before = app.recorder.max_notification_id()
    # then a link with a complaint of nothing changes neither the incident nor the complaint
    with pytest.raises(NotFoundError):
        app.link_complaints(meta(), incident_id, [complaint_id, uuid4()])
    assert app.recorder.max_notification_id() == before
    assert app.load(Complaint, complaint_id).linked_incident_ids == []


def test_an_incidents_link_to_orders_is_kept_on_the_orders(app: CareLedger) -> None:
    # given an incident and two orders of one customer
    incident_id, customer_id = incident(app), customer(app)
    first, second = order(app, customer_id), order(app, customer_id)
    # when the incident links both, the first twice
    app.link_orders(meta(), incident_id, [first, second, first])
    # then each order shows the incident, once
    assert app.load(Order, first).linked_incident_ids == (incident_id,)
    assert app.load(Order, second).linked_incident_ids == (incident_id,)
    # and linking again records nothing more on the orders
    version = app.load(Order, first).version
    app.link_orders(meta(), incident_id, [first])
    assert app.load(Order, first).version == version
    # and a link naming an order of nothing records on neither side
    other, version = incident(app), app.load(Order, second).version
    with pytest.raises(NotFoundError):
        app.link_orders(meta(), other, [second, uuid4()])
    assert app.load(Order, second).version == version
    assert app.load(Incident, other).order_ids == []


def test_commands_naming_a_customer_never_registered_are_refused(app: CareLedger) -> None:
    # given a registered customer's order, and the id of a customer never registered
    known = customer(app)
    known_order = order(app, known)
    stranger = uuid4()
    before = app.recorder.max_notification_id()
    # then filing, ordering or surveying for the stranger is refused, naming the customer
    refusals: list[Callable[[], object]] = [
        lambda: complaint(app, stranger),
        lambda: order(app, stranger),
        lambda: app.send_survey(meta(), stranger, "order", known_order, "sms"),
    ]
    for attempt in refusals:
        with pytest.raises(NotFoundError) as missing:
            attempt()
        assert (missing.value.code, missing.value.entity) == ("NOT_FOUND", "Customer")
        assert missing.value.entity_id == str(stranger)
    # and nothing was recorded
    assert app.recorder.max_notification_id() == before
    # while the registered customer may do each of them
    assert app.load(Complaint, complaint(app, known)).customer_id == known
