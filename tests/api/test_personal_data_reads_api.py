"""Every opening of personal data on the record (issue 13, item 2): one PersonalDataRead event
per request, however many rows it opened; who has seen a customer's data; the officer's own
reads in the audit trail; the privacy audit report of a period."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import WAIT_S, projecting, receive_within

DESK = {"role": Role.AGENT, "subject": "agent-desk", "department": "customer_service"}
OFFICER = {"role": Role.COMPLIANCE_OFFICER, "subject": "dpo-7", "department": None}
ANALYST = {"role": Role.ANALYST, "subject": "an-7", "department": None}
REASON = {"reasonCode": "subject_access", "reasonText": "the customer asked for their data"}
TRAIL = """query($actor: String, $entity: ID, $first: Int!, $at: Int) {
  auditTrail(actorId: $actor, entityId: $entity, first: $first, atPosition: $at) {
    pageInfo { hasNextPage }
    edges { node { event position correlationId actor { id role } data } } } }"""
READS = """query($c: ID!, $at: Int) { personalDataReads(customerId: $c, atPosition: $at) {
  edges { node { customerId actorId actorRole entityType entityId fields basis operation
                 correlationId } } } }"""
REPORT = """query($from: DateTime!, $to: DateTime!, $at: Int) {
  privacyAuditReport(from: $from, to: $to, atPosition: $at) {
    byRole { role reads customers actors }
    byActor { actorId role reads customers unusual }
    unusual { actorId }
    breakGlass { actorId role customerId reasonCode }
    exports { actorId customerId }
    erasures { actorId customerId } } }"""


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


def run(gql: Gql, name: str, kind: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    entity = "complaint" if name in ("fileComplaint", "classifyComplaint") else "customer"
    body = gql(
        f"mutation($input: {kind}!) {{ {name}(input: $input) {{ __typename"
        f" ... on {entity.title()}Changed {{ {entity} {{ {entity}Id }} written {{ position }} }}"
        " ... on Problem { code message } } }",
        {"input": input},
        **who,
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    assert result["__typename"].endswith("Changed"), result
    return result


def a_customer(gql: Gql) -> str:
    contact = {"contact": {"name": "Zhao Min", "phone": "13900001111"}}
    registered = run(gql, "registerCustomer", "RegisterCustomerInput", contact, **DESK)
    customer_id: str = registered["customer"]["customerId"]
    return customer_id


def complaint(gql: Gql, customer_id: str, text: str) -> tuple[str, int]:
    data = {"customerId": customer_id, "content": text, "channel": "APP"}
    filed = run(
        gql, "fileComplaint", "FileComplaintInput", data, role=Role.CUSTOMER, subject=customer_id
    )
    return filed["complaint"]["complaintId"], filed["written"]["position"]


def reads_by(gql: Gql, actor: str, at: int | None = None) -> list[dict[str, Any]]:
    body = gql(TRAIL, {"actor": actor, "first": 100, "at": at}, **OFFICER)
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["auditTrail"]["edges"]]
    return [n for n in nodes if n["event"] == "PersonalDataRead"]


def head(gql: Gql, customer_id: str) -> int:
    """A write after everything so far: its position, to read the views at."""
    written = run(
        gql,
        "assignTier",
        "AssignTierInput",
        {"customerId": customer_id, "tier": "GOLD", **REASON},
        role=Role.SUPERVISOR,
        subject="sup-1",
    )
    position: int = written["written"]["position"]
    return position


def test_a_page_of_a_hundred_rows_is_one_record_of_every_entity_it_opened(gql: Gql) -> None:
    # given a customer's thirty complaints, 120 events in all (each with three clocks started)
    customer_id = a_customer(gql)
    filed = [complaint(gql, customer_id, f"complaint number {n}") for n in range(30)]
    last = filed[-1][1]
    # when the desk agent, where they are queued, reads a page of 100 of the customer's events
    page = gql(TRAIL, {"actor": customer_id, "first": 100, "at": last}, **DESK)["data"]
    texts = [e["node"]["data"].get("content") for e in page["auditTrail"]["edges"]]
    opened = [t for t in texts if t is not None]
    assert (
        len(texts) == 100 and len(opened) == 25 and all(t.startswith("complaint") for t in opened)
    )
    # then one record holds all 25 complaints opened, each with its field and why
    at = head(gql, customer_id)
    [record] = reads_by(gql, "agent-desk", at)
    openings = record["data"]["openings"]
    assert len(openings) == 25
    assert {o["entity_id"] for o in openings} == {c for c, _ in filed[:25]}
    assert all(
        (o["customer_id"], o["entity"], o["fields"], o["basis"])
        == (customer_id, "Complaint", ["content"], "department")
        for o in openings
    )
    assert record["data"]["operation"] == "auditTrail"
    assert record["actor"] == {"id": "agent-desk", "role": "agent"}


def test_who_has_seen_my_data_lists_each_reader_and_why_but_not_the_sealed_reads(gql: Gql) -> None:
    customer_id = a_customer(gql)
    complaint_id, _ = complaint(gql, customer_id, "The rice was raw")
    document = "query($id: ID!) { complaint(id: $id) { content } }"
    # the desk agent reads it; an analyst gets it sealed: nothing opened, nothing recorded
    assert gql(document, {"id": complaint_id}, **DESK)["data"]["complaint"]["content"] == (
        "The rice was raw"
    )
    assert gql(document, {"id": complaint_id}, **ANALYST)["data"]["complaint"]["content"] == (
        "[sealed]"
    )
    # a supervisor of another desk breaks the glass and reads the contact
    glass = {"customerId": customer_id, "minutes": 15, **REASON}
    other = {"role": Role.SUPERVISOR, "subject": "sup-9", "department": "quality"}
    run(gql, "breakGlass", "BreakGlassInput", glass, **other)
    contact = "query($id: ID!) { customer(id: $id) { contact { phone } } }"
    phone = gql(contact, {"id": customer_id}, **other)["data"]["customer"]["contact"]["phone"]
    assert phone == "13900001111"
    at = head(gql, customer_id)
    # then the customer asks who has seen their data
    mine = {"role": Role.CUSTOMER, "subject": customer_id}
    body = gql(READS, {"c": customer_id, "at": at}, **mine)
    seen = [e["node"] for e in body["data"]["personalDataReads"]["edges"]]
    assert [
        (s["actorId"], s["actorRole"], s["entityType"], s["fields"], s["basis"], s["operation"])
        for s in seen
    ] == [
        ("agent-desk", "agent", "Complaint", ["content"], "department", "complaint"),
        ("sup-9", "supervisor", "Customer", ["contact"], "broken_glass", "customer"),
    ]
    assert reads_by(gql, "an-7", at) == []
    # another customer may not ask about this one
    stranger = gql(READS, {"c": customer_id}, role=Role.CUSTOMER, subject=str(complaint_id))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_an_officers_export_is_on_the_record_and_holds_who_has_seen_the_data(gql: Gql) -> None:
    customer_id = a_customer(gql)
    complaint(gql, customer_id, "Wrong order delivered")
    opened = run(
        gql, "openPrivacyCase", "CustomerInput", {"customerId": customer_id, **REASON}, **OFFICER
    )
    export = """query($id: ID!, $at: Int) { customerExport(id: $id, atPosition: $at) {
      reads { actorId operation } complaints { events { name data } } } }"""
    first = gql(export, {"id": customer_id, "at": opened["written"]["position"]}, **OFFICER)
    assert first["data"]["customerExport"]["complaints"][0]["events"][0]["data"]["content"] == (
        "Wrong order delivered"
    )
    at = head(gql, customer_id)
    # the officer's own reads are in the trail under their id: the export, and what it opened
    [record] = reads_by(gql, "dpo-7", at)
    assert record["data"]["operation"] == "customerExport"
    assert {(o["entity"], o["basis"]) for o in record["data"]["openings"]} == {
        ("Customer", "privacy_case"),
        ("Complaint", "privacy_case"),
    }
    # and the next export lists that one among who has seen the data
    again = gql(export, {"id": customer_id, "at": at}, **OFFICER)["data"]["customerExport"]
    assert {"actorId": "dpo-7", "operation": "customerExport"} in again["reads"]


def test_the_privacy_audit_report_of_a_period(gql: Gql) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    document = "query($id: ID!) { complaint(id: $id) { content } }"
    # given 22 customers with a complaint each: one agent reads all of them, two others one
    customers = [a_customer(gql) for _ in range(22)]
    complaints = [complaint(gql, c, f"text {n}")[0] for n, c in enumerate(customers)]
    nosy = {**DESK, "subject": "agent-nosy"}
    for complaint_id in complaints:
        gql(document, {"id": complaint_id}, **nosy)
    for calm in ("agent-calm", "agent-quiet"):
        gql(document, {"id": complaints[0]}, **{**DESK, "subject": calm})
    # and a broken glass, an export and an erasure
    glass = {"customerId": customers[1], "minutes": 5, **REASON}
    run(
        gql,
        "breakGlass",
        "BreakGlassInput",
        glass,
        role=Role.AGENT,
        subject="agent-calm",
        department="quality",
    )
    case = {"customerId": customers[2], **REASON}
    opened = run(gql, "openPrivacyCase", "CustomerInput", case, **OFFICER)
    export = "query($id: ID!, $at: Int) { customerExport(id: $id, atPosition: $at) { customerId } }"
    gql(export, {"id": customers[2], "at": opened["written"]["position"]}, **OFFICER)
    run(gql, "eraseCustomer", "CustomerInput", {"customerId": customers[2]}, **OFFICER)
    at = head(gql, customers[3])
    end = datetime.now(UTC) + timedelta(minutes=1)
    window = {"from": start.isoformat(), "to": end.isoformat(), "at": at}
    report = gql(REPORT, window, **OFFICER)["data"]["privacyAuditReport"]
    # then reads by role and actor, the nosy agent flagged, the rest not
    actors = {a["actorId"]: a for a in report["byActor"]}
    assert actors["agent-nosy"] == {
        "actorId": "agent-nosy",
        "role": "agent",
        "reads": 22,
        "customers": 22,
        "unusual": True,
    }
    assert actors["agent-calm"]["customers"] == actors["agent-quiet"]["customers"] == 1
    assert report["unusual"] == [{"actorId": "agent-nosy"}]
    agents = next(r for r in report["byRole"] if r["role"] == "agent")
    assert agents == {"role": "agent", "reads": 24, "customers": 22, "actors": 3}
    assert report["breakGlass"] == [
        {
            "actorId": "agent-calm",
            "role": "agent",
            "customerId": customers[1],
            "reasonCode": "subject_access",
        }
    ]
    assert report["exports"] == [{"actorId": "dpo-7", "customerId": customers[2]}]
    assert report["erasures"] == [{"actorId": "dpo-7", "customerId": customers[2]}]
    # a window before any of it is empty
    before = {"from": (start - timedelta(days=1)).isoformat(), "to": start.isoformat()}
    empty = gql(REPORT, before, **OFFICER)["data"]["privacyAuditReport"]
    assert empty["byActor"] == empty["breakGlass"] == empty["exports"] == empty["erasures"] == []
    # and only compliance officers and admins read it
    refused = gql(REPORT, before, **DESK)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_each_push_of_a_subscription_is_on_the_record(
    client: TestClient, token: Callable[..., str], gql: Gql
) -> None:
    customer_id = a_customer(gql)
    complaint_id, _ = complaint(gql, customer_id, "Soup spilled")
    document = "subscription($id: ID!) { complaintChanges(id: $id) { version content } }"
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        bearer = token(Role.AGENT, "agent-desk", "customer_service")
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {bearer}"}})
        assert receive_within(ws)["type"] == "connection_ack"
        subscribe = {"query": document, "variables": {"id": complaint_id}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": subscribe})
        # the desk agent gets the complaint, then the classification's two versions
        first = receive_within(ws)["payload"]["data"]["complaintChanges"]
        assert first["content"] == "Soup spilled"
        classify = {
            "complaintId": complaint_id,
            "category": "LOGISTICS",
            "subcategory": "late",
            "severity": "GENERAL",
        }
        run(gql, "classifyComplaint", "ClassifyComplaintInput", classify, **DESK)
        versions = [receive_within(ws)["payload"]["data"]["complaintChanges"] for _ in range(2)]
        assert [v["content"] for v in versions] == ["Soup spilled"] * 2
        ws.send_json({"id": "1", "type": "complete"})
    # every push that opened the text is recorded, as the subscription's
    deadline = time.monotonic() + WAIT_S
    while len(records := reads_by(gql, "agent-desk", head(gql, customer_id))) < 3:
        assert time.monotonic() < deadline, records
        time.sleep(0.1)
    assert {r["data"]["operation"] for r in records} == {"complaintChanges"}
    assert all(len(r["data"]["openings"]) == 1 for r in records)
