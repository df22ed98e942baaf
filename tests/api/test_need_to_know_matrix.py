"""Need-to-know as a matrix through GraphQL: role by relation to the data by personal field.

One world per backend holds, for each relation of tests/need_to_know_matrix.py, a customer with
a complaint so related to the caller `them-<n>` (and a survey about it); each case reads one
personal field as one role with that relation, and expects what the matrix says: the value
opened, or "[sealed]" with the reason (history and trail entries show `{sealed: true}`); a
customer reading another customer's data is refused the whole query (the own-data rule)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.auth import Role, issue_token
from api.need_to_know import AccessBasis, SealedReason
from api.permissions import QUERIES
from application.settings import Settings
from tests.api.live_views import projecting
from tests.backends import BACKENDS, make_settings
from tests.need_to_know_matrix import MATRIX, ROLES

TEXT = "The rider left it at the wrong door"
COMMENT = "Call me on my mobile next time"
NAME = "Wu Fang"
SCORES = {
    "productQuality": 3,
    "serviceAttitude": 4,
    "afterSales": 2,
    "responseSpeed": 5,
    "problemSolving": 1,
}
REASON = {"reasonCode": "customer_on_the_line", "reasonText": "caller asks about a refund"}
WAIT_S = 10.0
# relation: the department of the callers `them-<n>`, and how the complaint stands to them
SETUPS: dict[str, tuple[str, str]] = {
    "their own (the customer)": ("technical", "queued"),
    "assigned to them, open": ("quality", "assigned"),
    "queued in their department, open": ("technical", "technical"),
    "theirs, ended within the grace period": ("quality", "merged"),
    "theirs, ended before the grace period": ("quality", "closed long ago"),
    "none (another department, not assigned)": ("technical", "elsewhere"),
    "none, the glass broken by them (open)": ("technical", "glass"),
    "none, the glass broken by them (closed)": ("technical", "glass closed"),
    "none, a privacy case of theirs open": ("technical", "case"),
}
ACCESS = "{ opened basis sealedReason }"
FIELDS: dict[str, str] = {
    "complaint.content": (
        f"query($c: ID!) {{ complaint(id: $c) {{ content contentAccess {ACCESS} }} }}"
    ),
    "customer.contact": (
        f"query($k: ID!) {{ customer(id: $k) {{ contact {{ name }} contactAccess {ACCESS} }} }}"
    ),
    "survey.comment": (f"query($s: ID!) {{ survey(id: $s) {{ comment commentAccess {ACCESS} }} }}"),
    "complaintHistory": "query($c: ID!) { complaintHistory(id: $c, limit: 1) { data } }",
    "auditTrail": (
        "query($c: ID!) { auditTrail(entityId: $c, first: 1) { edges { node { data } } } }"
    ),
}
OPERATION = {
    "complaint.content": "complaint",
    "customer.contact": "customer",
    "survey.comment": "survey",
    "complaintHistory": "complaintHistory",
    "auditTrail": "auditTrail",
}
TRAIL_AT = (
    "query($c: ID!, $at: Int) { auditTrail(entityId: $c, first: 1, atPosition: $at)"
    " { edges { node { event } } } }"
)
LISTED_AT = (
    "query($at: Int) { complaints(first: 1, atPosition: $at) { edges { node { status } } } }"
)


@dataclass
class Related:
    customer: str
    complaint: str
    survey: str


@dataclass
class World:
    client: TestClient
    settings: Settings
    related: dict[str, Related]

    def post(self, document: str, variables: dict[str, Any], **who: Any) -> dict[str, Any]:
        token = issue_token(
            self.settings, who["role"], who["subject"], department=who.get("department")
        )
        response = self.client.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def run(self, name: str, kind: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
        entity = PAYLOADS.get(kind, "complaint")
        body = self.post(
            f"mutation($input: {kind}!) {{ {name}(input: $input) {{ __typename"
            f" ... on {entity.title()}Changed {{ {entity} {{ {entity}Id }}"
            " written { position } }"
            " ... on Problem { code message } } }",
            {"input": input},
            **who,
        )
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"][name]
        assert result["__typename"].endswith("Changed"), (name, result)
        return result


PAYLOADS = {
    "RegisterCustomerInput": "customer",
    "BreakGlassInput": "customer",
    "CustomerInput": "customer",
    "SendSurveyInput": "survey",
    "RespondToSurveyInput": "survey",
}


def caller(relation: str, role: Role, world: World) -> dict[str, Any]:
    if role is Role.CUSTOMER:
        own = relation == "their own (the customer)"
        return {"role": role, "subject": world.related[relation].customer if own else str(uuid4())}
    department, _ = SETUPS[relation]
    return {"role": role, "subject": them(relation), "department": department}


def them(relation: str) -> str:
    return f"them-{list(SETUPS).index(relation)}"


AGENT = {"role": Role.AGENT, "subject": "desk-1", "department": "customer_service"}


def build(world: World, relation: str) -> int:
    """The relation's customer, complaint and survey; the position of the last write."""
    _, how = SETUPS[relation]
    person = them(relation)
    long_ago = datetime.now(UTC) - timedelta(days=10)

    def at(days: float) -> dict[str, str]:
        return (
            {"occurredAt": (long_ago + timedelta(days=days)).isoformat()}
            if how == "closed long ago"
            else {}
        )

    customer = world.run(
        "registerCustomer",
        "RegisterCustomerInput",
        {"contact": {"name": NAME, "phone": "13800138000"}},
        **AGENT,
    )
    customer_id = customer["customer"]["customerId"]
    mine = {"role": Role.CUSTOMER, "subject": customer_id}
    filed = world.run(
        "fileComplaint",
        "FileComplaintInput",
        {"customerId": customer_id, "content": TEXT, "channel": "APP", **at(0)},
        **mine,
    )
    complaint_id = filed["complaint"]["complaintId"]
    on = {"complaintId": complaint_id}
    if how != "queued":
        classify = {**on, "category": "LOGISTICS", "subcategory": "late", "severity": "GENERAL"}
        world.run("classifyComplaint", "ClassifyComplaintInput", {**classify, **at(0.1)}, **AGENT)
        department, assignee = {
            "assigned": ("TECHNICAL", person),
            "technical": ("TECHNICAL", "someone-else"),
            "merged": ("TECHNICAL", person),
            "closed long ago": ("TECHNICAL", person),
        }.get(how, ("QUALITY", "someone-else"))
        assign = {**on, "department": department, "person": assignee, **at(0.2)}
        world.run("assignResponsibility", "AssignResponsibilityInput", assign, **AGENT)
    survey = world.run(
        "sendSurvey",
        "SendSurveyInput",
        {
            "customerId": customer_id,
            "subject": "COMPLAINT",
            "subjectId": complaint_id,
            "via": "SMS",
            **at(0.3),
        },
        **AGENT,
    )["survey"]["surveyId"]
    last = world.run(
        "respondToSurvey",
        "RespondToSurveyInput",
        {"surveyId": survey, "scores": SCORES, "comment": COMMENT, **at(0.4)},
        **mine,
    )
    if how == "merged":
        other = world.run(
            "fileComplaint",
            "FileComplaintInput",
            {"customerId": customer_id, "content": "again", "channel": "APP"},
            **mine,
        )
        merge = {**on, "into": other["complaint"]["complaintId"]}
        last = world.run("mergeComplaint", "MergeComplaintInput", merge, **AGENT)
    if how == "closed long ago":
        world.run("startWork", "ComplaintInput", {**on, **at(1)}, **AGENT)
        world.run(
            "proposeSolution", "ProposeSolutionInput", {**on, "remedy": "APOLOGY", **at(2)}, **AGENT
        )
        world.run(
            "resolveComplaint",
            "ResolveComplaintInput",
            {**on, "outcome": "EXPLAINED", **at(3)},
            **AGENT,
        )
        last = world.run(
            "closeComplaint", "CloseComplaintInput", {**on, "by": "AGENT", **at(4)}, **AGENT
        )
    if how in ("glass", "glass closed"):
        when = (
            {}
            if how == "glass"
            else {"occurredAt": (datetime.now(UTC) - timedelta(hours=2)).isoformat()}
        )
        glass = {"customerId": customer_id, "minutes": 30, **REASON, **when}
        last = world.run("breakGlass", "BreakGlassInput", glass, role=Role.AGENT, subject=person)
    if how == "case":
        case = {"customerId": customer_id, **REASON}
        last = world.run(
            "openPrivacyCase", "CustomerInput", case, role=Role.COMPLIANCE_OFFICER, subject=person
        )
    world.related[relation] = Related(customer_id, complaint_id, survey)
    position: int = last["written"]["position"]
    return position


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    settings = make_settings(str(request.param), tmp_path_factory.mktemp("matrix"), request)
    with projecting(settings), TestClient(create_app(settings)) as client:
        made = World(client, settings, {})
        last = max(build(made, relation) for relation in SETUPS)
        # the indexes behind `customer.contact` and the audit trail have read every write
        some = next(iter(made.related.values()))
        assert "errors" not in made.post(TRAIL_AT, {"c": some.complaint, "at": last}, **AGENT)
        assert "errors" not in made.post(LISTED_AT, {"at": last}, **AGENT)
        yield made


def read(world: World, field: str, relation: str, role: Role) -> Any:
    related = world.related[relation]
    variables = {"c": related.complaint, "k": related.customer, "s": related.survey}
    document = FIELDS[field]
    used = {name: value for name, value in variables.items() if f"${name}" in document}
    return world.post(document, used, **caller(relation, role, world))


def expected(field: str, relation: str, role: Role) -> Any:
    outcome = MATRIX[relation][ROLES.index(role)]
    # another customer's data is refused whole (the own-data rule), and so is an operation the
    # role may not run at all (tests/api/test_roles.py checks the table)
    if outcome is SealedReason.NOT_YOURS or role not in QUERIES[OPERATION[field]].roles:
        return "FORBIDDEN"
    opened = isinstance(outcome, AccessBasis)
    access = {
        "opened": opened,
        "basis": outcome.name if opened else None,
        "sealedReason": None if opened else outcome.name,
    }
    if field == "complaint.content":
        return {"complaint": {"content": TEXT if opened else "[sealed]", "contentAccess": access}}
    if field == "customer.contact":
        return {
            "customer": {
                "contact": {"name": NAME if opened else "[sealed]"},
                "contactAccess": access,
            }
        }
    if field == "survey.comment":
        return {"survey": {"comment": COMMENT if opened else "[sealed]", "commentAccess": access}}
    return TEXT if opened else {"sealed": True}  # an event's field in a history or the trail


def answer(field: str, body: dict[str, Any]) -> Any:
    if "errors" in body:
        return body["errors"][0]["extensions"]["code"]
    data = body["data"]
    if field == "complaintHistory":
        return data["complaintHistory"][0]["data"]["content"]
    if field == "auditTrail":
        return data["auditTrail"]["edges"][0]["node"]["data"]["content"]
    return data


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize("relation", list(SETUPS))
@pytest.mark.parametrize("field", list(FIELDS))
def test_each_personal_field_opens_by_role_and_relation_as_the_matrix_says(
    world: World, field: str, relation: str, role: Role
) -> None:
    assert answer(field, read(world, field, relation, role)) == expected(field, relation, role)


def test_the_matrix_names_every_relation_the_rule_knows() -> None:
    from api.need_to_know import RELATIONS

    assert set(SETUPS) == set(RELATIONS) == set(MATRIX)
