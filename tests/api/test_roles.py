"""Who may do what (docs/architecture.md#who-may-do-what), as a table: allowed operations
succeed, refused ones are a Forbidden member (mutations) or a FORBIDDEN error (queries), never
empty data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.auth import Principal, Role
from api.cli.permissions import PERMISSIONS_FILE
from api.graphql.problems import ForbiddenError
from api.permissions import OPERATIONS as OPERATION_KINDS
from api.permissions import OWN_DATA, PERMISSIONS, authorize, markdown
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE, BOB, PLACE, place_input
from tests.webhooks.hooks import SECRET

pytestmark = pytest.mark.usefixtures("known_customers")

# "owner" is the customer the entity belongs to, "other" another customer
CALLERS = (
    "owner",
    "other",
    "agent",
    "supervisor",
    "incident_commander",
    "compliance_officer",
    "analyst",
    "admin",
)
Y, N = True, False

RIGHTS: list[tuple[str, str, tuple[bool, ...]]] = [
    # slice       operation               owner other agent super ic    dpo   analyst admin
    ("orders", "placeOrder", (Y, N, Y, Y, N, N, N, Y)),
    ("orders", "confirmOrder", (N, N, Y, Y, N, N, N, Y)),
    ("orders", "recordRefund", (N, N, Y, Y, N, N, N, Y)),
    ("orders", "approvePayoutException", (N, N, N, Y, N, N, N, Y)),
    ("orders", "cancelOrder", (Y, N, Y, Y, N, N, N, Y)),
    ("orders", "order", (Y, N, Y, Y, Y, Y, Y, Y)),
    ("orders", "orderHistory", (Y, N, Y, Y, Y, Y, Y, Y)),
    ("orders", "order.address", (Y, N, Y, Y, N, N, N, N)),  # need-to-know: sealed, not refused
    ("complaints", "fileComplaint", (Y, N, Y, Y, N, N, N, Y)),
    ("complaints", "classifyComplaint", (N, N, Y, Y, N, N, N, Y)),
    ("complaints", "complaint", (Y, N, Y, Y, Y, Y, Y, Y)),
    ("complaints", "complaint.content", (Y, N, Y, Y, N, N, N, N)),
    ("incidents", "reportIncident", (N, N, Y, Y, Y, N, N, Y)),
    ("incidents", "confirmIncident", (N, N, N, Y, Y, N, N, Y)),
    ("incidents", "incident", (N, N, N, Y, Y, Y, Y, Y)),
    ("surveys", "sendSurvey", (N, N, Y, Y, N, N, N, Y)),
    ("surveys", "respondToSurvey", (Y, N, N, N, N, N, N, Y)),
    ("surveys", "survey", (Y, N, Y, Y, N, Y, Y, Y)),
    ("surveys", "survey.comment", (Y, N, Y, Y, N, N, N, N)),  # as the order it asks about
    ("customers", "registerCustomer", (N, N, Y, Y, N, N, N, Y)),
    ("customers", "changeContact", (Y, N, Y, Y, N, N, N, Y)),
    ("customers", "assignTier", (N, N, N, Y, N, N, N, Y)),
    ("customers", "eraseCustomer", (N, N, N, N, N, Y, N, Y)),
    ("customers", "defineTierThresholds", (N, N, N, N, N, N, N, Y)),
    ("customers", "tierThresholds", (N, N, Y, Y, N, Y, Y, Y)),
    ("customers", "customer", (Y, N, Y, Y, N, Y, Y, Y)),
    ("customers", "customer.contact", (Y, N, N, N, N, N, N, N)),  # nothing of theirs handled
    ("customers", "breakGlass", (N, N, Y, Y, N, N, N, Y)),
    ("customers", "openPrivacyCase", (N, N, N, N, N, Y, N, Y)),
    ("customers", "customerExport", (N, N, N, N, N, Y, N, Y)),
    ("reads", "complaintDashboard", (N, N, Y, Y, N, Y, Y, Y)),
    ("reads", "complaintBreakdown", (N, N, Y, Y, N, Y, Y, Y)),
    ("reads", "incidentMetrics", (N, N, Y, Y, Y, Y, Y, Y)),
    ("reads", "complaintQueue", (N, N, Y, Y, N, Y, Y, Y)),
    ("reads", "complaints", (Y, N, Y, Y, N, Y, Y, Y)),  # customers their own only
    ("reads", "orders", (Y, N, Y, Y, N, Y, Y, Y)),
    ("reads", "incidents", (N, N, N, Y, Y, Y, Y, Y)),
    ("reads", "clusterDetections", (N, N, N, Y, Y, Y, Y, Y)),
    ("reads", "auditTrail", (N, N, Y, Y, Y, Y, Y, Y)),
    ("reads", "verifyAuditChain", (N, N, N, N, N, Y, N, Y)),
    ("reads", "slaWhatIf", (N, N, N, Y, N, N, Y, Y)),
    ("webhooks", "registerWebhookEndpoint", (N, N, N, N, N, N, N, Y)),
    ("webhooks", "webhookEndpoints", (N, N, N, N, N, N, N, Y)),
]

RESULT = "{ __typename ... on Problem { code message } }"
STAFF = {"role": Role.AGENT, "subject": "agent-9"}
COMMANDER = {"role": Role.INCIDENT_COMMANDER, "subject": "ic-9"}
CONTACT = {"name": "Alice", "phone": "+86 10 5555 0100"}
WINDOW = "from: $from, to: $to"
REASON = {"reasonCode": "customer_on_the_line", "reasonText": "calling about an order"}


def who(caller: str, owner: str) -> dict[str, Any]:
    """Staff of customer service, where new complaints and orders are queued."""
    if caller in ("owner", "other"):
        return {"role": Role.CUSTOMER, "subject": owner if caller == "owner" else BOB}
    return {"role": Role(caller), "subject": f"{caller}-1", "department": "customer_service"}


def mutate(gql: Gql, name: str, kind: str, input: dict[str, Any], **as_: Any) -> str:
    body = gql(
        f"mutation($input: {kind}!) {{ {name}(input: $input) {RESULT} }}", {"input": input}, **as_
    )
    assert "errors" not in body, body
    result = body["data"][name]
    if result["__typename"] == "Forbidden":
        assert result["code"] == "FORBIDDEN"
        return "refused"
    return "done" if result["__typename"].endswith("Changed") else str(result)


def query(gql: Gql, document: str, variables: dict[str, Any], **as_: Any) -> str:
    body = gql(document, variables, **as_)
    codes = [error["extensions"]["code"] for error in body.get("errors", [])]
    if codes:
        # an unfilled read model still says who may read it: authorised, not yet ready
        assert codes in (["FORBIDDEN"], ["VIEW_NOT_READY"]), body
        return "refused" if codes == ["FORBIDDEN"] else "done"
    assert all(value is not None for value in body["data"].values()), body
    # a personal field that need-to-know keeps sealed is refused too, without an error
    return "refused" if "[sealed]" in json.dumps(body["data"]) else "done"


def created(gql: Gql, name: str, kind: str, input: dict[str, Any], field: str, **as_: Any) -> str:
    body = gql(
        f"mutation($input: {kind}!) {{ {name}(input: $input) {{ ... on {field.title()}"
        f"Changed {{ {field} {{ {field}Id }} }} }} }}",
        {"input": input},
        **as_,
    )
    entity_id: str = body["data"][name][field][f"{field}Id"]
    return entity_id


def an_order(gql: Gql, confirmed: bool = False) -> str:
    order_id: str = gql(PLACE, {"input": place_input(ALICE)})["data"]["placeOrder"]["order"][
        "orderId"
    ]
    if confirmed:
        assert mutate(gql, "confirmOrder", "OrderInput", {"orderId": order_id}) == "done"
    return order_id


def a_complaint(gql: Gql) -> str:
    data = {"customerId": ALICE, "content": "cold soup", "channel": "APP"}
    return created(gql, "fileComplaint", "FileComplaintInput", data, "complaint", **STAFF)


def an_incident(gql: Gql) -> str:
    data = {
        "type": "SYSTEM_FAILURE",
        "source": "STAFF",
        "title": "Payments down",
        "description": "Card payments fail",
    }
    return created(gql, "reportIncident", "ReportIncidentInput", data, "incident", **COMMANDER)


def a_survey(gql: Gql) -> str:
    data = {"customerId": ALICE, "subject": "ORDER", "subjectId": an_order(gql), "via": "APP"}
    return created(gql, "sendSurvey", "SendSurveyInput", data, "survey", **STAFF)


def a_customer(gql: Gql) -> str:
    data = {"contact": CONTACT}
    return created(gql, "registerCustomer", "RegisterCustomerInput", data, "customer", **STAFF)


def read(field: str, selection: str, make: Callable[[Gql], str]) -> Operation:
    document = f"query($id: ID!) {{ {field}(id: $id) {{ {selection} }} }}"
    return lambda gql, caller: query(gql, document, {"id": make(gql)}, **who(caller, ALICE))


def window_read(field: str, selection: str, before: str = "(", after: str = ")") -> Operation:
    """`field` over the last hour, with other arguments before or after the window's."""
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(hours=1)).isoformat(), "to": now.isoformat()}
    arguments = f"{before}{WINDOW}{after}"
    document = f"query($from: DateTime!, $to: DateTime!) {{ {field}{arguments} {{ {selection} }} }}"
    return lambda gql, caller: query(gql, document, window, **who(caller, ALICE))


def on_customer(name: str, kind: str, extra: dict[str, Any]) -> Operation:
    def run(gql: Gql, caller: str) -> str:
        customer_id = a_customer(gql)
        input = {"customerId": customer_id, **extra}
        return mutate(gql, name, kind, input, **who(caller, customer_id))

    return run


def read_customer(selection: str) -> Operation:
    def run(gql: Gql, caller: str) -> str:
        customer_id = a_customer(gql)
        document = f"query($id: ID!) {{ customer(id: $id) {{ {selection} }} }}"
        return query(gql, document, {"id": customer_id}, **who(caller, customer_id))

    return run


Operation = Callable[[Gql, str], str]
SCORES = {
    "productQuality": 5,
    "serviceAttitude": 4,
    "afterSales": 4,
    "responseSpeed": 5,
    "problemSolving": 3,
}

OPERATIONS: dict[str, Operation] = {
    "placeOrder": lambda gql, c: mutate(
        gql, "placeOrder", "PlaceOrderInput", place_input(ALICE), **who(c, ALICE)
    ),
    "confirmOrder": lambda gql, c: mutate(
        gql, "confirmOrder", "OrderInput", {"orderId": an_order(gql)}, **who(c, ALICE)
    ),
    "recordRefund": lambda gql, c: mutate(
        gql,
        "recordRefund",
        "RecordRefundInput",
        {"orderId": an_order(gql, confirmed=True), "amount": "1.00", "origin": "GUARANTEE"},
        **who(c, ALICE),
    ),
    "approvePayoutException": lambda gql, c: mutate(
        gql,
        "approvePayoutException",
        "ApprovePayoutExceptionInput",
        {"orderId": an_order(gql), "amount": "5.00", "reason": "goodwill"},
        **who(c, ALICE),
    ),
    "cancelOrder": lambda gql, c: mutate(
        gql,
        "cancelOrder",
        "CancelOrderInput",
        {
            "orderId": an_order(gql, confirmed=True),
            "reason": "changed plans",
            "cancellingParty": "CUSTOMER",
        },
        **who(c, ALICE),
    ),
    "order": read("order", "status", an_order),
    "orderHistory": read("orderHistory", "name", an_order),
    "order.address": read("order", "address", an_order),
    "fileComplaint": lambda gql, c: mutate(
        gql,
        "fileComplaint",
        "FileComplaintInput",
        {"customerId": ALICE, "content": "late again", "channel": "APP"},
        **who(c, ALICE),
    ),
    "classifyComplaint": lambda gql, c: mutate(
        gql,
        "classifyComplaint",
        "ClassifyComplaintInput",
        {
            "complaintId": a_complaint(gql),
            "category": "LOGISTICS",
            "subcategory": "late",
            "severity": "GENERAL",
        },
        **who(c, ALICE),
    ),
    "complaint": read("complaint", "status", a_complaint),
    "complaint.content": read("complaint", "content", a_complaint),
    "reportIncident": lambda gql, c: mutate(
        gql,
        "reportIncident",
        "ReportIncidentInput",
        {"type": "ACCIDENT", "source": "STAFF", "title": "Crash", "description": "A courier"},
        **who(c, ALICE),
    ),
    "confirmIncident": lambda gql, c: mutate(
        gql, "confirmIncident", "IncidentInput", {"incidentId": an_incident(gql)}, **who(c, ALICE)
    ),
    "incident": read("incident", "status", an_incident),
    "sendSurvey": lambda gql, c: mutate(
        gql,
        "sendSurvey",
        "SendSurveyInput",
        {"customerId": ALICE, "subject": "ORDER", "subjectId": an_order(gql), "via": "SMS"},
        **who(c, ALICE),
    ),
    "respondToSurvey": lambda gql, c: mutate(
        gql,
        "respondToSurvey",
        "RespondToSurveyInput",
        {"surveyId": a_survey(gql), "scores": SCORES, "comment": "fine"},
        **who(c, ALICE),
    ),
    "survey": read("survey", "status", a_survey),
    "survey.comment": read("survey", "comment", a_survey),
    "registerCustomer": lambda gql, c: mutate(
        gql, "registerCustomer", "RegisterCustomerInput", {"contact": CONTACT}, **who(c, ALICE)
    ),
    "changeContact": on_customer("changeContact", "ChangeContactInput", {"contact": CONTACT}),
    "assignTier": on_customer(
        "assignTier", "AssignTierInput", {"tier": "GOLD", "reasonText": "key account"}
    ),
    "defineTierThresholds": lambda gql, c: mutate(
        gql,
        "defineTierThresholds",
        "DefineTierThresholdsInput",
        {"windowDays": 90, "silver": "100", "gold": "500", "platinum": "900"},
        **who(c, ALICE),
    ),
    "tierThresholds": lambda gql, c: query(
        gql, "{ tierThresholds { version } }", {}, **who(c, ALICE)
    ),
    "eraseCustomer": on_customer("eraseCustomer", "CustomerInput", {}),
    "breakGlass": on_customer("breakGlass", "BreakGlassInput", REASON),
    "openPrivacyCase": on_customer("openPrivacyCase", "CustomerInput", REASON),
    "customer": read_customer("status"),
    "customer.contact": read_customer("contact { name }"),
    "customerExport": read("customerExport", "customerId", a_customer),
    "complaintDashboard": window_read("complaintDashboard", "received"),
    "complaintBreakdown": window_read("complaintBreakdown", "label", after=", by: DEPARTMENT)"),
    "incidentMetrics": window_read("incidentMetrics", "reported"),
    "complaintQueue": lambda gql, c: query(
        gql, "{ complaintQueue { pageInfo { hasNextPage } } }", {}, **who(c, ALICE)
    ),
    "complaints": lambda gql, c: query(
        gql,
        "query($c: ID) { complaints(customerId: $c) { pageInfo { hasNextPage } } }",
        {"c": ALICE},
        **who(c, ALICE),
    ),
    "orders": lambda gql, c: query(
        gql,
        "query($c: ID) { orders(customerId: $c) { pageInfo { hasNextPage } } }",
        {"c": ALICE},
        **who(c, ALICE),
    ),
    "incidents": lambda gql, c: query(
        gql, "{ incidents { pageInfo { hasNextPage } } }", {}, **who(c, ALICE)
    ),
    "clusterDetections": lambda gql, c: query(
        gql, "{ clusterDetections { pageInfo { hasNextPage } } }", {}, **who(c, ALICE)
    ),
    "auditTrail": lambda gql, c: query(
        gql,
        "query($id: ID!) { auditTrail(entityId: $id) { pageInfo { hasNextPage } } }",
        {"id": an_order(gql)},
        **who(c, ALICE),
    ),
    "verifyAuditChain": lambda gql, c: query(
        gql, "{ verifyAuditChain { ok } }", {}, **who(c, ALICE)
    ),
    "slaWhatIf": window_read("slaWhatIf", "__typename", '(policy: {name: "trial"}, ', ")"),
    "registerWebhookEndpoint": lambda gql, c: mutate(
        gql,
        "registerWebhookEndpoint",
        "RegisterWebhookEndpointInput",
        {"url": "http://127.0.0.1:9/h", "eventTypes": ["OrderReceived"], "secret": SECRET},
        **who(c, ALICE),
    ),
    "webhookEndpoints": lambda gql, c: query(
        gql, "{ webhookEndpoints { endpointId } }", {}, **who(c, ALICE)
    ),
}


@pytest.mark.parametrize("slice_", sorted({slice_ for slice_, _, _ in RIGHTS}))
def test_each_role_may_do_what_its_rights_say_and_nothing_else(gql: Gql, slice_: str) -> None:
    cases = [
        (caller, operation, allowed)
        for s, operation, flags in RIGHTS
        if s == slice_
        for caller, allowed in zip(CALLERS, flags, strict=True)
    ]
    for caller, operation, allowed in cases:
        outcome = OPERATIONS[operation](gql, caller)
        assert outcome == ("done" if allowed else "refused"), (caller, operation, outcome)


def test_every_operation_in_the_table_has_a_runner() -> None:
    assert sorted(OPERATIONS) == sorted(operation for _, operation, _ in RIGHTS)


# The permission table itself (api/permissions.py): complete, and the one thing resolvers ask.


def schema_operations() -> dict[str, set[str]]:
    from api.graphql.schema import build_schema

    types = build_schema()._schema.type_map
    return {kind: set(types[kind].fields) for kind in OPERATION_KINDS}  # type: ignore[attr-defined]


def test_every_schema_operation_has_an_entry_and_every_entry_an_operation() -> None:
    for kind, names in schema_operations().items():
        assert names - set(OPERATION_KINDS[kind]) == set(), (
            f"{kind} fields with no permission entry"
        )
        assert set(OPERATION_KINDS[kind]) - names == set(), f"{kind} entries naming no operation"


@pytest.mark.parametrize("operation", sorted(PERMISSIONS))
def test_allowed_roles_pass_and_every_other_role_is_refused(operation: str) -> None:
    allowed = PERMISSIONS[operation].roles
    for role in Role:
        caller = Principal("0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d", role)
        if role in allowed:
            assert authorize(caller, operation) is caller
        else:
            with pytest.raises(ForbiddenError, match=f"the {role} role may not do this"):
                authorize(caller, operation)
    with pytest.raises(ForbiddenError, match="needs a bearer token"):
        authorize(None, operation)


def test_customers_are_allowed_only_under_the_own_data_rule() -> None:
    for operation, permission in PERMISSIONS.items():
        assert (Role.CUSTOMER in permission.roles) == (OWN_DATA in permission.rows), operation


def test_the_end_to_end_rights_agree_with_the_table() -> None:
    staff = [Role(caller) for caller in CALLERS[2:]]
    for _, operation, rights in RIGHTS:
        if operation not in PERMISSIONS:
            continue  # a field of an entity, not an operation
        allowed = PERMISSIONS[operation].roles
        assert rights[0] == (Role.CUSTOMER in allowed), operation
        assert list(rights[2:]) == [role in allowed for role in staff], operation


def test_every_operation_a_resolver_names_is_in_the_table() -> None:
    named = set()
    for module in Path("api").rglob("*.py"):
        named |= set(re.findall(r'authorize\("(\w+)"\)', module.read_text()))
    assert named and named - set(PERMISSIONS) == set()


def test_docs_permissions_md_is_current() -> None:
    assert PERMISSIONS_FILE.read_text() == markdown(), (
        "run: careledger permissions --output docs/permissions.md"
    )
