"""The domain's enumerations as GraphQL enums: an unknown value fails validation, records nothing.

GraphQL names are prefixed where two aggregates use the same word for different sets. Each name
here is the domain class itself (registered with strawberry in place), so it is also a type.
"""

from __future__ import annotations

import strawberry

from domain import (
    cluster,
    clusters,
    complaint_types,
    customer,
    incident_types,
    meta,
    order_types,
    sla,
    survey,
)

Channel = meta.Channel
strawberry.enum(Channel, name="Channel")
ActorKind = meta.ActorKind
strawberry.enum(ActorKind, name="ActorKind")

OrderStatus = order_types.OrderStatus
strawberry.enum(OrderStatus, name="OrderStatus")
ConfirmationVia = order_types.ConfirmationVia
strawberry.enum(ConfirmationVia, name="NoticeVia")
OrderDepartment = order_types.Department
strawberry.enum(OrderDepartment, name="OrderDepartment")
FailureReason = order_types.FailureReason
strawberry.enum(FailureReason, name="FailureReason")
CancellingParty = order_types.CancellingParty
strawberry.enum(CancellingParty, name="CancellingParty")
LateAttribution = order_types.LateAttribution
strawberry.enum(LateAttribution, name="LateAttribution")
RefundOrigin = order_types.RefundOrigin
strawberry.enum(RefundOrigin, name="RefundOrigin")
DelayRisk = order_types.DelayRisk
strawberry.enum(DelayRisk, name="DelayRisk")

ComplaintStatus = complaint_types.ComplaintStatus
strawberry.enum(ComplaintStatus, name="ComplaintStatus")
Category = complaint_types.Category
strawberry.enum(Category, name="ComplaintCategory")
ComplaintSeverity = complaint_types.Severity
strawberry.enum(ComplaintSeverity, name="ComplaintSeverity")
ComplaintDepartment = complaint_types.Department
strawberry.enum(ComplaintDepartment, name="ComplaintDepartment")
WaitingOn = complaint_types.WaitingOn
strawberry.enum(WaitingOn, name="WaitingOn")
Remedy = complaint_types.Remedy
strawberry.enum(Remedy, name="Remedy")
FundedBy = complaint_types.FundedBy
strawberry.enum(FundedBy, name="FundedBy")
ComplaintOutcome = complaint_types.Resolution
strawberry.enum(ComplaintOutcome, name="ComplaintOutcome")
ClosedBy = complaint_types.ClosedBy
strawberry.enum(ClosedBy, name="ClosedBy")
EscalationTrigger = complaint_types.EscalationTrigger
strawberry.enum(EscalationTrigger, name="EscalationTrigger")
ClockName = sla.ClockName
strawberry.enum(ClockName, name="SlaClockName")
ClockState = sla.ClockState
strawberry.enum(ClockState, name="SlaClockState")

IncidentStatus = incident_types.IncidentStatus
strawberry.enum(IncidentStatus, name="IncidentStatus")
IncidentType = incident_types.IncidentType
strawberry.enum(IncidentType, name="IncidentType")
IncidentSource = incident_types.IncidentSource
strawberry.enum(IncidentSource, name="IncidentSource")
IncidentSeverity = incident_types.Severity
strawberry.enum(IncidentSeverity, name="IncidentSeverity")
WarningColour = incident_types.WarningColour
strawberry.enum(WarningColour, name="WarningColour")
IncidentRole = incident_types.Role
strawberry.enum(IncidentRole, name="IncidentRole")
ActionKind = incident_types.ActionKind
strawberry.enum(ActionKind, name="ActionKind")
Audience = incident_types.Audience
strawberry.enum(Audience, name="Audience")

SurveyStatus = survey.SurveyStatus
strawberry.enum(SurveyStatus, name="SurveyStatus")
SurveySubject = survey.SurveySubject
strawberry.enum(SurveySubject, name="SurveySubject")
SurveyVia = survey.SurveyVia
strawberry.enum(SurveyVia, name="SurveyVia")

CustomerStatus = customer.CustomerStatus
strawberry.enum(CustomerStatus, name="CustomerStatus")
Tier = customer.Tier
strawberry.enum(Tier, name="Tier")

ClusterStatus = cluster.ClusterStatus
strawberry.enum(ClusterStatus, name="ClusterStatus")
ClusterKeyKind = clusters.KeyKind
strawberry.enum(ClusterKeyKind, name="ClusterKeyKind")
ClusterTrigger = clusters.Trigger
strawberry.enum(ClusterTrigger, name="ClusterTrigger")
