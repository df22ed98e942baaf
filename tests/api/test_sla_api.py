"""SLA calendars and policies over GraphQL: admins define them (invalid ones are validation
errors), staff list them, supervisors re-target a complaint's running clocks."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from tests.api.gql import Gql

pytestmark = pytest.mark.usefixtures("known_customers")

ADMIN = {"role": Role.ADMIN, "subject": "admin-li"}
RESULT = "{ __typename ... on SlaCatalogChanged { catalog { %s } } ... on Problem { code } %s }"
PROBLEMS = "... on ValidationFailed { problems { path message } }"
OFFICE = {
    "name": "after-sales-office",
    "zone": "Asia/Shanghai",
    "hours": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
    "chinaOfficialYears": [2026],
}


def define(gql: Gql, name: str, kind: str, input: dict[str, Any], select: str) -> Any:
    body = gql(
        f"mutation($input: {kind}!) {{ {name}(input: $input) {RESULT % (select, PROBLEMS)} }}",
        {"input": input},
        **ADMIN,
    )
    assert "errors" not in body, body
    return body["data"][name]


def test_an_admin_defines_a_calendar_a_policy_and_rules_and_staff_list_them(gql: Gql) -> None:
    # when an admin records office hours with China's official days, a policy on them, a rule
    calendar = define(
        gql, "defineSlaCalendar", "DefineSlaCalendarInput", OFFICE, "calendars { name version }"
    )
    assert calendar["__typename"] == "SlaCatalogChanged"
    policy = define(
        gql,
        "defineSlaPolicy",
        "DefineSlaPolicyInput",
        {
            "name": "after-sales",
            "afterSalesHandbackSeconds": 8 * 3600,
            "calendars": [{"clock": "after_sales_handback", "calendar": "after-sales-office"}],
        },
        "policies { name version }",
    )
    assert policy["catalog"]["policies"] == [
        {"name": "standard", "version": 1},
        {"name": "after-sales", "version": 1},
    ]
    rules = define(
        gql,
        "setSlaPolicyRules",
        "SetSlaPolicyRulesInput",
        {"rules": [{"policy": "after-sales", "category": "after_sales"}]},
        "rules { version rules { policy category } }",
    )
    assert rules["catalog"]["rules"][-1] == {
        "version": 2,
        "rules": [{"policy": "after-sales", "category": "after_sales"}],
    }
    # then an agent reads the catalogue: the make-up Saturday of National Day is a workday
    body = gql(
        "{ slaCatalog { calendars { name basis zone workdays holidays hours { start end } } } }"
    )
    office = body["data"]["slaCatalog"]["calendars"][1]
    assert (office["name"], office["basis"], office["zone"]) == (
        "after-sales-office",
        "working",
        "Asia/Shanghai",
    )
    assert "2026-10-10" in office["workdays"] and "2026-10-01" in office["holidays"]
    assert office["hours"][0] == {"start": "09:00", "end": "18:00"}
    assert gql("{ slaCatalog { calendars { name } } }")["data"]["slaCatalog"]["calendars"][0] == {
        "name": "always"
    }


def test_invalid_definitions_are_validation_errors(gql: Gql) -> None:
    zone = define(
        gql,
        "defineSlaCalendar",
        "DefineSlaCalendarInput",
        {**OFFICE, "zone": "Nowhere/At_All"},
        "calendars { name }",
    )
    assert zone["__typename"] == "ValidationFailed"
    assert zone["problems"][0]["path"] == ["input", "zone"]
    overlapping = [{"weekday": 0, "start": "09:00", "end": "13:00"}] * 2
    hours = define(
        gql,
        "defineSlaCalendar",
        "DefineSlaCalendarInput",
        {**OFFICE, "hours": overlapping},
        "calendars { name }",
    )
    assert hours["__typename"] == "ValidationFailed"
    assert hours["problems"][0]["path"] == ["input", "hours"]
    negative = define(
        gql,
        "defineSlaPolicy",
        "DefineSlaPolicyInput",
        {"name": "x", "firstResponseSeconds": -1},
        "policies { name }",
    )
    assert negative["__typename"] == "ValidationFailed"
    # and nothing was recorded
    listed = gql("{ slaCatalog { policies { name } calendars { name } } }")["data"]["slaCatalog"]
    assert listed == {"policies": [{"name": "standard"}], "calendars": [{"name": "always"}]}


def test_only_admins_define_and_only_supervisors_retarget(gql: Gql) -> None:
    refused = gql(
        "mutation($input: DefineSlaPolicyInput!) { defineSlaPolicy(input: $input) { __typename } }",
        {"input": {"name": "x"}},
        role=Role.SUPERVISOR,
    )
    assert refused["data"]["defineSlaPolicy"]["__typename"] == "Forbidden"
    agent = gql(
        "mutation($input: ComplaintInput!) { retargetComplaintSla(input: $input) { __typename } }",
        {"input": {"complaintId": "00000000-0000-0000-0000-000000000001"}},
    )
    assert agent["data"]["retargetComplaintSla"]["__typename"] == "Forbidden"
    customer = gql("{ slaCatalog { policies { name } } }", role=Role.CUSTOMER, subject="c-1")
    assert [e["extensions"]["code"] for e in customer["errors"]] == ["FORBIDDEN"]


def test_an_agent_reads_why_each_clock_stands_where_it_does(gql: Gql) -> None:
    # given a complaint filed by an agent for a registered customer
    customer = gql(
        "mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input)"
        " { ... on CustomerChanged { customer { customerId } } } }",
        {"input": {"contact": {"name": "Alice", "phone": "+86 10 5555 0100"}}},
    )["data"]["registerCustomer"]["customer"]["customerId"]
    complaint = gql(
        "mutation($input: FileComplaintInput!) { fileComplaint(input: $input)"
        " { ... on ComplaintChanged { complaint { complaintId } } } }",
        {"input": {"customerId": customer, "content": "cold soup", "channel": "APP"}},
    )["data"]["fileComplaint"]["complaint"]["complaintId"]
    # when an agent asks why its clocks stand where they do
    body = gql(
        "query($id: ID!) { complaintSlaExplain(id: $id) { clock why steps { step event version"
        " actor policy policyVersion calendar targetSeconds elapsedSeconds remainingSeconds } } }",
        {"id": complaint},
    )
    clocks = body["data"]["complaintSlaExplain"]
    # then each of the three clocks filing starts has started under standard 1, 24/7
    assert [c["clock"] for c in clocks] == ["first_response", "registration", "resolution"]
    step = clocks[0]["steps"][0]
    assert (step["step"], step["event"], step["policy"], step["policyVersion"]) == (
        "started",
        "SlaClockStarted",
        "standard",
        1,
    )
    assert (step["calendar"], step["targetSeconds"], step["elapsedSeconds"]) == ("always", 120, 0)
    assert "calendar time, around the clock" in clocks[0]["why"]
    # and a customer may not ask
    refused = gql(
        "query($id: ID!) { complaintSlaExplain(id: $id) { clock } }",
        {"id": complaint},
        role=Role.CUSTOMER,
        subject=customer,
    )
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
