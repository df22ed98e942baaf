"""The dashboards as flat GraphQL types: figures, and distributions as lists of {label, count}."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from api.graphql.late_slices import LateOrdersOf, late_orders_of
from domain.complaint_types import (
    Category,
    Department,
    EscalationTrigger,
    FundedBy,
    Resolution,
    Severity,
)
from domain.incident_types import IncidentStatus, IncidentType
from domain.incident_types import Severity as IncidentSeverity
from domain.meta import Channel
from domain.order_types import LateAttribution, OrderStatus
from domain.sla import ClockName
from projections.views.complaint_dashboard import ComplaintDashboard
from projections.views.complaint_dashboard_tables import DurationStats
from projections.views.incident_board import IncidentMetrics
from projections.views.order_delays import DelaySummary
from projections.views.satisfaction import SatisfactionReport, SurveyCounts
from projections.views.sla_whatif import SlaFigures


@strawberry.type(description="How many carry one label")
class LabelCount:
    label: str = strawberry.field(description="As the read model keeps it (e.g. InReview)")
    key: str = strawberry.field(
        description="The schema's own name for it: the GraphQL enum value of the breakdown"
        " (IN_REVIEW, PICKED_UP, PRODUCT_QUALITY), UNASSESSED for an incident not yet"
        " assessed; the label itself where the breakdown is of no enum (regions, levels, scores)"
    )
    count: int


def counts(by_label: Mapping[Any, int], enum: type[Enum] | None = None) -> list[LabelCount]:
    """Sorted by label, so the same figures always read the same; keyed by `enum`'s GraphQL
    values when the breakdown is of one."""
    return [
        LabelCount(label=str(k), key=enum_key(enum, str(k)), count=n)
        for k, n in sorted(by_label.items(), key=_label)
    ]


def enum_key(enum: type[Enum] | None, label: str) -> str:
    """The GraphQL value (the member's name) of the member whose value is `label`; a label no
    member has, upper-cased in the same style (UNASSESSED); the label itself without an enum."""
    if enum is None:
        return label
    for member in enum:
        if member.value == label:
            return member.name
    return re.sub(r"[^A-Za-z0-9]+", "_", label).upper()


def _label(item: tuple[Any, int]) -> str:
    return str(item[0])


@strawberry.type(description="Durations in seconds: how many, their percentiles and their mean")
class Durations:
    count: int
    p50: float | None
    p90: float | None
    p99: float | None
    mean: float | None = strawberry.field(description="Exact mean of the durations counted")
    unanswered: int = strawberry.field(
        default=0,
        description="Of count, the complaints still waiting (no first response yet), each"
        " counted at its age so far: at the window's end, or now if that is earlier",
    )

    @classmethod
    def of(cls, stats: DurationStats) -> Durations:
        return cls(
            count=stats.count,
            p50=stats.p50,
            p90=stats.p90,
            p99=stats.p99,
            mean=stats.mean,
            unanswered=stats.unanswered,
        )


@strawberry.type(description="Compensation paid in the window by one funder")
class FundedCompensation:
    funded_by: str = strawberry.field(description="As the read model keeps it: merchant")
    key: str = strawberry.field(description="The FundedBy enum value: MERCHANT")
    payouts: int
    amount: Decimal = strawberry.field(description="In yuan")


CENT = Decimal("0.01")


def funded(d: ComplaintDashboard) -> list[FundedCompensation]:
    return [
        FundedCompensation(
            funded_by=funder,
            key=enum_key(FundedBy, funder),
            payouts=n,
            amount=(Decimal(d.compensation_cents.get(funder, 0)) / 100).quantize(CENT),
        )
        for funder, n in sorted(d.compensations.items())
    ]


@strawberry.type(description="One SLA clock's deadlines settled in the window")
class ClockShare:
    clock: str = strawberry.field(description="As the read model keeps it (first_response)")
    key: str = strawberry.field(description="The ClockName enum value (FIRST_RESPONSE)")
    met: int
    breached: int
    share: float = strawberry.field(description="Met over met and breached")


def clock_shares(d: ComplaintDashboard | SlaFigures) -> list[ClockShare]:
    """Sorted by clock, one for every clock met or breached in the window."""
    return [
        ClockShare(
            clock=clock,
            key=enum_key(ClockName, clock),
            met=d.sla_met.get(clock, 0),
            breached=d.sla_breached.get(clock, 0),
            share=share,
        )
        for clock, share in sorted(d.sla_met_share.items())
    ]


@strawberry.type(
    name="ComplaintDashboard",
    description="Complaints over whole hours of business time [windowStart, windowEnd)",
)
class ComplaintDashboardView:
    window_start: datetime
    window_end: datetime
    received: int
    unclassified: int
    unassigned: int
    resolved: int = strawberry.field(
        description="Resolution events in the window",
        deprecation_reason="Named for what it counts: use resolutions (events) or"
        " complaintsResolved (distinct complaints)",
    )
    resolutions: int = strawberry.field(
        description="Resolution events in the window: a complaint resolved, reopened and"
        " resolved again counts twice"
    )
    complaints_resolved: int = strawberry.field(
        description="Distinct complaints resolved at least once in the window"
    )
    reopened: int
    reopen_rate: float | None = strawberry.field(description="Reopened over resolutions")
    by_channel: list[LabelCount]
    by_category: list[LabelCount]
    by_subcategory: list[LabelCount] = strawberry.field(
        description="Complaint reasons received in the window, labelled <category>/<subcategory>"
    )
    by_severity: list[LabelCount]
    by_department: list[LabelCount]
    by_agent: list[LabelCount] = strawberry.field(
        description="Complaints received in the window, by the person responsible now"
    )
    by_outcome: list[LabelCount]
    first_response_time: Durations = strawberry.field(
        description="First responses sent in the window, and the complaints received in it"
        " still unanswered at their age so far (unanswered)"
    )
    resolution_time: Durations
    sla_met: list[LabelCount] = strawberry.field(description="By clock")
    sla_breached: list[LabelCount] = strawberry.field(description="By clock")
    sla_warnings: list[LabelCount] = strawberry.field(description="By clock")
    sla_met_share: list[ClockShare] = strawberry.field(
        description="By clock, the share of its deadlines settled in the window that were met"
    )
    escalations: int
    escalations_by_trigger: list[LabelCount]
    escalations_by_level: list[LabelCount]
    csat: float | None = strawberry.field(
        description="Share of 4 and 5 among the scores of the surveys about these complaints"
        " answered in the window, the five dimensions together"
    )
    survey_scores: list[LabelCount] = strawberry.field(
        description="Those scores, 1 to 5: each answer gives one per dimension"
    )
    compensation_by_funder: list[FundedCompensation] = strawberry.field(
        description="Compensation issued in the window, by who funds it"
    )

    @classmethod
    def of(cls, d: ComplaintDashboard) -> ComplaintDashboardView:
        return cls(
            window_start=d.window_start,
            window_end=d.window_end,
            received=d.received,
            unclassified=d.unclassified,
            unassigned=d.unassigned,
            resolved=d.resolutions,
            resolutions=d.resolutions,
            complaints_resolved=d.complaints_resolved,
            reopened=d.reopened,
            reopen_rate=d.reopen_rate,
            by_channel=counts(d.by_channel, Channel),
            by_category=counts(d.by_category, Category),
            by_subcategory=counts(d.by_subcategory),
            by_severity=counts(d.by_severity, Severity),
            by_department=counts(d.by_department, Department),
            by_agent=counts(d.by_agent),
            by_outcome=counts(d.by_outcome, Resolution),
            first_response_time=Durations.of(d.first_response_time),
            resolution_time=Durations.of(d.resolution_time),
            sla_met=counts(d.sla_met, ClockName),
            sla_breached=counts(d.sla_breached, ClockName),
            sla_warnings=counts(d.sla_warnings, ClockName),
            sla_met_share=clock_shares(d),
            escalations=d.escalations,
            escalations_by_trigger=counts(d.escalations_by_trigger, EscalationTrigger),
            escalations_by_level=counts(d.escalations_by_level),
            csat=d.csat,
            survey_scores=counts(d.survey_scores),
            compensation_by_funder=funded(d),
        )


@strawberry.type(description="One survey dimension: its scores 1-5 and CSAT")
class DimensionScores:
    dimension: str = strawberry.field(description="As the read model keeps it: product_quality")
    key: str = strawberry.field(description="The schema's name for it: PRODUCT_QUALITY")
    responses: int
    csat: float | None = strawberry.field(description="Share of 4 and 5 scores")
    distribution: list[LabelCount] = strawberry.field(description="By score, 1 to 5")


@strawberry.type(description="The surveys of one channel or one subject in the window")
class SurveyResponses:
    label: str = strawberry.field(description="As the read model keeps it: sms, complaint")
    key: str = strawberry.field(description="The schema's enum value: SMS, COMPLAINT")
    sent: int
    responded: int
    expired: int
    response_rate: float | None = strawberry.field(description="Responded over sent")


def survey_responses(by_label: Mapping[str, SurveyCounts]) -> list[SurveyResponses]:
    return [
        SurveyResponses(
            label=label,
            key=label.upper(),
            sent=c.sent,
            responded=c.responded,
            expired=c.expired,
            response_rate=c.response_rate,
        )
        for label, c in sorted(by_label.items())
    ]


@strawberry.type(description="Surveys over whole hours of business time")
class Satisfaction:
    sent: int
    responded: int
    expired: int
    response_rate: float | None = strawberry.field(description="Responded over sent")
    dimensions: list[DimensionScores]
    by_via: list[SurveyResponses] = strawberry.field(
        description="By the channel the survey went by (SurveyVia)"
    )
    by_subject: list[SurveyResponses] = strawberry.field(
        description="By what the survey asked about (SurveySubject: an order or a complaint)"
    )

    @classmethod
    def of(cls, r: SatisfactionReport) -> Satisfaction:
        dimensions = [
            DimensionScores(
                dimension=d.dimension,
                key=d.dimension.upper(),
                responses=d.responses,
                csat=d.csat,
                distribution=counts(d.distribution),
            )
            for d in r.dimensions
        ]
        return cls(
            sent=r.sent,
            responded=r.responded,
            expired=r.expired,
            response_rate=r.response_rate,
            dimensions=dimensions,
            by_via=survey_responses(r.by_via),
            by_subject=survey_responses(r.by_subject),
        )


@strawberry.type(
    description="Late orders and delay detections in the window; open ones at risk or late now"
)
class OrderDelays:
    late: int
    late_by_attribution: list[LabelCount]
    late_by_region: list[LabelCount]
    late_by_stage: list[LabelCount]
    mean_late_min: float | None = strawberry.field(
        description="Minutes past the promise of the orders recorded late in the window: at"
        " delivery for those delivered, as recorded for the others"
    )
    max_late_min: int | None = strawberry.field(description="The longest of those")
    detections: int
    detections_by_stage: list[LabelCount]
    detections_by_region: list[LabelCount]
    open_at_risk_by_stage: list[LabelCount]
    open_at_risk_by_region: list[LabelCount]
    open_late_by_stage: list[LabelCount]
    open_late_by_region: list[LabelCount]
    late_by_channel: list[LateOrdersOf] = strawberry.field(
        description="The window's late orders by the channel the order came in through"
    )
    late_by_restaurant: list[LateOrdersOf]
    late_by_courier_company: list[LateOrdersOf] = strawberry.field(
        description="By the company of the courier that carried the order last (`none`: no"
        " courier had been assigned); a courier assigned after the order was late takes it along"
    )

    @classmethod
    def of(cls, s: DelaySummary) -> OrderDelays:
        return cls(
            late=s.late,
            late_by_attribution=counts(s.late_by_attribution, LateAttribution),
            late_by_region=counts(s.late_by_region),
            late_by_stage=counts(s.late_by_stage, OrderStatus),
            mean_late_min=s.mean_late_min,
            max_late_min=s.max_late_min,
            detections=s.detections,
            detections_by_stage=counts(s.detections_by_stage, OrderStatus),
            detections_by_region=counts(s.detections_by_region),
            open_at_risk_by_stage=counts(s.open_at_risk_by_stage, OrderStatus),
            open_at_risk_by_region=counts(s.open_at_risk_by_region),
            open_late_by_stage=counts(s.open_late_by_stage, OrderStatus),
            open_late_by_region=counts(s.open_late_by_region),
            late_by_channel=late_orders_of(s.late_by_channel, channels=True),
            late_by_restaurant=late_orders_of(s.late_by_restaurant),
            late_by_courier_company=late_orders_of(s.late_by_courier_company),
        )


@strawberry.type(
    name="IncidentMetrics",
    description="Incidents reported, acknowledged and resolved in the window; open ones now",
)
class IncidentMetricsView:
    window_start: datetime
    window_end: datetime
    reported: int
    reported_by_type: list[LabelCount]
    reported_by_severity: list[LabelCount] = strawberry.field(
        description="By current severity; `unassessed` before the first assessment"
    )
    acknowledged: int
    mtta_seconds: float | None = strawberry.field(description="Mean time to acknowledge")
    resolved: int
    mttr_seconds: float | None = strawberry.field(description="Mean time to resolve")
    open: int
    open_by_status: list[LabelCount]
    open_by_type: list[LabelCount]
    open_by_severity: list[LabelCount]

    @classmethod
    def of(cls, m: IncidentMetrics) -> IncidentMetricsView:
        return cls(
            window_start=m.window_start,
            window_end=m.window_end,
            reported=m.reported,
            reported_by_type=counts(m.reported_by_type, IncidentType),
            reported_by_severity=counts(m.reported_by_severity, IncidentSeverity),
            acknowledged=m.acknowledged,
            mtta_seconds=m.mtta_s,
            resolved=m.resolved,
            mttr_seconds=m.mttr_s,
            open=m.open,
            open_by_status=counts(m.open_by_status, IncidentStatus),
            open_by_type=counts(m.open_by_type, IncidentType),
            open_by_severity=counts(m.open_by_severity, IncidentSeverity),
        )
