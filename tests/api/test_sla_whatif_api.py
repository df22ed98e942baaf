"""slaWhatIf over GraphQL: the recorded policy gives the dashboard's figures, a stricter one lists
the complaints it would breach, bad input is ValidationFailed naming the argument."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import at, file_at, projecting, step, window

pytestmark = pytest.mark.usefixtures("known_customers")

COUNTS = "{ label count }"
FIGURES = """{ slaMet COUNTS slaBreached COUNTS slaWarnings COUNTS
  slaMetShare { clock met breached share }
  firstResponseTime { count p50 p90 p99 mean } resolutionTime { count p50 p90 p99 mean } }"""
WHAT_IF = """
query($policy: SlaPolicyInput!, $from: DateTime!, $to: DateTime!, $at: Int,
      $calendars: [SlaCalendarInput!]) {
  slaWhatIf(policy: $policy, from: $from, to: $to, atPosition: $at, calendars: $calendars) {
    __typename
    ... on SlaWhatIf {
      complaintsReplayed complaintsChanged recorded FIGURES proposed FIGURES
      changes { complaintId clock recorded proposed proposedAt proposedDueAt }
    }
    ... on ValidationFailed { code problems { path message } }
  }
}""".replace("FIGURES", FIGURES).replace("COUNTS", COUNTS)
DASHBOARD = "query($from: DateTime!, $to: DateTime!, $at: Int) {" + (
    " complaintDashboard(from: $from, to: $to, atPosition: $at) FIGURES }".replace(
        "FIGURES", FIGURES
    ).replace("COUNTS", COUNTS)
)


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


def what_if(gql: Gql, policy: dict[str, Any], position: int | None = None, **more: Any) -> Any:
    variables = {"policy": policy, **window(), "at": position, **more}
    body = gql(WHAT_IF, variables, role=Role.SUPERVISOR)
    assert "errors" not in body, body
    return body["data"]["slaWhatIf"]


def answered(gql: Gql, received_s: float, after_s: float) -> tuple[str, int]:
    complaint = file_at(gql, received_s)
    data = {"complaintId": complaint, "occurredAt": at(received_s + after_s)}
    return complaint, step(gql, "sendFirstResponse", "ComplaintInput", data)


def test_the_recorded_policy_gives_the_dashboard_and_a_stricter_one_breaches(gql: Gql) -> None:
    # given two complaints answered after 30 s and 50 s
    slow, _ = answered(gql, 0, 50)
    _, position = answered(gql, 5, 30)
    # when a supervisor replays them under the policy in force (standard 1, the defaults)
    same = what_if(gql, {"name": "standard"}, position)
    # then both sides are the dashboard's figures, and nothing changes
    dashboard = gql(DASHBOARD, {**window(), "at": position}, role=Role.ANALYST)
    assert same["recorded"] == same["proposed"] == dashboard["data"]["complaintDashboard"]
    assert same["recorded"]["firstResponseTime"]["count"] == 2
    assert (same["complaintsReplayed"], same["complaintsChanged"], same["changes"]) == (2, 0, [])
    # when the first response had to come within 40 s
    strict = what_if(gql, {"name": "strict", "firstResponseSeconds": 40}, position)
    # then the one answered after 50 s breaches, at its due time, 40 s after it came in
    assert strict["proposed"]["slaBreached"] == [{"label": "first_response", "count": 1}]
    assert strict["changes"] == [
        {
            "complaintId": slow,
            "clock": "first_response",
            "recorded": "met",
            "proposed": "breached",
            "proposedAt": strict["changes"][0]["proposedDueAt"],
            "proposedDueAt": strict["changes"][0]["proposedDueAt"],
        }
    ]
    assert strict["changes"][0]["proposedDueAt"][:19] == at(40)[:19]
    # and the recorded side is still the dashboard's
    assert strict["recorded"] == dashboard["data"]["complaintDashboard"]


@pytest.mark.parametrize(
    ("policy", "more", "path"),
    [
        ({"name": "x", "firstResponseSeconds": -1}, {}, ["policy", "firstResponseSeconds"]),
        (
            {"name": "x", "calendars": [{"clock": "resolution", "calendar": "nowhere"}]},
            {},
            ["policy", "calendars"],
        ),
        ({"name": "x"}, {"from": at(60), "to": at(0)}, ["to"]),
        (
            {"name": "x"},
            {"calendars": [{"name": "o", "zone": "Mars/Olympus", "hours": []}]},
            ["calendars", "0", "zone"],
        ),
        (
            {"name": "x"},
            {
                "calendars": [
                    {
                        "name": "o",
                        "zone": "UTC",
                        "hours": [{"weekday": 0, "start": "9", "end": "18:00"}],
                    }
                ]
            },
            ["calendars", "0", "hours", "start"],
        ),
    ],
)
def test_bad_input_is_validation_failed_naming_the_argument(
    gql: Gql, policy: dict[str, Any], more: dict[str, Any], path: list[str]
) -> None:
    refused = what_if(gql, policy, **more)
    assert (refused["__typename"], refused["code"]) == ("ValidationFailed", "VALIDATION_FAILED")
    assert refused["problems"][0]["path"] == path


def test_only_supervisors_analysts_and_admins_may_ask(gql: Gql) -> None:
    variables = {"policy": {"name": "x"}, **window()}
    for role in (Role.AGENT, Role.COMPLIANCE_OFFICER, Role.INCIDENT_COMMANDER):
        refused = gql(WHAT_IF, variables, role=role)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    for role in (Role.SUPERVISOR, Role.ANALYST, Role.ADMIN):
        assert gql(WHAT_IF, variables, role=role)["data"]["slaWhatIf"]["__typename"] == "SlaWhatIf"
