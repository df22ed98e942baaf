"""Who may do what: every GraphQL operation with the roles allowed, and the row-level rules.

Resolvers ask `authorize(caller, "operationName")`; `careledger permissions` prints the table
(docs/permissions.md). An operation with no entry fails tests/api/test_roles.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from api.auth import Principal, Role
from api.graphql.problems import ForbiddenError
from api.need_to_know import RELATIONS, example_access

A, S, IC = Role.AGENT, Role.SUPERVISOR, Role.INCIDENT_COMMANDER
CO, AN, C, AD = Role.COMPLIANCE_OFFICER, Role.ANALYST, Role.CUSTOMER, Role.ADMIN


@dataclass(frozen=True)
class RowRule:
    """A rule on which rows a caller reaches, for the roles it restricts."""

    name: str
    text: str
    restricts: frozenset[Role]
    check: Callable[[Principal, UUID], bool]

    def allows(self, caller: Principal, owner: UUID) -> bool:
        return caller.role not in self.restricts or self.check(caller, owner)

    def binds(self, role: Role) -> bool:
        return role in self.restricts


OWN_DATA = RowRule(
    "own-data",
    "Customers reach only their own data: their customer record, orders, complaints and"
    " surveys (and their histories); they place orders and file complaints only for themselves"
    " and about their own orders; lists are narrowed to themselves.",
    frozenset({C}),
    lambda caller, owner: caller.is_customer(owner),
)
ROW_RULES = (OWN_DATA,)
NEED_TO_KNOW_TEXT = (
    "Personal data opens by need-to-know, field by field (the fields and the entity each one"
    " is judged by are below). It opens for the customer it is about, and for an agent or a"
    " supervisor who handles the entity: assigned to them, or queued in their department (the"
    " token's `department`; a complaint not yet handed on, and every order, are queued in"
    " customer service), while it is open and for `CARELEDGER_ACCESS_GRACE_S` after it ended."
    " An agent, a supervisor or an admin who is not handling it may break the glass"
    " (`breakGlass`, with a reason, for at most four hours): the customer's data opens to"
    " them alone until then, the event is recorded and the privacy officers are alerted."
    " A compliance officer (or an admin) reads a customer's data only while a privacy case of"
    " theirs is open on them (`openPrivacyCase` / `closePrivacyCase`, each with a reason)."
    ' Analysts and incident commanders never. For anyone else the field reads "[sealed]" and'
    " its `…Access` field gives the reason; the query itself succeeds."
)
# field: the entity whose relation to the caller decides
NEED_TO_KNOW_FIELDS: dict[str, str] = {
    "`complaint.content`": "the complaint",
    "`complaint.rootCause` (`cause`, `correctiveAction`)": "the complaint",
    "`order.address`, `order.closingReason`": "the order",
    "`customer.contact` (also through `findCustomer`)": "any complaint or order of the customer's",
    "`survey.comment`": "the order or complaint the survey asks about",
    "personal data in `<entity>History` and `auditTrail` events": "the entity the event belongs"
    " to (a customer's record: as `customer.contact`; anything else: the customer whose key"
    " sealed it)",
    "`customerExport`": "the customer's record: in practice a privacy case or broken glass",
}


@dataclass(frozen=True)
class Permission:
    roles: frozenset[Role]
    rows: tuple[RowRule, ...] = ()
    note: str = ""


def _allow(*roles: Role, note: str = "") -> Permission:
    """Admins may do everything; customers only under the own-data rule."""
    rows = (OWN_DATA,) if C in roles else ()
    return Permission(frozenset({*roles, AD}), rows, note)


ORDER_READ = _allow(C, A, S, CO, AN, IC)
COMPLAINT_READ = _allow(C, A, S, CO, AN, IC)
INCIDENT_READ = _allow(IC, S, AN, CO)
SURVEY_READ = _allow(C, A, S, CO, AN)
CUSTOMER_READ = _allow(C, A, S, CO, AN)
DASHBOARD = _allow(AN, S, A, CO)
LISTS = _allow(A, S, AN, CO)
STAFF = _allow(A, S)
CUSTOMER_OR_STAFF = _allow(C, A, S)
RESPONDERS = _allow(IC, S)
# Everyone's alerts, not only the caller's own (`mine: false`).
ALL_ALERTS = _allow(S, IC)
ALL_ALERTS_NOTE = "own alerts; `mine: false` (everyone's) for supervisors, commanders, admins"
ADMINS = _allow(note="integrations: webhook endpoints and their delivery log")
SLA_ADMINS = _allow(note="SLA policy versions, working calendars and the rules choosing them")

QUERIES: dict[str, Permission] = {
    "node": Permission(
        frozenset().union(*(p.roles for p in (ORDER_READ, INCIDENT_READ, SURVEY_READ))),
        (OWN_DATA,),
        "as the query of the node's type (order, complaint, incident, survey, customer)",
    ),
    "order": ORDER_READ,
    "orderHistory": ORDER_READ,
    "complaint": COMPLAINT_READ,
    "complaintHistory": COMPLAINT_READ,
    "incident": INCIDENT_READ,
    "incidentHistory": INCIDENT_READ,
    "clusterDetection": INCIDENT_READ,
    "clusterDetections": INCIDENT_READ,
    "survey": SURVEY_READ,
    "surveyHistory": SURVEY_READ,
    "customer": CUSTOMER_READ,
    "customerHistory": CUSTOMER_READ,
    "customerExport": _allow(CO),
    "findCustomer": _allow(
        A, S, CO, note="by phone or e-mail through the keyed blind index, or by a number"
    ),
    "complaintDashboard": DASHBOARD,
    "complaintBreakdown": DASHBOARD,
    "satisfaction": DASHBOARD,
    "orderDelays": DASHBOARD,
    "incidentMetrics": _allow(AN, S, A, CO, IC),
    "complaintQueue": LISTS,
    "complaintQueueCounts": LISTS,
    "ordersAtRisk": LISTS,
    "openIncidents": INCIDENT_READ,
    "complaints": _allow(A, S, AN, CO, C),
    "orders": _allow(A, S, AN, CO, C),
    "incidents": INCIDENT_READ,
    "auditTrail": _allow(CO, AN, S, A, IC),
    "verifyAuditChain": _allow(CO),
    "personalDataReads": _allow(
        C, CO, note="who has seen a customer's personal data (customers: their own)"
    ),
    "privacyAuditReport": _allow(
        CO, note="reads by role and actor, unusual volume, broken glass, exports, erasures"
    ),
    "notifications": _allow(A, S, CO, IC),
    "deliveryDashboard": DASHBOARD,
    "alerts": _allow(A, S, IC, CO, note=ALL_ALERTS_NOTE),
    "webhookEndpoint": ADMINS,
    "webhookEndpoints": ADMINS,
    "webhookDeliveries": ADMINS,
    "slaCatalog": _allow(A, S, AN, CO),
    "complaintSlaExplain": _allow(A, S, AN, CO),
    "slaWhatIf": _allow(S, AN, note="replays the window's complaints; writes nothing"),
    "tierThresholds": _allow(A, S, AN, CO),
}

_ORDER_COMMANDS = (
    "confirmOrder sendOrderConfirmation rejectOrder expireOrder assignOrderDepartment"
    " startPreparation packOrder assignCourier pickUpOrder deliverOrder failDelivery"
    " markOrderReturned updateEta detectDelay sendDelayNotice recordOrderLate recordRefund"
)
_COMPLAINT_COMMANDS = (
    "classifyComplaint reclassifyComplaint assignResponsibility recordDepartmentReply"
    " sendFirstResponse replyToCustomer startWork putOnHold resumeComplaint proposeSolution"
    " issueCompensation resolveComplaint recordRootCause escalateComplaint linkComplaint"
    " mergeComplaint closeComplaint"
)
_INCIDENT_COMMANDS = (
    "issueWarning confirmIncident declineIncident assessSeverity reportToSuperior"
    " establishCommand assignRole allocateResource takeAction publishStatusUpdate recordImpact"
    " linkOrders linkComplaints mitigateIncident resolveIncident startReview completeReview"
    " closeIncident mergeIncident"
)
_WEBHOOK_COMMANDS = (
    "registerWebhookEndpoint changeWebhookEventTypes rotateWebhookSecret"
    " disableWebhookEndpoint reEnableWebhookEndpoint"
)

MUTATIONS: dict[str, Permission] = {
    "placeOrder": CUSTOMER_OR_STAFF,
    **dict.fromkeys(_ORDER_COMMANDS.split(), STAFF),
    "approvePayoutException": _allow(
        S, note="payouts beyond what the customer paid, with a reason"
    ),
    "cancelOrder": CUSTOMER_OR_STAFF,
    "fileComplaint": CUSTOMER_OR_STAFF,
    **dict.fromkeys(_COMPLAINT_COMMANDS.split(), STAFF),
    "receiveCustomerMessage": CUSTOMER_OR_STAFF,
    "confirmSatisfied": CUSTOMER_OR_STAFF,
    "disputeResolution": CUSTOMER_OR_STAFF,
    "checkComplaintSla": _allow(S),
    "reassignComplaints": _allow(
        S, note="a department's queue or a list of complaints to one person, one command each"
    ),
    "retargetComplaintSla": _allow(S),
    "importComplaintHistory": _allow(
        note="a complaint's whole history from a previous system, judged at its own times"
    ),
    "defineSlaCalendar": SLA_ADMINS,
    "defineSlaPolicy": SLA_ADMINS,
    "setSlaPolicyRules": SLA_ADMINS,
    "defineTierThresholds": _allow(note="the completed-order spend each customer tier needs"),
    "reportIncident": _allow(IC, S, A),
    **dict.fromkeys(_INCIDENT_COMMANDS.split(), RESPONDERS),
    "acceptCluster": RESPONDERS,
    "dismissCluster": RESPONDERS,
    "sendSurvey": STAFF,
    "respondToSurvey": _allow(C),
    "expireSurvey": STAFF,
    "registerCustomer": STAFF,
    "changeContact": CUSTOMER_OR_STAFF,
    "assignTier": _allow(S, note="by hand, with a reason; or back to the spend"),
    "eraseCustomer": _allow(CO),
    "breakGlass": _allow(
        A,
        S,
        note="opens one customer's personal data to the caller for a while, with a reason;"
        " recorded, alerts the privacy officer",
    ),
    "openPrivacyCase": _allow(CO, note="with a reason; the customer's data opens to the officer"),
    "closePrivacyCase": _allow(CO, note="with a reason"),
    "acknowledgeAlert": _allow(A, S, IC),
    "setNoticePreferences": CUSTOMER_OR_STAFF,
    **dict.fromkeys(_WEBHOOK_COMMANDS.split(), ADMINS),
}

SUBSCRIPTIONS: dict[str, Permission] = {
    "complaintDashboardUpdates": DASHBOARD,
    "openIncidentsUpdates": INCIDENT_READ,
    "complaintChanges": COMPLAINT_READ,
    "incidentChanges": INCIDENT_READ,
    "alertRaised": _allow(A, S, IC, CO, note=ALL_ALERTS_NOTE),
}

# Pages the service serves (not GraphQL operations): asked by `authorize_page`.
PAGES: dict[str, Permission] = {
    "report": _allow(AN, S, note="`/report`: the analysts' report (charts and findings)"),
    "wall": _allow(S, note="`/wall`: the supervisors' live wall"),
}

# Row-level CSV exports (`/export/<kind>.csv`, api/export/): asked by `authorize_export`.
EXPORT_ROLES = (AN, S, CO)
EXPORTS: dict[str, Permission] = {
    "complaints.csv": _allow(
        *EXPORT_ROLES,
        note="a window of complaints, a row each; `content` under the need-to-know rule",
    ),
    "orders.csv": _allow(
        *EXPORT_ROLES, note="a window of orders, a row each; `address` under the need-to-know rule"
    ),
    "surveys.csv": _allow(
        *EXPORT_ROLES,
        note="a window of surveys, a row each; `comment` under need-to-know, as `survey.comment`",
    ),
}

OPERATIONS: dict[str, dict[str, Permission]] = {
    "Query": QUERIES,
    "Mutation": MUTATIONS,
    "Subscription": SUBSCRIPTIONS,
}
PERMISSIONS: dict[str, Permission] = {**QUERIES, **MUTATIONS, **SUBSCRIPTIONS}


def authorize(caller: Principal | None, operation: str) -> Principal:
    """The caller, if the table lets their role run `operation`; else ForbiddenError."""
    if caller is None:
        raise ForbiddenError("this operation needs a bearer token")
    if caller.role not in PERMISSIONS[operation].roles:
        raise ForbiddenError(f"the {caller.role} role may not do this")
    return caller


def authorize_page(caller: Principal, page: str) -> Principal:
    if caller.role not in PAGES[page].roles:
        raise ForbiddenError(f"the {caller.role} role may not open this page")
    return caller


def authorize_export(caller: Principal, kind: str) -> Principal:
    if caller.role not in EXPORTS[f"{kind}.csv"].roles:
        raise ForbiddenError(f"the {caller.role} role may not export {kind}")
    return caller


def authorize_all_alerts(caller: Principal) -> None:
    if caller.role not in ALL_ALERTS.roles:
        raise ForbiddenError(f"the {caller.role} role sees only its own alerts")


def markdown() -> str:
    """The table as markdown: operations by roles, then the row-level rules."""
    roles = list(Role)
    lines = [
        "# Who may do what",
        "",
        "Generated by `careledger permissions` from `api/permissions.py`; do not edit by hand.",
        "✓ allowed, ✓¹ allowed under the own-data rule, blank refused. Unauthenticated callers",
        "are refused everything.",
    ]
    for kind, table in {**OPERATIONS, "Page": PAGES, "Export": EXPORTS}.items():
        lines += ["", f"## {kind}", "", "| operation | " + " | ".join(roles) + " | note |"]
        lines.append("|---" * (len(roles) + 2) + "|")
        for name, permission in table.items():
            cells = [_cell(permission, role) for role in roles]
            lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {permission.note} |")
    lines += ["", "## Row-level rules", ""]
    lines += [f"- **{rule.name}**: {rule.text}" for rule in ROW_RULES]
    lines += [f"- **need-to-know**: {NEED_TO_KNOW_TEXT}", ""]
    lines += need_to_know_matrix()
    return "\n".join(lines) + "\n"


def need_to_know_matrix() -> list[str]:
    """The fields and what decides each, then role by relation to that entity: opened (✓,
    with the basis) or the reason it stays sealed."""
    lines = ["| personal field | judged by its relation to |", "|---|---|"]
    lines += [f"| {name} | {entity} |" for name, entity in NEED_TO_KNOW_FIELDS.items()]
    roles = list(Role)
    lines += ["", "| relation to that entity | " + " | ".join(roles) + " |"]
    lines.append("|---" * (len(roles) + 1) + "|")
    for relation in RELATIONS:
        cells = []
        for role in roles:
            found = example_access(role, relation)
            cells.append(f"✓ {found.basis}" if found.basis else f"sealed: {found.reason}")
        lines.append(f"| {relation} | " + " | ".join(cells) + " |")
    return lines


def _cell(permission: Permission, role: Role) -> str:
    if role not in permission.roles:
        return ""
    return "✓¹" if any(rule.binds(role) for rule in permission.rows) else "✓"
