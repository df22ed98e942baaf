from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from api.auth import Role
from application.app import CareLedger
from application.settings import Settings
from projections.engine.runner import Runner
from projections.engine.store import open_view_store
from projections.views.audit_trail import AuditTrailProjection
from projections.views.personal_data_reads import PersonalDataReadsProjection
from tests.api.gql import Gql

CONTACT = {
    "name": "Li Wei",
    "phone": "+86 138 0013 8000",
    "email": "li.wei@example.com",
    "address": "88 Jianguo Road, Beijing",
}
ERASED = {"name": "[erased]", "phone": "[erased]", "email": "[erased]", "address": "[erased]"}
SCORES = {
    "productQuality": 4,
    "serviceAttitude": 5,
    "afterSales": 3,
    "responseSpeed": 2,
    "problemSolving": 1,
}
COMPLIANCE = {"role": Role.COMPLIANCE_OFFICER, "subject": "co-1"}

RESULT = """
    __typename
    ... on CustomerChanged {
      customer { customerId status tier version } written { version position replayed }
    }
    ... on TransitionRefused { state action }
    ... on ValidationFailed { problems { path message } }
    ... on Problem { code message }
"""
INPUT_TYPES = {
    "registerCustomer": "RegisterCustomerInput",
    "changeContact": "ChangeContactInput",
    "assignTier": "AssignTierInput",
    "eraseCustomer": "CustomerInput",
    "openPrivacyCase": "CustomerInput",
}
SEALED = {"name": "[sealed]", "phone": "[sealed]", "email": "[sealed]", "address": "[sealed]"}
WHY = "query($id: ID!) { customer(id: $id) { contactAccess { basis sealedReason } } }"
CASE = {"reasonCode": "subject_access", "reasonText": "the customer asked for their data"}
CONTACT_QUERY = "query($id: ID!) { customer(id: $id) { contact { name phone email address } } }"
EXPORT = """query($id: ID!, $at: Int) { customerExport(id: $id, atPosition: $at) {
  customerId access { opened sealedReason } customer { status tier contact { name phone } }
  customerEvents { name data }
  orders { entity id status version events { name } }
  complaints { entity id status version events { name data } }
  surveys { entity id status version events { name data } }
} }"""


def run(gql: Gql, name: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    document = f"mutation($input: {INPUT_TYPES[name]}!) {{ {name}(input: $input) {{ {RESULT} }} }}"
    body = gql(document, {"input": input}, **who)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


def register(gql: Gql) -> str:
    registered = run(gql, "registerCustomer", {"contact": CONTACT})
    assert registered["customer"]["status"] == "ACTIVE", registered
    customer_id: str = registered["customer"]["customerId"]
    return customer_id


def contact(gql: Gql, customer_id: str, **who: Any) -> Any:
    return gql(CONTACT_QUERY, {"id": customer_id}, **who)["data"]["customer"]["contact"]


def mutate(
    gql: Gql, name: str, kind: str, input: dict[str, Any], select: str = "", **who: Any
) -> dict[str, Any]:
    """Another slice's mutation, for the customer's orders, complaints and surveys."""
    body = gql(
        f"mutation($input: {kind}!) {{ {name}(input: $input) {{ __typename {select}"
        f" ... on Problem {{ code message }} }} }}",
        {"input": input},
        **who,
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


def place_order(gql: Gql, customer_id: str) -> str:
    promised = (datetime.now(UTC) + timedelta(minutes=40)).isoformat()
    placed = mutate(
        gql,
        "placeOrder",
        "PlaceOrderInput",
        {
            "customerId": customer_id,
            "restaurant": "Golden Dumpling",
            "region": "chaoyang",
            "items": [{"name": "soup", "quantity": 1, "unitPrice": "25.00"}],
            "amount": "25.00",
            "promisedAt": promised,
            "address": CONTACT["address"],
            "channel": "APP",
        },
        "... on OrderChanged { order { orderId } }",
    )
    assert placed["__typename"] == "OrderChanged", placed
    order_id: str = placed["order"]["orderId"]
    return order_id


def answered_survey(gql: Gql, customer_id: str, order_id: str) -> None:
    sent = mutate(
        gql,
        "sendSurvey",
        "SendSurveyInput",
        {"customerId": customer_id, "subject": "ORDER", "subjectId": order_id, "via": "APP"},
        "... on SurveyChanged { survey { surveyId } }",
    )
    answer = {"surveyId": sent["survey"]["surveyId"], "scores": SCORES, "comment": "Nice rider"}
    answered = mutate(
        gql,
        "respondToSurvey",
        "RespondToSurveyInput",
        answer,
        role=Role.CUSTOMER,
        subject=customer_id,
    )
    assert answered["__typename"] == "SurveyChanged", answered


def catch_up_audit_trail(settings: Settings) -> None:
    """The views the export reads: the audit trail and the reads of personal data. On
    PostgreSQL the service does not project by itself; on SQLite this races its follower,
    harmlessly (a batch applies once)."""
    ledger, views = CareLedger(settings), open_view_store(settings)
    try:
        Runner(ledger, views, AuditTrailProjection()).catch_up()
        Runner(ledger, views, PersonalDataReadsProjection()).catch_up()
    finally:
        views.close()
        ledger.close()


def why(gql: Gql, customer_id: str, **who: Any) -> dict[str, Any]:
    access: dict[str, Any] = gql(WHY, {"id": customer_id}, **who)["data"]["customer"][
        "contactAccess"
    ]
    return access


def test_contact_details_are_guarded_by_role(gql: Gql) -> None:
    customer_id = register(gql)
    # the customer themself reads the contact details; an agent handling nothing of theirs
    # reads them sealed, and why
    assert contact(gql, customer_id, role=Role.CUSTOMER, subject=customer_id) == CONTACT
    assert contact(gql, customer_id) == SEALED
    assert why(gql, customer_id) == {"basis": None, "sealedReason": "NOT_HANDLING"}
    # an analyst sees the customer, but never the contact details
    status = gql(
        "query($id: ID!) { customer(id: $id) { status tier } }",
        {"id": customer_id},
        role=Role.ANALYST,
    )
    assert status["data"]["customer"] == {"status": "ACTIVE", "tier": "STANDARD"}
    assert contact(gql, customer_id, role=Role.ANALYST) == SEALED
    assert why(gql, customer_id, role=Role.ANALYST) == {"basis": None, "sealedReason": "ROLE"}
    # another customer sees nothing of this one, not even through `node`
    other = gql(CONTACT_QUERY, {"id": customer_id}, role=Role.CUSTOMER, subject=str(uuid4()))
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    node = "query($id: ID!) { node(id: $id) { ... on Customer { status } } }"
    global_id = gql("query($id: ID!) { customer(id: $id) { id } }", {"id": customer_id})["data"][
        "customer"
    ]["id"]
    assert gql(node, {"id": global_id}, role=Role.ANALYST)["data"]["node"] == {"status": "ACTIVE"}
    stranger = gql(node, {"id": global_id}, role=Role.CUSTOMER, subject=str(uuid4()))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_contact_and_tier_change_by_whom_they_may(gql: Gql) -> None:
    customer_id = register(gql)
    moved = {**CONTACT, "address": "2 Ritan Road, Beijing"}
    stranger = run(
        gql,
        "changeContact",
        {"customerId": customer_id, "contact": moved},
        role=Role.CUSTOMER,
        subject=str(uuid4()),
    )
    assert stranger["__typename"] == "Forbidden"
    own = run(
        gql,
        "changeContact",
        {"customerId": customer_id, "contact": moved},
        role=Role.CUSTOMER,
        subject=customer_id,
    )
    assert own["customer"]["version"] == 2
    mine = {"role": Role.CUSTOMER, "subject": customer_id}
    assert contact(gql, customer_id, **mine)["address"] == "2 Ritan Road, Beijing"
    # the old address is still there at version 1
    then = gql(
        "query($id: ID!) { customer(id: $id, version: 1) { contact { address } } }",
        {"id": customer_id},
        **mine,
    )
    assert then["data"]["customer"]["contact"]["address"] == CONTACT["address"]
    agent = run(gql, "assignTier", {"customerId": customer_id, "tier": "GOLD"})
    assert agent["__typename"] == "Forbidden"
    tiered = run(
        gql,
        "assignTier",
        {"customerId": customer_id, "tier": "GOLD", "reasonText": "key account"},
        role=Role.SUPERVISOR,
    )
    assert tiered["customer"]["tier"] == "GOLD"
    blank = run(
        gql, "changeContact", {"customerId": customer_id, "contact": {**CONTACT, "name": " "}}
    )
    assert blank["problems"] == [
        {"path": ["input", "contact", "name"], "message": "must not be blank"}
    ]


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.ANALYST, Role.COMPLIANCE_OFFICER])
def test_only_staff_register_customers(gql: Gql, role: Role) -> None:
    refused = run(gql, "registerCustomer", {"contact": CONTACT}, role=role, subject=str(uuid4()))
    assert refused["__typename"] == "Forbidden"


def test_erasure_makes_contact_unreadable_and_keeps_the_rest(gql: Gql) -> None:
    customer_id = register(gql)
    run(
        gql,
        "assignTier",
        {"customerId": customer_id, "tier": "GOLD", "reasonText": "key account"},
        role=Role.SUPERVISOR,
    )
    # only compliance officers (and admins) erase
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ANALYST):
        refused = run(gql, "eraseCustomer", {"customerId": customer_id}, role=role)
        assert refused == {
            "__typename": "Forbidden",
            "code": "FORBIDDEN",
            "message": f"the {role} role may not do this",
        }
    self_erasure = run(
        gql, "eraseCustomer", {"customerId": customer_id}, role=Role.CUSTOMER, subject=customer_id
    )
    assert self_erasure["__typename"] == "Forbidden"
    before = gql(
        "query($id: ID!) { customer(id: $id) { tier registeredAt } }", {"id": customer_id}
    )["data"]["customer"]
    # the officer handles the erasure request in a privacy case of theirs
    run(gql, "openPrivacyCase", {"customerId": customer_id, **CASE}, **COMPLIANCE)
    erased = run(gql, "eraseCustomer", {"customerId": customer_id}, **COMPLIANCE)
    assert erased["customer"] == {
        "customerId": customer_id,
        "status": "ERASED",
        "tier": "GOLD",
        "version": 4,
    }
    # every contact field now reads "[erased]", for everyone who may read it
    assert contact(gql, customer_id, **COMPLIANCE) == ERASED
    assert contact(gql, customer_id, role=Role.CUSTOMER, subject=customer_id) == ERASED
    history = gql(
        "query($id: ID!) { customerHistory(id: $id) { name data } }",
        {"id": customer_id},
        **COMPLIANCE,
    )["data"]["customerHistory"]
    assert [e["name"] for e in history] == [
        "CustomerRegistered",
        "TierAssigned",
        "PrivacyCaseOpened",
        "CustomerErased",
    ]
    assert history[0]["data"]["contact"] == "[erased]"
    # what is not personal stays as it was
    after = gql(
        "query($id: ID!) { customer(id: $id) { tier registeredAt erasedAt } }", {"id": customer_id}
    )["data"]["customer"]
    assert after.pop("erasedAt")
    assert after == before
    # an erased customer accepts no new personal data, and is not erased twice
    moved = run(gql, "changeContact", {"customerId": customer_id, "contact": CONTACT})
    assert (moved["__typename"], moved["code"]) == ("RuleViolated", "CUSTOMER_ERASED")
    again = run(gql, "eraseCustomer", {"customerId": customer_id}, **COMPLIANCE)
    assert (again["__typename"], again["state"]) == ("TransitionRefused", "Erased")


def test_the_export_holds_everything_recorded_about_the_customer(
    gql: Gql, settings: Settings
) -> None:
    customer_id = register(gql)
    order_id = place_order(gql, customer_id)
    answered_survey(gql, customer_id, order_id)
    someone_else = register(gql)
    answered_survey(gql, someone_else, place_order(gql, someone_else))
    filed = mutate(
        gql,
        "fileComplaint",
        "FileComplaintInput",
        {"customerId": customer_id, "content": "Cold soup", "channel": "APP"},
        role=Role.CUSTOMER,
        subject=customer_id,
    )
    assert filed["__typename"] == "ComplaintChanged", filed
    # only compliance officers export
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ANALYST):
        refused = gql(EXPORT, {"id": customer_id}, role=role)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    refused = gql(EXPORT, {"id": customer_id}, role=Role.CUSTOMER, subject=customer_id)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    written = run(
        gql,
        "assignTier",
        {"customerId": customer_id, "tier": "SILVER", "reasonText": "loyal"},
        role=Role.SUPERVISOR,
    )["written"]
    catch_up_audit_trail(settings)
    # without a privacy case open the officer's export is sealed, and says why
    sealed = gql(EXPORT, {"id": customer_id, "at": written["position"]}, **COMPLIANCE)
    sealed_export = sealed["data"]["customerExport"]
    assert sealed_export["access"] == {"opened": False, "sealedReason": "NO_PRIVACY_CASE"}
    assert sealed_export["customer"]["contact"] == {"name": "[sealed]", "phone": "[sealed]"}
    assert sealed_export["complaints"][0]["events"][0]["data"]["content"] == {"sealed": True}
    # with one open it holds everything
    written = run(gql, "openPrivacyCase", {"customerId": customer_id, **CASE}, **COMPLIANCE)[
        "written"
    ]
    catch_up_audit_trail(settings)
    first = gql(EXPORT, {"id": customer_id, "at": written["position"]}, **COMPLIANCE)
    assert "errors" not in first, first
    data = first["data"]["customerExport"]
    assert data["customer"] == {
        "status": "ACTIVE",
        "tier": "SILVER",
        "contact": {"name": "Li Wei", "phone": CONTACT["phone"]},
    }
    assert data["access"] == {"opened": True, "sealedReason": None}
    assert [e["name"] for e in data["customerEvents"]] == [
        "CustomerRegistered",
        "TierAssigned",
        "PrivacyCaseOpened",
    ]
    assert data["customerEvents"][0]["data"]["contact"].startswith('{"name": "Li Wei"')
    [order] = data["orders"]
    assert (order["entity"], order["status"], order["version"]) == ("Order", "Received", 1)
    assert [e["name"] for e in order["events"]] == ["OrderReceived"]
    [complaint] = data["complaints"]
    assert complaint["entity"] == "Complaint"
    assert complaint["events"][0]["data"]["content"] == "Cold soup"
    [survey] = data["surveys"]
    assert (survey["entity"], survey["status"], survey["version"]) == ("Survey", "Responded", 2)
    assert survey["events"][1]["data"]["comment"] == "Nice rider"
    assert survey["events"][1]["data"]["scores"] == {
        "product_quality": 4,
        "service_attitude": 5,
        "after_sales": 3,
        "response_speed": 2,
        "problem_solving": 1,
    }
    # after erasure the same entities, states and counts remain; the personal data is gone
    run(gql, "eraseCustomer", {"customerId": customer_id}, **COMPLIANCE)
    catch_up_audit_trail(settings)
    later = gql(EXPORT, {"id": customer_id}, **COMPLIANCE)["data"]["customerExport"]
    assert later["customer"] == {
        "status": "ERASED",
        "tier": "SILVER",
        "contact": {"name": "[erased]", "phone": "[erased]"},
    }
    assert later["orders"] == data["orders"]
    assert [(c["id"], c["status"], c["version"]) for c in later["complaints"]] == [
        (complaint["id"], complaint["status"], complaint["version"])
    ]
    assert later["complaints"][0]["events"][0]["data"]["content"] == "[erased]"
    [later_survey] = later["surveys"]
    assert later_survey["events"][1]["data"]["comment"] == "[erased]"
    assert later_survey["events"][1]["data"]["scores"] == survey["events"][1]["data"]["scores"]
    assert (later_survey["id"], later_survey["status"]) == (survey["id"], survey["status"])
    assert len(later["customerEvents"]) == 4


def test_an_unknown_customer_is_not_found(gql: Gql, settings: Settings) -> None:
    catch_up_audit_trail(settings)
    nobody = str(uuid4())
    body = gql(EXPORT, {"id": nobody}, **COMPLIANCE)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    looked_up = gql("query($id: ID!) { customer(id: $id) { status } }", {"id": nobody})
    assert looked_up["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_command_id_reused_for_another_person_is_refused_over_graphql(gql: Gql) -> None:
    # given an agent who registered a customer under a command id
    first = run(gql, "registerCustomer", {"contact": CONTACT, "commandId": "reg-1"})
    assert first["written"]["replayed"] is False, first
    # when the same agent repeats it: the first outcome, replayed
    again = run(gql, "registerCustomer", {"contact": CONTACT, "commandId": "reg-1"})
    assert again["written"]["replayed"] is True
    assert again["customer"]["customerId"] == first["customer"]["customerId"]
    # when the same id comes with another person's contact: refused, nothing silently dropped
    other = {**CONTACT, "name": "Someone Else", "phone": "+86 139 0000 0000"}
    refused = run(gql, "registerCustomer", {"contact": other, "commandId": "reg-1"})
    assert refused["code"] == "IDEMPOTENCY_KEY_REUSED"
    # and the refusal names nothing of the first use
    assert first["customer"]["customerId"] not in refused["message"]
    assert (
        "registerCustomer" not in refused["message"]
        and "register_customer" not in refused["message"]
    )
    # when another agent sends the same id: refused too, telling them nothing of the first
    theirs = run(
        gql, "registerCustomer", {"contact": CONTACT, "commandId": "reg-1"}, subject="agent-2"
    )
    assert theirs["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "agent-1" not in theirs["message"]
    assert first["customer"]["customerId"] not in theirs["message"]


def test_history_fields_are_in_the_schemas_case_and_contact_an_object(gql: Gql) -> None:
    # given a registered customer, and a complaint of theirs
    customer_id = register(gql)
    filed = gql(
        """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
             ... on ComplaintChanged { complaint { complaintId } } } }""",
        {"input": {"customerId": customer_id, "content": "cold soup", "channel": "APP"}},
    )["data"]["fileComplaint"]["complaint"]["complaintId"]
    query = "query($id: ID!) { customerHistory(id: $id) { name data fields } }"
    # when the customer reads their own history and an agent the complaint's (queued in their
    # department)
    mine = {"role": Role.CUSTOMER, "subject": customer_id}
    [registered] = gql(query, {"id": customer_id}, **mine)["data"]["customerHistory"]
    complaint = gql(
        "query($id: ID!) { complaintHistory(id: $id, limit: 1) { data fields } }", {"id": filed}
    )["data"]["complaintHistory"][0]
    # then `fields` names them as the schema does, and the contact is an object, not JSON text
    assert registered["fields"]["contact"] == CONTACT
    assert json.loads(registered["data"]["contact"]) == CONTACT  # `data` as it was
    assert complaint["fields"]["customerId"] == complaint["data"]["customer_id"] == customer_id
    assert complaint["fields"]["content"] == "cold soup"
    assert all("_" not in key for key in complaint["fields"])
    # and an analyst gets the contact sealed there too
    sealed = gql(query, {"id": customer_id}, role=Role.ANALYST)["data"]["customerHistory"][0]
    assert sealed["fields"]["contact"] == {"sealed": True}
