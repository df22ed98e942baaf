"""Customer tiers over GraphQL: admins define the spend thresholds (invalid ones are validation
errors), staff list them, supervisors set a tier by hand only with a reason."""

from __future__ import annotations

from typing import Any

from api.auth import Role
from tests.api.gql import Gql

ADMIN = {"role": Role.ADMIN, "subject": "admin-li"}
SUPERVISOR = {"role": Role.SUPERVISOR, "subject": "sup-1"}
DEFINE = """mutation($input: DefineTierThresholdsInput!) { defineTierThresholds(input: $input) {
  __typename ... on TierThresholdsChanged { versions { version windowDays silver gold } }
  ... on ValidationFailed { problems { path message } } } }"""
ASSIGN = """mutation($input: AssignTierInput!) { assignTier(input: $input) {
  __typename ... on CustomerChanged { customer { tier tierSetByHand } }
  ... on ValidationFailed { problems { path message } } } }"""
REGISTER = """mutation { registerCustomer(input: {contact: {name: "Li", phone: "+86 10 5555 0100"}})
  { ... on CustomerChanged { customer { customerId } } } }"""


def define(gql: Gql, **thresholds: Any) -> Any:
    body = gql(DEFINE, {"input": thresholds}, **ADMIN)
    assert "errors" not in body, body
    return body["data"]["defineTierThresholds"]


def test_an_admin_defines_thresholds_and_staff_list_them(gql: Gql) -> None:
    # when an admin records 30-day thresholds
    result = define(gql, windowDays=30, silver="200", gold="800", platinum="2000")
    # then the versions are the built-in one and the new one
    assert result["__typename"] == "TierThresholdsChanged"
    assert [(v["version"], v["windowDays"], v["gold"]) for v in result["versions"]] == [
        (1, 90, "1000"),
        (2, 30, "800"),
    ]
    listed = gql("{ tierThresholds { version silver } }", role=Role.AGENT)["data"]
    assert listed["tierThresholds"][1] == {"version": 2, "silver": "200"}
    # and thresholds that do not rise are a validation error naming the field
    bad = define(gql, windowDays=30, silver="900", gold="800", platinum="2000")
    assert bad["problems"][0]["path"][-1] == "silver"


def test_a_supervisor_sets_a_tier_only_with_a_reason_and_can_return_it_to_the_spend(
    gql: Gql,
) -> None:
    customer = gql(REGISTER)["data"]["registerCustomer"]["customer"]["customerId"]
    # without a reason it is refused as invalid input
    refused = gql(ASSIGN, {"input": {"customerId": customer, "tier": "GOLD"}}, **SUPERVISOR)
    assert refused["data"]["assignTier"]["problems"][0]["path"][-1] == "reasonText"
    # with one, the tier holds by hand
    given = {"customerId": customer, "tier": "GOLD", "reasonText": "key account"}
    set_ = gql(ASSIGN, {"input": given}, **SUPERVISOR)["data"]["assignTier"]["customer"]
    assert set_ == {"tier": "GOLD", "tierSetByHand": "GOLD"}
    # and with no tier it follows the spend again: nothing delivered, standard
    back = {"customerId": customer, "tier": None, "reasonText": "review over"}
    after = gql(ASSIGN, {"input": back}, **SUPERVISOR)["data"]["assignTier"]["customer"]
    assert after == {"tier": "STANDARD", "tierSetByHand": None}
