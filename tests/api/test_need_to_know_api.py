"""Need-to-know through GraphQL: role by relation to the complaint or order by personal field.
A field the caller does not need reads "[sealed]" with a typed reason; the query succeeds."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE, PLACE, place_input

pytestmark = pytest.mark.usefixtures("known_customers")

TEXT = "The soup was cold"
ACCESS = "{ opened basis sealedReason }"
COMPLAINT = f"query($id: ID!) {{ complaint(id: $id) {{ content contentAccess {ACCESS} }} }}"
ORDER = f"query($id: ID!) {{ order(id: $id) {{ address addressAccess {ACCESS} }} }}"
ADDRESS = "88 Jianguo Road"

CUSTOMER = {"role": Role.CUSTOMER, "subject": ALICE}
DESK_AGENT = {"role": Role.AGENT, "subject": "agent-1", "department": "customer_service"}
QUALITY_AGENT = {"role": Role.AGENT, "subject": "agent-5", "department": "quality"}
ASSIGNEE = {"role": Role.AGENT, "subject": "agent-9", "department": "quality"}
TECH_SUPERVISOR = {"role": Role.SUPERVISOR, "subject": "sup-2", "department": "technical"}
DESK_SUPERVISOR = {"role": Role.SUPERVISOR, "subject": "sup-1", "department": "customer_service"}
COMMANDER = {"role": Role.INCIDENT_COMMANDER, "subject": "ic-1", "department": None}
OFFICER = {"role": Role.COMPLIANCE_OFFICER, "subject": "dpo-1", "department": None}
ANALYST = {"role": Role.ANALYST, "subject": "an-1", "department": None}
ADMIN = {"role": Role.ADMIN, "subject": "admin-1", "department": None}
NOT_STAFF = {"COMMANDER": COMMANDER, "ANALYST": ANALYST}


def mutate(gql: Gql, name: str, kind: str, input: dict[str, Any], **as_: Any) -> dict[str, Any]:
    entity = "order" if "orderId" in input else "complaint"
    body = gql(
        f"mutation($input: {kind}!) {{ {name}(input: $input) {{ __typename"
        f" ... on {entity.title()}Changed {{ {entity} {{ {entity}Id }} }}"
        " ... on Problem { code message } } }",
        {"input": input},
        **as_,
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    assert result["__typename"].endswith("Changed"), result
    return result


def a_complaint(gql: Gql) -> str:
    data = {"customerId": ALICE, "content": TEXT, "channel": "APP"}
    filed = mutate(gql, "fileComplaint", "FileComplaintInput", data, **CUSTOMER)
    complaint_id: str = filed["complaint"]["complaintId"]
    return complaint_id


def seen(gql: Gql, document: str, entity_id: str, **as_: Any) -> tuple[str, dict[str, Any]]:
    body = gql(document, {"id": entity_id}, **as_)
    assert "errors" not in body, body
    found = next(iter(body["data"].values()))
    value, access = list(found.values())
    return value, access


def opened(basis: str, value: str) -> tuple[str, dict[str, Any]]:
    return value, {"opened": True, "basis": basis, "sealedReason": None}


def sealed(reason: str) -> tuple[str, dict[str, Any]]:
    return "[sealed]", {"opened": False, "basis": None, "sealedReason": reason}


def test_complaint_text_opens_for_who_handles_it_and_stays_sealed_for_the_rest(gql: Gql) -> None:
    complaint_id = a_complaint(gql)

    # a new complaint is queued at customer service: its desk opens it, other desks do not
    expected: dict[str, tuple[dict[str, Any], tuple[str, dict[str, Any]]]] = {
        "customer": (CUSTOMER, opened("OWN", TEXT)),
        "desk agent": (DESK_AGENT, opened("DEPARTMENT", TEXT)),
        "desk supervisor": (DESK_SUPERVISOR, opened("DEPARTMENT", TEXT)),
        "quality agent": (QUALITY_AGENT, sealed("NOT_HANDLING")),
        "technical supervisor": (TECH_SUPERVISOR, sealed("NOT_HANDLING")),
        "commander": (COMMANDER, sealed("ROLE")),
        "analyst": (ANALYST, sealed("ROLE")),
        "compliance officer": (OFFICER, sealed("NO_PRIVACY_CASE")),
        "admin": (ADMIN, sealed("NOT_HANDLING")),
    }
    for who, (caller, outcome) in expected.items():
        assert seen(gql, COMPLAINT, complaint_id, **caller) == outcome, who

    # handed to technical support, person agent-9 (of quality): the assignee and technical open it
    classify = {
        "complaintId": complaint_id,
        "category": "LOGISTICS",
        "subcategory": "late",
        "severity": "GENERAL",
    }
    mutate(gql, "classifyComplaint", "ClassifyComplaintInput", classify, **DESK_AGENT)
    assign = {"complaintId": complaint_id, "department": "TECHNICAL", "person": "agent-9"}
    mutate(gql, "assignResponsibility", "AssignResponsibilityInput", assign, **DESK_AGENT)
    assert seen(gql, COMPLAINT, complaint_id, **ASSIGNEE) == opened("ASSIGNED", TEXT)
    assert seen(gql, COMPLAINT, complaint_id, **TECH_SUPERVISOR) == opened("DEPARTMENT", TEXT)
    assert seen(gql, COMPLAINT, complaint_id, **DESK_AGENT) == sealed("NOT_HANDLING")
    assert seen(gql, COMPLAINT, complaint_id, **QUALITY_AGENT) == sealed("NOT_HANDLING")
    assert seen(gql, COMPLAINT, complaint_id, **CUSTOMER) == opened("OWN", TEXT)

    # merged into another complaint it has ended: within the grace period the assignee still reads
    into = a_complaint(gql)
    merge = {"complaintId": complaint_id, "into": into}
    mutate(gql, "mergeComplaint", "MergeComplaintInput", merge, **TECH_SUPERVISOR)
    assert seen(gql, COMPLAINT, complaint_id, **ASSIGNEE) == opened("ASSIGNED", TEXT)


def test_an_order_address_opens_for_customer_service_and_the_one_it_is_assigned_to(
    gql: Gql,
) -> None:
    placed = gql(PLACE, {"input": place_input(ALICE, address=ADDRESS)}, **CUSTOMER)
    order_id = placed["data"]["placeOrder"]["order"]["orderId"]
    assert seen(gql, ORDER, order_id, **CUSTOMER) == opened("OWN", ADDRESS)
    assert seen(gql, ORDER, order_id, **DESK_AGENT) == opened("DEPARTMENT", ADDRESS)
    assert seen(gql, ORDER, order_id, **QUALITY_AGENT) == sealed("NOT_HANDLING")
    assert seen(gql, ORDER, order_id, **OFFICER) == sealed("NO_PRIVACY_CASE")
    assert seen(gql, ORDER, order_id, **ADMIN) == sealed("NOT_HANDLING")
    for caller in NOT_STAFF.values():
        assert seen(gql, ORDER, order_id, **caller) == sealed("ROLE")

    # the kitchen's assignee opens it once the order is assigned to them
    mutate(gql, "confirmOrder", "OrderInput", {"orderId": order_id}, **DESK_AGENT)
    assign = {"orderId": order_id, "department": "KITCHEN", "assignee": "agent-5"}
    mutate(gql, "assignOrderDepartment", "AssignDepartmentInput", assign, **DESK_AGENT)
    assert seen(gql, ORDER, order_id, **QUALITY_AGENT) == opened("ASSIGNED", ADDRESS)
