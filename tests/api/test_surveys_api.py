from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE, BOB

pytestmark = pytest.mark.usefixtures("known_customers")

SCORES = {
    "productQuality": 4,
    "serviceAttitude": 5,
    "afterSales": 3,
    "responseSpeed": 2,
    "problemSolving": 1,
}
COMMENT = "The rider called me at 138 0013 8000 twice"

RESULT = """
    __typename
    ... on SurveyChanged { survey { surveyId status version } written { version replayed } }
    ... on TransitionRefused { state action }
    ... on ValidationFailed { problems { path message } }
    ... on Problem { code message }
"""
INPUT_TYPES = {
    "sendSurvey": "SendSurveyInput",
    "respondToSurvey": "RespondToSurveyInput",
    "expireSurvey": "SurveyInput",
}


def run(gql: Gql, name: str, input: dict[str, Any], **who: Any) -> dict[str, Any]:
    document = f"mutation($input: {INPUT_TYPES[name]}!) {{ {name}(input: $input) {{ {RESULT} }} }}"
    body = gql(document, {"input": input}, **who)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


def place_order(gql: Gql, customer: str) -> str:
    document = """mutation($input: PlaceOrderInput!) {
      placeOrder(input: $input) { ... on OrderChanged { order { orderId } } } }"""
    promised = (datetime.now(UTC) + timedelta(minutes=40)).isoformat()
    data = {
        "customerId": customer,
        "restaurant": "Golden Dumpling",
        "region": "chaoyang",
        "items": [{"name": "soup", "quantity": 1, "unitPrice": "25.00"}],
        "amount": "25.00",
        "promisedAt": promised,
        "address": "1 Road",
        "channel": "APP",
    }
    placed = gql(document, {"input": data})
    assert "errors" not in placed, placed
    order_id: str = placed["data"]["placeOrder"]["order"]["orderId"]
    return order_id


def send(gql: Gql, customer: str = ALICE) -> str:
    order_id = place_order(gql, customer)
    sent = run(
        gql,
        "sendSurvey",
        {"customerId": customer, "subject": "ORDER", "subjectId": order_id, "via": "SMS"},
    )
    assert sent["survey"]["status"] == "SENT", sent
    survey_id: str = sent["survey"]["surveyId"]
    return survey_id


def test_a_survey_is_sent_and_answered_by_its_customer(gql: Gql) -> None:
    survey_id = send(gql)
    # another customer may not answer it
    refused = run(
        gql,
        "respondToSurvey",
        {"surveyId": survey_id, "scores": SCORES},
        role=Role.CUSTOMER,
        subject=BOB,
    )
    assert refused == {
        "__typename": "Forbidden",
        "code": "FORBIDDEN",
        "message": "customers may answer only their own surveys",
    }
    # nor may an agent answer for the customer
    agent = run(gql, "respondToSurvey", {"surveyId": survey_id, "scores": SCORES})
    assert agent["__typename"] == "Forbidden"
    # its customer answers
    answered = run(
        gql,
        "respondToSurvey",
        {"surveyId": survey_id, "scores": SCORES, "comment": COMMENT},
        role=Role.CUSTOMER,
        subject=ALICE,
    )
    assert answered["survey"] == {"surveyId": survey_id, "status": "RESPONDED", "version": 2}
    again = run(
        gql,
        "respondToSurvey",
        {"surveyId": survey_id, "scores": SCORES},
        role=Role.CUSTOMER,
        subject=ALICE,
    )
    assert again["__typename"] == "TransitionRefused"
    assert (again["state"], again["action"]) == ("Responded", "respond")
    # it reads back, the comment to its customer
    document = """query($id: ID!) { survey(id: $id) {
      status subject customerId via sentAt comment
      scores { productQuality serviceAttitude afterSales responseSpeed problemSolving } } }"""
    seen = gql(document, {"id": survey_id}, role=Role.CUSTOMER, subject=ALICE)["data"]["survey"]
    assert seen.pop("sentAt")
    assert seen == {
        "status": "RESPONDED",
        "subject": "ORDER",
        "customerId": ALICE,
        "via": "SMS",
        "comment": COMMENT,
        "scores": SCORES,
    }


def test_an_analyst_sees_scores_but_never_the_comment(gql: Gql) -> None:
    survey_id = send(gql)
    run(
        gql,
        "respondToSurvey",
        {"surveyId": survey_id, "scores": SCORES, "comment": COMMENT},
        role=Role.CUSTOMER,
        subject=ALICE,
    )
    scores = gql(
        "query($id: ID!) { survey(id: $id) { scores { afterSales } } }",
        {"id": survey_id},
        role=Role.ANALYST,
    )
    assert scores["data"]["survey"] == {"scores": {"afterSales": 3}}
    comment = gql(
        "query($id: ID!) { survey(id: $id) { comment commentAccess { sealedReason } } }",
        {"id": survey_id},
        role=Role.ANALYST,
    )
    assert comment["data"]["survey"] == {
        "comment": "[sealed]",
        "commentAccess": {"sealedReason": "ROLE"},
    }
    history = gql(
        "query($id: ID!) { surveyHistory(id: $id) { name data } }",
        {"id": survey_id},
        role=Role.ANALYST,
    )["data"]["surveyHistory"]
    assert len(history) == 2
    assert history[1]["name"] == "SurveyResponded"
    assert history[1]["data"]["comment"] == {"sealed": True}
    assert COMMENT not in str(history)


def test_customers_see_only_their_own_surveys(gql: Gql) -> None:
    survey_id = send(gql)
    seen = gql(
        "query($id: ID!) { survey(id: $id) { status } }",
        {"id": survey_id},
        role=Role.CUSTOMER,
        subject=BOB,
    )
    assert seen.get("data") is None
    assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_bad_scores_are_named_and_record_nothing(gql: Gql) -> None:
    survey_id = send(gql)
    bad = run(
        gql,
        "respondToSurvey",
        {"surveyId": survey_id, "scores": {**SCORES, "afterSales": 6}},
        role=Role.CUSTOMER,
        subject=ALICE,
    )
    assert bad["__typename"] == "ValidationFailed"
    assert bad["problems"] == [
        {"path": ["input", "scores", "afterSales"], "message": "must be a whole number from 1 to 5"}
    ]
    seen = gql("query($id: ID!) { survey(id: $id) { status version } }", {"id": survey_id})
    assert seen["data"]["survey"] == {"status": "SENT", "version": 1}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SUPERVISOR, True),
        (Role.AGENT, True),
        (Role.ANALYST, False),
        (Role.CUSTOMER, False),
    ],
)
def test_staff_expire_surveys(gql: Gql, role: Role, allowed: bool) -> None:
    survey_id = send(gql)
    done = run(gql, "expireSurvey", {"surveyId": survey_id}, role=role, subject=ALICE)
    if allowed:
        assert done["survey"] == {"surveyId": survey_id, "status": "EXPIRED", "version": 2}
    else:
        assert done["__typename"] == "Forbidden"


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.ANALYST, Role.COMPLIANCE_OFFICER])
def test_only_staff_send_surveys(gql: Gql, role: Role) -> None:
    order_id = place_order(gql, ALICE)
    refused = run(
        gql,
        "sendSurvey",
        {"customerId": ALICE, "subject": "ORDER", "subjectId": order_id, "via": "APP"},
        role=role,
        subject=ALICE,
    )
    assert refused["__typename"] == "Forbidden"


def test_a_survey_about_no_order_or_a_second_about_one_is_refused(gql: Gql) -> None:
    # given an order and its survey
    order_id = place_order(gql, ALICE)
    about = {"customerId": ALICE, "subject": "ORDER", "subjectId": order_id, "via": "SMS"}
    assert run(gql, "sendSurvey", about)["__typename"] == "SurveyChanged"
    # then another survey about it is refused, and one about an order of nothing
    again = run(gql, "sendSurvey", {**about, "via": "APP"})
    assert (again["__typename"], again["code"]) == ("RuleViolated", "SURVEY_ALREADY_SENT")
    nothing = run(gql, "sendSurvey", {**about, "subjectId": "00000000-0000-4000-8000-000000000001"})
    assert (nothing["__typename"], nothing["code"]) == ("NotFound", "NOT_FOUND")
