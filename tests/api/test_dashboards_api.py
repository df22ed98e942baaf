from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from application.settings import Settings
from tests.api.gql import Gql
from tests.api.live_views import (
    CUSTOMER,
    Clock,
    at,
    file_at,
    place_order,
    projecting,
    report_incident,
    step,
    window,
)

pytestmark = pytest.mark.usefixtures("known_customers")


@pytest.fixture(autouse=True)
def views(settings: Settings) -> Iterator[None]:
    with projecting(settings):
        yield


COUNTS = "{ label count }"
DASHBOARD = """
query($from: DateTime!, $to: DateTime!, $at: Int) {
  complaintDashboard(from: $from, to: $to, atPosition: $at) {
    received unclassified unassigned resolutions complaintsResolved reopened reopenRate
    byChannel COUNTS byCategory COUNTS bySubcategory COUNTS
    bySeverity COUNTS byDepartment COUNTS byOutcome COUNTS
    firstResponseTime { count p50 p90 p99 mean unanswered } resolutionTime { count p50 mean }
    slaMet COUNTS slaBreached COUNTS slaWarnings COUNTS
    slaMetShare { clock key met breached share }
    escalations escalationsByTrigger COUNTS escalationsByLevel COUNTS
  }
}""".replace("COUNTS", COUNTS)


def test_the_complaint_dashboard_shows_every_figure_after_a_few_commands(gql: Gql) -> None:
    # given two complaints through the app; one classified, assigned, answered after 30 s
    first = file_at(gql, 0)
    file_at(gql, 5)
    step(
        gql,
        "classifyComplaint",
        "ClassifyComplaintInput",
        {
            "complaintId": first,
            "category": "LOGISTICS",
            "subcategory": "late",
            "severity": "MAJOR",
            "occurredAt": at(10),
        },
    )
    step(
        gql,
        "assignResponsibility",
        "AssignResponsibilityInput",
        {"complaintId": first, "department": "LOGISTICS", "person": "li", "occurredAt": at(20)},
    )
    position = step(
        gql, "sendFirstResponse", "ComplaintInput", {"complaintId": first, "occurredAt": at(30)}
    )
    # when an analyst reads the dashboard at the position of the last write
    before = datetime.now(UTC)
    board = gql(DASHBOARD, {**window(), "at": position}, role=Role.ANALYST)
    after = datetime.now(UTC)
    # then the first complaint was answered 30 s after receipt, and the second, unanswered,
    # counts at its age now (the window ends later): between its ages before and after the
    # read (a bucket holding one duration gives it exactly)
    waited = board["data"]["complaintDashboard"].pop("firstResponseTime")
    received = Clock.base + timedelta(seconds=5)
    youngest, oldest = ((t - received).total_seconds() for t in (before, after))
    assert (waited["count"], waited["unanswered"], waited["p50"]) == (2, 1, 30.0)
    assert youngest - 0.001 <= waited["p99"] == waited["p90"] <= oldest + 0.001
    assert waited["mean"] == pytest.approx((30.0 + waited["p99"]) / 2, abs=0.001)
    # and: 2 received, 1 of them classified and assigned; classification met the
    # registration clock, the answer the first-response clock
    assert board == {
        "data": {
            "complaintDashboard": {
                "received": 2,
                "unclassified": 1,
                "unassigned": 1,
                "resolutions": 0,
                "complaintsResolved": 0,
                "reopened": 0,
                "reopenRate": None,
                "byChannel": [{"label": "app", "count": 2}],
                "byCategory": [{"label": "logistics", "count": 1}],
                "bySubcategory": [{"label": "logistics/late", "count": 1}],
                "bySeverity": [{"label": "major", "count": 1}],
                "byDepartment": [{"label": "logistics", "count": 1}],
                "byOutcome": [],
                "resolutionTime": {"count": 0, "p50": None, "mean": None},
                "slaMet": [
                    {"label": "first_response", "count": 1},
                    {"label": "registration", "count": 1},
                ],
                "slaBreached": [],
                "slaWarnings": [],
                "slaMetShare": [
                    {
                        "clock": "first_response",
                        "key": "FIRST_RESPONSE",
                        "met": 1,
                        "breached": 0,
                        "share": 1.0,
                    },
                    {
                        "clock": "registration",
                        "key": "REGISTRATION",
                        "met": 1,
                        "breached": 0,
                        "share": 1.0,
                    },
                ],
                "escalations": 0,
                "escalationsByTrigger": [],
                "escalationsByLevel": [],
            }
        }
    }


SATISFACTION = """
query($from: DateTime!, $to: DateTime!, $at: Int) {
  satisfaction(from: $from, to: $to, atPosition: $at) {
    sent responded expired responseRate
    dimensions { dimension responses csat distribution { label count } }
    byVia { label key sent responded expired responseRate }
    bySubject { key sent responded responseRate }
  }
}"""


FILTERED_SATISFACTION = """
query($from: DateTime!, $to: DateTime!, $at: Int, $filter: SatisfactionFilter) {
  satisfaction(from: $from, to: $to, atPosition: $at, filter: $filter) { sent responded }
}"""


def test_satisfaction_filters_by_channel_and_subject(gql: Gql) -> None:
    # given a survey about a complaint sent by sms and answered
    complaint = file_at(gql, 0)
    sent = gql(
        """mutation($input: SendSurveyInput!) { sendSurvey(input: $input) {
                  ... on SurveyChanged { survey { surveyId } } } }""",
        {
            "input": {
                "customerId": CUSTOMER,
                "subject": "COMPLAINT",
                "subjectId": complaint,
                "via": "SMS",
            }
        },
    )
    survey = sent["data"]["sendSurvey"]["survey"]["surveyId"]
    scores = {
        "productQuality": 5,
        "serviceAttitude": 4,
        "afterSales": 3,
        "responseSpeed": 2,
        "problemSolving": 4,
    }
    position = _respond(gql, survey, scores)
    # then sms and complaints together count it, email with complaints does not
    for only, expected in (
        ({"via": "SMS", "subject": "COMPLAINT"}, {"sent": 1, "responded": 1}),
        ({"via": "EMAIL", "subject": "COMPLAINT"}, {"sent": 0, "responded": 0}),
        ({"subject": "ORDER"}, {"sent": 0, "responded": 0}),
    ):
        found = gql(
            FILTERED_SATISFACTION,
            {**window(), "at": position, "filter": only},
            role=Role.ANALYST,
        )
        assert found["data"]["satisfaction"] == expected, only
    # and an empty filter is refused
    empty = gql(FILTERED_SATISFACTION, {**window(), "filter": {}}, role=Role.ANALYST)
    assert [(e["extensions"]["code"], e["message"]) for e in empty["errors"]] == [
        ("VALIDATION_FAILED", "set at least one of via, subject")
    ]


def test_satisfaction_counts_surveys_and_scores(gql: Gql) -> None:
    complaint = file_at(gql, 0)
    sent = gql(
        """mutation($input: SendSurveyInput!) { sendSurvey(input: $input) {
                  ... on SurveyChanged { survey { surveyId } } } }""",
        {
            "input": {
                "customerId": CUSTOMER,
                "subject": "COMPLAINT",
                "subjectId": complaint,
                "via": "SMS",
            }
        },
    )
    survey = sent["data"]["sendSurvey"]["survey"]["surveyId"]
    scores = {
        "productQuality": 5,
        "serviceAttitude": 4,
        "afterSales": 3,
        "responseSpeed": 2,
        "problemSolving": 4,
    }
    position = _respond(gql, survey, scores)
    report = gql(SATISFACTION, {**window(), "at": position}, role=Role.SUPERVISOR)
    dimensions = report["data"]["satisfaction"].pop("dimensions")
    # one sent by sms about a complaint, answered: so for sms and for complaints
    assert report["data"]["satisfaction"].pop("byVia") == [
        {
            "label": "sms",
            "key": "SMS",
            "sent": 1,
            "responded": 1,
            "expired": 0,
            "responseRate": 1.0,
        }
    ]
    assert report["data"]["satisfaction"].pop("bySubject") == [
        {"key": "COMPLAINT", "sent": 1, "responded": 1, "responseRate": 1.0}
    ]
    # and overall, one sent, one answered: a response rate of 1/1
    assert report["data"]["satisfaction"] == {
        "sent": 1,
        "responded": 1,
        "expired": 0,
        "responseRate": 1.0,
    }

    def one(score: int) -> list[dict[str, Any]]:
        return [{"label": str(s), "count": int(s == score)} for s in range(1, 6)]

    # CSAT per dimension: 1 when the one score is 4 or 5, else 0
    assert dimensions == [
        {"dimension": "product_quality", "responses": 1, "csat": 1.0, "distribution": one(5)},
        {"dimension": "service_attitude", "responses": 1, "csat": 1.0, "distribution": one(4)},
        {"dimension": "after_sales", "responses": 1, "csat": 0.0, "distribution": one(3)},
        {"dimension": "response_speed", "responses": 1, "csat": 0.0, "distribution": one(2)},
        {"dimension": "problem_solving", "responses": 1, "csat": 1.0, "distribution": one(4)},
    ]


def _respond(gql: Gql, survey: str, scores: dict[str, int]) -> int:
    result = gql(
        """mutation($input: RespondToSurveyInput!) { respondToSurvey(input: $input) {
                    __typename ... on SurveyChanged { written { position } } } }""",
        {"input": {"surveyId": survey, "scores": scores}},
        role=Role.CUSTOMER,
        subject=CUSTOMER,
    )["data"]["respondToSurvey"]
    assert result["__typename"] == "SurveyChanged", result
    position: int = result["written"]["position"]
    return position


DELAYS = """
query($from: DateTime!, $to: DateTime!, $at: Int) {
  orderDelays(from: $from, to: $to, atPosition: $at) {
    late lateByAttribution COUNTS meanLateMin maxLateMin
    detections detectionsByStage COUNTS detectionsByRegion COUNTS
    openAtRiskByStage COUNTS openAtRiskByRegion COUNTS openLateByStage COUNTS
  }
}""".replace("COUNTS", COUNTS)


def delay(gql: Gql, order_id: str, minutes: int) -> int:
    step(gql, "confirmOrder", "OrderInput", {"orderId": order_id}, payload="OrderChanged")
    return step(
        gql,
        "detectDelay",
        "DetectDelayInput",
        {"orderId": order_id, "expectedLateMin": minutes},
        payload="OrderChanged",
    )


def test_order_delays_count_detections_and_open_orders_at_risk(gql: Gql) -> None:
    # given two orders, one confirmed and then found running 15 minutes late
    place_order(gql)
    position = delay(gql, place_order(gql, "haidian"), 15)
    summary = gql(DELAYS, {**window(), "at": position}, role=Role.ANALYST)
    # then one detection at the Confirmed stage in haidian, and that order open at risk
    assert summary["data"]["orderDelays"] == {
        "late": 0,
        "lateByAttribution": [],
        "meanLateMin": None,
        "maxLateMin": None,
        "detections": 1,
        "detectionsByStage": [{"label": "Confirmed", "count": 1}],
        "detectionsByRegion": [{"label": "haidian", "count": 1}],
        "openAtRiskByStage": [{"label": "Confirmed", "count": 1}],
        "openAtRiskByRegion": [{"label": "haidian", "count": 1}],
        "openLateByStage": [],
    }


REGION_DELAYS = """
query($from: DateTime!, $to: DateTime!, $at: Int, $filter: OrderDelayFilter) {
  orderDelays(from: $from, to: $to, atPosition: $at, filter: $filter) {
    detections detectionsByRegion COUNTS openAtRiskByRegion COUNTS
  }
}""".replace("COUNTS", COUNTS)


def test_order_delays_filter_by_region(gql: Gql) -> None:
    # given a delay found in haidian and one in chaoyang
    delay(gql, place_order(gql, "chaoyang"), 5)
    position = delay(gql, place_order(gql, "haidian"), 15)
    # when a supervisor reads haidian's delays, then only haidian's order counts
    haidian = gql(
        REGION_DELAYS,
        {**window(), "at": position, "filter": {"region": "haidian"}},
        role=Role.SUPERVISOR,
    )
    assert haidian["data"]["orderDelays"] == {
        "detections": 1,
        "detectionsByRegion": [{"label": "haidian", "count": 1}],
        "openAtRiskByRegion": [{"label": "haidian", "count": 1}],
    }
    # and a blank region is refused, naming the field
    blank = gql(REGION_DELAYS, {**window(), "filter": {"region": " "}}, role=Role.ANALYST)
    assert [(e["extensions"]["code"], e["message"]) for e in blank["errors"]] == [
        ("VALIDATION_FAILED", "must not be blank")
    ]


INCIDENTS = """
query($from: DateTime!, $to: DateTime!, $at: Int) {
  incidentMetrics(from: $from, to: $to, atPosition: $at) {
    reported reportedByType COUNTS reportedBySeverity COUNTS acknowledged mttaSeconds
    resolved mttrSeconds open openByStatus COUNTS
  }
}""".replace("COUNTS", COUNTS)


def test_incident_metrics_time_the_acknowledgement(gql: Gql) -> None:
    # given an incident reported, then confirmed 40 s later and assessed severity II
    incident = report_incident(gql)
    step(
        gql,
        "confirmIncident",
        "IncidentInput",
        {"incidentId": incident, "occurredAt": at(40)},
        role=Role.SUPERVISOR,
        payload="IncidentChanged",
    )
    position = step(
        gql,
        "assessSeverity",
        "AssessSeverityInput",
        {"incidentId": incident, "level": "II", "reason": "all regions", "occurredAt": at(50)},
        role=Role.SUPERVISOR,
        payload="IncidentChanged",
    )
    # when an incident commander reads the metrics
    metrics = gql(INCIDENTS, {**window(), "at": position}, role=Role.INCIDENT_COMMANDER)
    # then one reported and acknowledged after 40 s; every label listed, 0 when none
    zero = {"label": "", "count": 0}
    assert metrics["data"]["incidentMetrics"] == {
        "reported": 1,
        "reportedByType": [
            {**zero, "label": t}
            for t in ("accident", "natural_disaster", "public_health", "social_safety")
        ]
        + [{"label": "system_failure", "count": 1}],
        "reportedBySeverity": [
            {**zero, "label": "I"},
            {"label": "II", "count": 1},
            {**zero, "label": "III"},
            {**zero, "label": "IV"},
            {**zero, "label": "unassessed"},
        ],
        "acknowledged": 1,
        "mttaSeconds": 40.0,
        "resolved": 0,
        "mttrSeconds": None,
        "open": 1,
        "openByStatus": [
            {"label": "Confirmed", "count": 1},
            {**zero, "label": "InReview"},
            {**zero, "label": "Mitigated"},
            {**zero, "label": "Reported"},
            {**zero, "label": "Resolved"},
            {**zero, "label": "Responding"},
        ],
    }


def test_breakdowns_are_keyed_by_the_schemas_enum_values(gql: Gql) -> None:
    # given an incident confirmed and assessed severity II
    incident = report_incident(gql)
    position = step(
        gql,
        "confirmIncident",
        "IncidentInput",
        {"incidentId": incident, "occurredAt": at(40)},
        role=Role.SUPERVISOR,
        payload="IncidentChanged",
    )
    # when the metrics are read with the keys
    query = INCIDENTS.replace("{ label count }", "{ label key count }")
    metrics = gql(query, {**window(), "at": position}, role=Role.INCIDENT_COMMANDER)
    found = metrics["data"]["incidentMetrics"]

    def keys(field: str) -> dict[str, str]:
        return {c["label"]: c["key"] for c in found[field]}

    # then each label carries the GraphQL enum value a client filters by
    assert keys("openByStatus")["InReview"] == "IN_REVIEW"
    assert keys("openByStatus")["Confirmed"] == "CONFIRMED"
    assert keys("reportedByType")["system_failure"] == "SYSTEM_FAILURE"
    assert keys("reportedBySeverity") == {
        "I": "I",
        "II": "II",
        "III": "III",
        "IV": "IV",
        "unassessed": "UNASSESSED",
    }
    enums = gql('{ __type(name: "IncidentStatus") { enumValues { name } } }')
    statuses = {v["name"] for v in enums["data"]["__type"]["enumValues"]}
    assert set(keys("openByStatus").values()) <= statuses


@pytest.mark.parametrize("query", [DASHBOARD, SATISFACTION, DELAYS, INCIDENTS])
def test_customers_may_not_read_dashboards(gql: Gql, query: str) -> None:
    refused = gql(query, window(), role=Role.CUSTOMER, subject=CUSTOMER)
    assert refused.get("data") is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


def test_incident_commanders_read_incident_metrics_only(gql: Gql) -> None:
    refused = gql(DASHBOARD, window(), role=Role.INCIDENT_COMMANDER)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    allowed = gql(INCIDENTS, window(), role=Role.INCIDENT_COMMANDER)
    assert allowed["data"]["incidentMetrics"]["reported"] == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (
            {"from": "2026-01-02T00:00:00+00:00", "to": "2026-01-01T00:00:00+00:00"},
            "`to` must be after `from`",
        ),
        (
            {"from": "2020-01-01T00:00:00+00:00", "to": "2022-01-01T00:00:00+00:00"},
            "the window may span at most 366 days",
        ),
    ],
)
def test_a_bad_window_is_refused(gql: Gql, bad: dict[str, str], field: str) -> None:
    refused = gql(DASHBOARD, bad, role=Role.ANALYST)
    assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
        ("VALIDATION_FAILED", field)
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-01-01T00:00:00", "needs a time zone"),
        ("0001-01-01T00:00:00+00:00", "the year must be from 1900 to 2999"),
        ("9999-12-31T00:00:00+00:00", "the year must be from 1900 to 2999"),
    ],
)
def test_a_time_without_a_zone_or_out_of_range_is_a_validation_error(
    gql: Gql, value: str, reason: str
) -> None:
    # refused by the DateTime scalar itself, before any arithmetic or comparison runs
    refused = gql(DASHBOARD, {"from": value, "to": "2026-01-02T00:00:00+00:00"}, role=Role.ANALYST)
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "$from" in error["message"] and reason in error["message"]
    assert "data" not in refused


def test_a_position_the_views_never_reach_is_not_caught_up(gql: Gql) -> None:
    _, position = file_at(gql, 0), 10_000
    refused = gql(DASHBOARD, {**window(), "at": position}, role=Role.ANALYST, patient=False)
    error = refused["errors"][0]
    assert error["extensions"] == {"code": "NOT_CAUGHT_UP", "position": 10_000}
    assert error["message"].startswith("the read models have not reached position 10000")


@pytest.mark.parametrize(
    ("document", "role", "count"),
    [
        (DASHBOARD, Role.ANALYST, ("complaintDashboard", "received")),
        (SATISFACTION, Role.SUPERVISOR, ("satisfaction", "sent")),
        (DELAYS, Role.ANALYST, ("orderDelays", "detections")),
        (INCIDENTS, Role.INCIDENT_COMMANDER, ("incidentMetrics", "reported")),
    ],
)
@pytest.mark.parametrize(("opens", "closes"), [(0.0, 0.5), (0.2, 0.7), (0.0, 1.0), (0.5, 1800)])
def test_a_window_within_an_hour_reads_that_hour_at_a_position(
    gql: Gql, document: str, role: Role, count: tuple[str, str], opens: float, closes: float
) -> None:
    # given a complaint and an incident a quarter of a second after the hour began
    hour = Clock.base.replace(minute=0, second=0, microsecond=0)
    offset = (hour - Clock.base).total_seconds() + 0.25
    file_at(gql, offset)
    incident = report_incident(gql, offset)
    position = step(
        gql,
        "confirmIncident",
        "IncidentInput",
        {"incidentId": incident, "occurredAt": at(offset + 0.5)},
        role=Role.SUPERVISOR,
        payload="IncidentChanged",
    )
    # when a dashboard is read, at the position of the last write, over a window of less than
    # an hour (down to half a second) from the hour's start
    window = {"from": at(offset - 0.25 + opens), "to": at(offset - 0.25 + closes)}
    answer = gql(document, {**window, "at": position}, role=role)
    # then it answers for the hour that window lies in (dashboards count by the hour)
    assert "errors" not in answer, answer
    dashboard, figure = count
    expected = {"received": 1, "sent": 0, "detections": 0, "reported": 1}[figure]
    assert answer["data"][dashboard][figure] == expected


BREAKDOWN = """
query($from: DateTime!, $to: DateTime!, $at: Int) {
  complaintBreakdown(from: $from, to: $to, by: AGENT, atPosition: $at) {
    by label key dashboard { received firstResponseTime { count mean } byDepartment COUNTS }
  }
}""".replace("COUNTS", COUNTS)
FILTERED = """
query($from: DateTime!, $to: DateTime!, $at: Int, $filter: ComplaintFilter) {
  complaintDashboard(from: $from, to: $to, atPosition: $at, filter: $filter) {
    received byAgent COUNTS firstResponseTime { count mean unanswered }
  }
}""".replace("COUNTS", COUNTS)


def assign(gql: Gql, complaint: str, department: str, person: str, seconds: float) -> int:
    return step(
        gql,
        "assignResponsibility",
        "AssignResponsibilityInput",
        {
            "complaintId": complaint,
            "department": department,
            "person": person,
            "occurredAt": at(seconds),
        },
    )


def test_the_dashboard_breaks_down_by_agent_and_filters_by_department(gql: Gql) -> None:
    # given three complaints: li answers hers after 40 s, wu after 20 s; li's second moves to
    # wu's department, quality, after li answered it after 60 s
    first, second, third = file_at(gql, 0), file_at(gql, 1), file_at(gql, 2)
    for complaint in (first, second, third):
        step(
            gql,
            "classifyComplaint",
            "ClassifyComplaintInput",
            {
                "complaintId": complaint,
                "category": "LOGISTICS",
                "subcategory": "late",
                "severity": "GENERAL",
                "occurredAt": at(5),
            },
        )
    assign(gql, first, "LOGISTICS", "li", 10)
    assign(gql, second, "QUALITY", "wu", 11)
    assign(gql, third, "LOGISTICS", "li", 12)
    for complaint, answered in ((first, 40), (second, 21), (third, 62)):
        position = step(
            gql,
            "sendFirstResponse",
            "ComplaintInput",
            {"complaintId": complaint, "occurredAt": at(answered)},
        )
    position = assign(gql, third, "QUALITY", "wu", 70)
    # when an analyst breaks the window down by agent
    found = gql(BREAKDOWN, {**window(), "at": position}, role=Role.ANALYST)
    # then li has the first complaint (40 s), wu the other two (20 s and 60 s), in quality
    assert found["data"]["complaintBreakdown"] == [
        {
            "by": "AGENT",
            "label": "li",
            "key": "li",
            "dashboard": {
                "received": 1,
                "firstResponseTime": {"count": 1, "mean": 40.0},
                "byDepartment": [{"label": "logistics", "count": 1}],
            },
        },
        {
            "by": "AGENT",
            "label": "wu",
            "key": "wu",
            "dashboard": {
                "received": 2,
                "firstResponseTime": {"count": 2, "mean": 40.0},
                "byDepartment": [{"label": "quality", "count": 2}],
            },
        },
    ]
    # and filtered by the quality department, the dashboard holds wu's two
    quality = gql(
        FILTERED,
        {**window(), "at": position, "filter": {"department": "QUALITY"}},
        role=Role.SUPERVISOR,
    )
    assert quality["data"]["complaintDashboard"] == {
        "received": 2,
        "byAgent": [{"label": "wu", "count": 2}],
        "firstResponseTime": {"count": 2, "mean": 40.0, "unanswered": 0},
    }
    # and filtered by quality and li together, nothing: li's complaint in quality moved to wu
    both = gql(
        FILTERED,
        {**window(), "at": position, "filter": {"department": "QUALITY", "agent": "li"}},
        role=Role.ANALYST,
    )
    assert both["data"]["complaintDashboard"] == {
        "received": 0,
        "byAgent": [],
        "firstResponseTime": {"count": 0, "mean": None, "unanswered": 0},
    }
    # and logistics with li: the first complaint alone
    li = gql(
        FILTERED,
        {**window(), "at": position, "filter": {"department": "LOGISTICS", "agent": "li"}},
        role=Role.ANALYST,
    )
    assert li["data"]["complaintDashboard"]["firstResponseTime"] == {
        "count": 1,
        "mean": 40.0,
        "unanswered": 0,
    }
    # and a filter naming no slice, or a blank agent, is refused and reads nothing
    for bad, message in (
        ({}, "set at least one of department, agent, channel, category, region, team"),
        ({"agent": " "}, "must not be blank"),
    ):
        refused = gql(FILTERED, {**window(), "filter": bad}, role=Role.ANALYST)
        assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
            ("VALIDATION_FAILED", message)
        ]
    # and a department the schema does not know is a validation error of the request
    unknown = gql(FILTERED, {**window(), "filter": {"department": "MARKETING"}}, role=Role.ANALYST)
    assert "data" not in unknown and "MARKETING" in unknown["errors"][0]["message"]


COMPENSATION = """
query($from: DateTime!, $to: DateTime!, $at: Int) {
  complaintDashboard(from: $from, to: $to, atPosition: $at) {
    compensationByFunder { fundedBy key payouts amount }
  }
}"""


def test_the_dashboard_totals_compensation_by_who_funds_it(gql: Gql) -> None:
    # given a complaint about a 25.00 order, paid 7.50 by the merchant and 2.50 by the courier
    order_id = place_order(gql)
    filed = gql(
        """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
             ... on ComplaintChanged { complaint { complaintId } } } }""",
        {
            "input": {
                "customerId": CUSTOMER,
                "orderId": order_id,
                "content": "Cold soup",
                "channel": "APP",
                "occurredAt": at(0),
            }
        },
    )
    complaint = filed["data"]["fileComplaint"]["complaint"]["complaintId"]
    for name, kind, extra, seconds in (
        (
            "classifyComplaint",
            "ClassifyComplaintInput",
            {"category": "LOGISTICS", "subcategory": "late", "severity": "GENERAL"},
            1,
        ),
        (
            "assignResponsibility",
            "AssignResponsibilityInput",
            {"department": "LOGISTICS", "person": "li"},
            2,
        ),
        ("startWork", "ComplaintInput", {}, 3),
        (
            "proposeSolution",
            "ProposeSolutionInput",
            {"remedy": "PARTIAL_REFUND", "amount": "10.00"},
            4,
        ),
        (
            "issueCompensation",
            "IssueCompensationInput",
            {"amount": "7.50", "fundedBy": "MERCHANT"},
            5,
        ),
        (
            "issueCompensation",
            "IssueCompensationInput",
            {"amount": "2.50", "fundedBy": "COURIER"},
            6,
        ),
    ):
        position = step(
            gql, name, kind, {"complaintId": complaint, "occurredAt": at(seconds), **extra}
        )
    # when an analyst reads the dashboard, then each funder shows its payout and amount
    board = gql(COMPENSATION, {**window(), "at": position}, role=Role.ANALYST)
    assert board["data"]["complaintDashboard"]["compensationByFunder"] == [
        {"fundedBy": "courier", "key": "COURIER", "payouts": 1, "amount": "2.50"},
        {"fundedBy": "merchant", "key": "MERCHANT", "payouts": 1, "amount": "7.50"},
    ]
