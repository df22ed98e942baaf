"""A history written late over GraphQL: an admin imports a finished complaint whole, and it is
judged at its own business times; other roles may not, and a bad step records nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from tests.api.gql import Gql
from tests.api.order_inputs import ALICE

pytestmark = pytest.mark.usefixtures("known_customers")

ADMIN = {"role": Role.ADMIN, "subject": "migration-1"}
FILED = datetime.now(UTC).replace(microsecond=0) - timedelta(weeks=3)
IMPORT = """
mutation($input: ImportComplaintHistoryInput!) {
  importComplaintHistory(input: $input) {
    __typename
    ... on ComplaintChanged {
      complaint { status resolvedAt slaClocks { name state breached } }
    }
    ... on ValidationFailed { problems { path message } }
    ... on Problem { code }
  }
}"""


def at(minutes: int) -> str:
    return (FILED + timedelta(minutes=minutes)).isoformat()


STEPS = [
    {"action": "REPLY", "at": at(1), "text": "We are on it"},
    {
        "action": "CLASSIFY",
        "at": at(5),
        "category": "logistics",
        "subcategory": "late_delivery",
        "severity": "MAJOR",
    },
    {"action": "ASSIGN", "at": at(6), "department": "CUSTOMER_SERVICE", "person": "agent-3"},
    {"action": "START_WORK", "at": at(7)},
    {"action": "PROPOSE_SOLUTION", "at": at(50), "remedy": "APOLOGY"},
    {"action": "RESOLVE", "at": at(60), "outcome": "EXPLAINED"},
]


def import_history(gql: Gql, steps: list[dict[str, Any]], **caller: Any) -> Any:
    body = gql(
        IMPORT,
        {
            "input": {
                "customerId": ALICE,
                "channel": "PHONE",
                "content": "It came two hours late",
                "receivedAt": FILED.isoformat(),
                "steps": steps,
                "reasonCode": "migration",
            }
        },
        **(caller or ADMIN),
    )
    return body


def test_an_admin_imports_a_finished_complaint_and_no_clock_breaches(gql: Gql) -> None:
    # when an admin imports a complaint resolved one hour into its 12-hour target, weeks ago
    result = import_history(gql, STEPS)["data"]["importComplaintHistory"]
    # then it is resolved at its own business time and every clock was met
    complaint = result["complaint"]
    assert (result["__typename"], complaint["status"]) == ("ComplaintChanged", "RESOLVED")
    assert datetime.fromisoformat(complaint["resolvedAt"]) == FILED + timedelta(hours=1)
    assert {c["name"]: (c["state"], c["breached"]) for c in complaint["slaClocks"]} == {
        "FIRST_RESPONSE": ("MET", False),
        "REGISTRATION": ("MET", False),
        "RESOLUTION": ("MET", False),
    }


def test_only_admins_import_and_a_bad_step_is_a_validation_error(gql: Gql) -> None:
    # an agent may not import a history
    refused = import_history(gql, STEPS, role=Role.AGENT, subject="agent-7")
    assert refused["data"]["importComplaintHistory"] == {
        "__typename": "Forbidden",
        "code": "FORBIDDEN",
    }
    # a step before the one it follows names its path
    result = import_history(gql, [STEPS[1], STEPS[0]])["data"]["importComplaintHistory"]
    assert result["__typename"] == "ValidationFailed"
    assert result["problems"][0]["path"] == ["input", "steps", "1", "at"]
