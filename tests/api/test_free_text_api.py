"""Free text outside the reason over GraphQL: a complaint's root cause and corrective action and
an order's rejection reason open for who needs to know the customer's personal data, read
"[sealed]" for anyone else and "[erased]" after the erasure, in the entity, its history, the
audit trail and the subject-access export alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import pytest
from starlette.testclient import TestClient

from api.auth import Role
from application.app import CareLedger
from application.settings import Settings
from domain.complaint import Complaint
from domain.order import Order
from tests.api.gql import Gql
from tests.api.live_views import at, projecting
from tests.api.order_inputs import ALICE, PLACE, place_input
from tests.support import meta

pytestmark = pytest.mark.usefixtures("known_customers")

CAUSE = "Chef Zhou dropped Li Wei's allergy note at 88 Jianguo Road"
FIX = "Ring Li Wei on 138 0013 8000 before any peanut dish"
REJECTION = "Li Wei's gate code 4471 did not open"
PROBLEMS = (
    "__typename ... on ValidationFailed { problems { path message } } ... on Problem { code }"
)
WRITTEN = "written { position }"
FILE = (
    "mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {"
    f" {PROBLEMS} ... on ComplaintChanged {{ complaint {{ complaintId }} {WRITTEN} }} }} }}"
)
CLASSIFY = (
    "mutation($input: ClassifyComplaintInput!) { classifyComplaint(input: $input) {"
    f" {PROBLEMS} }} }}"
)
ROOT_CAUSE = (
    "mutation($input: RecordRootCauseInput!) { recordRootCause(input: $input) {"
    f" {PROBLEMS} ... on ComplaintChanged {{ {WRITTEN} }} }} }}"
)
REJECT = (
    "mutation($input: RejectOrderInput!) { rejectOrder(input: $input) {"
    f" {PROBLEMS} ... on OrderChanged {{ {WRITTEN} }} }} }}"
)
ERASE = f"mutation($input: CustomerInput!) {{ eraseCustomer(input: $input) {{ {PROBLEMS} }} }}"
CASE = (
    "mutation($input: CustomerInput!) { openPrivacyCase(input: $input) {"
    f" {PROBLEMS} ... on CustomerChanged {{ {WRITTEN} }} }} }}"
)
COMPLAINT = """query($id: ID!) { complaint(id: $id) {
  rootCause { cause correctiveAction access { opened sealedReason } } } }"""
ORDER = "query($id: ID!) { order(id: $id) { status closingReason } }"
HISTORY = "query($id: ID!) { %s(id: $id) { name fields } }"
TRAIL = """query($id: ID!, $at: Int) { auditTrail(entityId: $id, first: 50, atPosition: $at) {
  edges { node { event data } } } }"""
EXPORT = """query($id: ID!, $at: Int) { customerExport(id: $id, atPosition: $at) {
  orders { events { name fields } } complaints { events { name fields } } } }"""
ANALYST = {"role": Role.ANALYST, "subject": "analyst-1"}
COMPLIANCE = {"role": Role.COMPLIANCE_OFFICER, "subject": "co-1"}
SEALED = {"sealed": True}


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


def mutate(gql: Gql, document: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    body = gql(document, {"input": input}, **who)
    assert "errors" not in body, body
    answer: dict[str, Any] = next(iter(body["data"].values()))
    return answer


def recorded(gql: Gql) -> tuple[str, str, int]:
    """Alice's complaint with a root cause in words and her order rejected in words: their ids
    and the last position written."""
    placed = mutate(gql, PLACE, place_input(ALICE, occurredAt=at(0)))
    order_id = placed["order"]["orderId"]
    rejected = mutate(gql, REJECT, {"orderId": order_id, "reason": REJECTION, "occurredAt": at(30)})
    assert rejected["__typename"] == "OrderChanged", rejected
    filing = {"customerId": ALICE, "content": "nuts", "channel": "PHONE", "occurredAt": at(60)}
    complaint_id = mutate(gql, FILE, filing)["complaint"]["complaintId"]
    step = {"complaintId": complaint_id, "category": "FOOD_SAFETY", "subcategory": "allergy"}
    mutate(gql, CLASSIFY, {**step, "severity": "MAJOR", "occurredAt": at(90)})
    cause = {"complaintId": complaint_id, "cause": CAUSE, "correctiveAction": FIX}
    written = mutate(gql, ROOT_CAUSE, {**cause, "occurredAt": at(120)})
    assert written["__typename"] == "ComplaintChanged", written
    return complaint_id, order_id, written["written"]["position"]


def shown(gql: Gql, complaint_id: str, order_id: str, position: int, **who: Any) -> list[Any]:
    """The three texts as the entities, their histories and the audit trail show them."""
    complaint = gql(COMPLAINT, {"id": complaint_id}, **who)["data"]["complaint"]["rootCause"]
    order = gql(ORDER, {"id": order_id}, **who)["data"]["order"]
    found: list[Any] = [complaint["cause"], complaint["correctiveAction"], order["closingReason"]]
    for query, entity_id, event in (
        ("complaintHistory", complaint_id, "RootCauseRecorded"),
        ("orderHistory", order_id, "OrderRejected"),
    ):
        history = gql(HISTORY % query, {"id": entity_id}, **who)["data"][query]
        found += [texts(e["fields"]) for e in history if e["name"] == event]
        trail = gql(TRAIL, {"id": entity_id, "at": position}, **who)["data"]["auditTrail"]
        found += [texts(e["node"]["data"]) for e in trail["edges"] if e["node"]["event"] == event]
    return found


def texts(fields: dict[str, Any]) -> Any:
    """An event's words: the root cause's two, or the rejection's one."""
    if "cause" in fields:
        return [fields["cause"], fields.get("correctiveAction", fields.get("corrective_action"))]
    return fields["reason"]


def exported(gql: Gql, position: int) -> list[Any]:
    body = gql(EXPORT, {"id": ALICE, "at": position}, **COMPLIANCE)["data"]["customerExport"]
    events = [e for kind in ("orders", "complaints") for x in body[kind] for e in x["events"]]
    wanted = ("RootCauseRecorded", "OrderRejected")
    return [texts(e["fields"]) for e in events if e["name"] in wanted]


def test_free_text_opens_on_need_to_know_and_reads_erased_after_the_erasure(gql: Gql) -> None:
    # given a root cause, a corrective action and a rejection reason, each naming the customer
    complaint_id, order_id, position = recorded(gql)
    # then the agent who handles them reads the words everywhere they are shown
    words = [CAUSE, FIX, REJECTION, [CAUSE, FIX], [CAUSE, FIX], REJECTION, REJECTION]
    assert shown(gql, complaint_id, order_id, position) == words
    access = gql(COMPLAINT, {"id": complaint_id})["data"]["complaint"]["rootCause"]["access"]
    assert access == {"opened": True, "sealedReason": None}
    # and an analyst reads them sealed, with the reason
    sealed = ["[sealed]"] * 3 + [[SEALED, SEALED]] * 2 + [SEALED] * 2
    assert shown(gql, complaint_id, order_id, position, **ANALYST) == sealed
    access = gql(COMPLAINT, {"id": complaint_id}, **ANALYST)["data"]["complaint"]["rootCause"]
    assert access["access"] == {"opened": False, "sealedReason": "ROLE"}
    # and a compliance officer reads them in the export within a privacy case only
    assert exported(gql, position) == [SEALED, [SEALED, SEALED]]
    case = {"customerId": ALICE, "reasonCode": "subject_access", "reasonText": "she asked"}
    opened = mutate(gql, CASE, case, **COMPLIANCE)["written"]["position"]
    assert exported(gql, opened) == [REJECTION, [CAUSE, FIX]]
    # when the customer is erased
    erased = mutate(gql, ERASE, {"customerId": ALICE}, **COMPLIANCE)
    assert erased["__typename"] == "CustomerChanged", erased
    # then the words read "[erased]" in every view, history, trail and export that showed them
    gone = ["[erased]"] * 3 + [["[erased]", "[erased]"]] * 2 + ["[erased]"] * 2
    assert shown(gql, complaint_id, order_id, position) == gone
    assert exported(gql, opened) == ["[erased]", ["[erased]", "[erased]"]]
    # and the order's state is as it was
    order = gql(ORDER, {"id": order_id})["data"]["order"]
    assert order == {"status": "REJECTED", "closingReason": "[erased]"}


def test_blank_words_are_refused_and_record_nothing(gql: Gql) -> None:
    placed = mutate(gql, PLACE, place_input(ALICE))
    order_id = placed["order"]["orderId"]
    refused = mutate(gql, REJECT, {"orderId": order_id, "reason": " "})
    assert refused["__typename"] == "ValidationFailed", refused
    assert [p["path"] for p in refused["problems"]] == [["input", "reason"]]
    assert gql(ORDER, {"id": order_id})["data"]["order"] == {
        "status": "RECEIVED",
        "closingReason": None,
    }


def recorded_in_plain_words(
    ledger: CareLedger, monkeypatch: pytest.MonkeyPatch, complaint_id: str, order_id: str
) -> None:
    """The complaint's root cause and the order's rejection as the older version stored them:
    class version 1, plain words."""
    complaint = ledger.load(Complaint, UUID(complaint_id))
    placed = ledger.load(Order, UUID(order_id))
    with monkeypatch.context() as older:
        older.setattr(Complaint.RootCauseRecorded, "class_version", 1)
        older.setattr(Order.OrderRejected, "class_version", 1)
        cause, fix, why = cast(Any, CAUSE), cast(Any, FIX), cast(Any, REJECTION)
        when = meta(datetime.fromisoformat(at(120)))  # the test's business time, not T0's
        complaint._root_cause_recorded(
            meta=when, cause=cause, corrective_action=fix, incident_id=None
        )
        placed._rejected(meta=when, reason=why)
        ledger.save(complaint, placed)


def test_words_recorded_in_plain_text_before_read_as_personal_data_too(
    gql: Gql, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given Alice's complaint and order, their root cause and rejection stored in plain words
    placed = mutate(gql, PLACE, place_input(ALICE, occurredAt=at(0)))
    order_id = placed["order"]["orderId"]
    filing = {"customerId": ALICE, "content": "nuts", "channel": "PHONE", "occurredAt": at(60)}
    complaint_id = mutate(gql, FILE, filing)["complaint"]["complaintId"]
    step = {"complaintId": complaint_id, "category": "FOOD_SAFETY", "subcategory": "allergy"}
    mutate(gql, CLASSIFY, {**step, "severity": "MAJOR", "occurredAt": at(90)})
    ledger: CareLedger = client.app.state.services.ledger  # type: ignore[attr-defined]
    recorded_in_plain_words(ledger, monkeypatch, complaint_id, order_id)
    position = ledger.recorder.max_notification_id()
    assert position is not None
    # then they read as they were written for the agent who handles them
    words = [CAUSE, FIX, REJECTION, [CAUSE, FIX], [CAUSE, FIX], REJECTION, REJECTION]
    assert shown(gql, complaint_id, order_id, position) == words
    # and sealed for an analyst, as sealed words would be
    sealed = ["[sealed]"] * 3 + [[SEALED, SEALED]] * 2 + [SEALED] * 2
    assert shown(gql, complaint_id, order_id, position, **ANALYST) == sealed
    # and "[erased]" everywhere once the customer was erased (the log itself is not rewritten)
    erased = mutate(gql, ERASE, {"customerId": ALICE}, **COMPLIANCE)
    assert erased["__typename"] == "CustomerChanged", erased
    gone = ["[erased]"] * 3 + [["[erased]", "[erased]"]] * 2 + ["[erased]"] * 2
    assert shown(gql, complaint_id, order_id, position) == gone


GLASS = (
    "mutation($input: BreakGlassInput!) { breakGlass(input: $input) {"
    f" {PROBLEMS} ... on CustomerChanged {{ {WRITTEN} }} }} }}"
)
TIER = (
    "mutation($input: AssignTierInput!) { assignTier(input: $input) {"
    f" {PROBLEMS} ... on CustomerChanged {{ {WRITTEN} }} }} }}"
)
READS = """query($c: ID!, $at: Int) { personalDataReads(customerId: $c, atPosition: $at) {
  edges { node { actorId entityType fields basis } } } }"""


def test_another_desk_reads_the_root_cause_only_through_broken_glass_and_on_the_record(
    gql: Gql,
) -> None:
    # given Alice's complaint with a root cause, handled at the front desk
    complaint_id, _, _ = recorded(gql)
    quality = {"role": Role.SUPERVISOR, "subject": "sup-9", "department": "quality"}
    # then a supervisor of another desk reads it sealed, not handling it
    body = gql(COMPLAINT, {"id": complaint_id}, **quality)["data"]["complaint"]["rootCause"]
    assert (body["cause"], body["correctiveAction"]) == ("[sealed]", "[sealed]")
    assert body["access"] == {"opened": False, "sealedReason": "NOT_HANDLING"}
    # when they break the glass, with a reason
    glass = {"customerId": ALICE, "minutes": 15, "reasonCode": "review", "reasonText": "an audit"}
    assert mutate(gql, GLASS, glass, **quality)["__typename"] == "CustomerChanged"
    # then they read the words, and the reading is on the record with its basis
    body = gql(COMPLAINT, {"id": complaint_id}, **quality)["data"]["complaint"]["rootCause"]
    assert (body["cause"], body["correctiveAction"]) == (CAUSE, FIX)
    tier = {"customerId": ALICE, "tier": "GOLD", "reasonCode": "loyal", "reasonText": "years"}
    head = mutate(gql, TIER, tier, role=Role.SUPERVISOR, subject="sup-1")["written"]["position"]
    mine = {"role": Role.CUSTOMER, "subject": ALICE}
    edges = gql(READS, {"c": ALICE, "at": head}, **mine)["data"]["personalDataReads"]["edges"]
    seen = [e["node"] for e in edges if e["node"]["actorId"] == "sup-9"]
    assert seen == [
        {
            "actorId": "sup-9",
            "entityType": "Complaint",
            "fields": ["cause", "corrective_action"],
            "basis": "broken_glass",
        }
    ]
