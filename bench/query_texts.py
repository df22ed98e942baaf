"""The GraphQL documents bench/queries.py sends, and a one-line summary of each answer (so a
table row shows that the query found something)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

LABELS = "{ label count }"
DURATIONS = "{ count p50 p90 p99 }"
DASHBOARD = f"""query Dashboard($from: DateTime!, $to: DateTime!) {{
  complaintDashboard(from: $from, to: $to) {{
    windowStart windowEnd received unclassified unassigned resolved reopened reopenRate
    byChannel {LABELS} byCategory {LABELS} bySeverity {LABELS} byDepartment {LABELS}
    byOutcome {LABELS} firstResponseTime {DURATIONS} resolutionTime {DURATIONS}
    slaMet {LABELS} slaBreached {LABELS} slaWarnings {LABELS}
    escalations escalationsByTrigger {LABELS} escalationsByLevel {LABELS}
  }}
}}"""
FILTERED = f"""query Filtered($from: DateTime!, $to: DateTime!) {{
  complaintDashboard(from: $from, to: $to, filter: {{department: CUSTOMER_SERVICE}}) {{
    received complaintsResolved firstResponseTime {DURATIONS} resolutionTime {DURATIONS}
    slaMetShare {{ clock share }} csat
  }}
}}"""
BREAKDOWN = f"""query Breakdown($from: DateTime!, $to: DateTime!) {{
  complaintBreakdown(from: $from, to: $to, by: AGENT) {{
    label dashboard {{ received firstResponseTime {DURATIONS} slaMetShare {{ clock share }} }}
  }}
}}"""
QUEUE_DOCUMENT = """query Queue {
  complaintQueue(first: 20) {
    edges { cursor node { complaintId customerId status category severity department assignee
      escalationLevel channel waitingOn receivedAt nextDueAt nextClock } }
    pageInfo { hasNextPage endCursor }
  }
}"""
TRAIL = """query Trail($id: ID!) {
  auditTrail(entityId: $id, first: 20) {
    edges { node { position entityType entityId version event actor { kind id role }
      commandId correlationId channel occurredAt recordedAt data } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _body(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}}, separators=(",", ":"))


def dashboard(start: datetime, end: datetime) -> str:
    return _body(DASHBOARD, {"from": start.isoformat(), "to": end.isoformat()})


def filtered(start: datetime, end: datetime) -> str:
    return _body(FILTERED, {"from": start.isoformat(), "to": end.isoformat()})


def breakdown(start: datetime, end: datetime) -> str:
    return _body(BREAKDOWN, {"from": start.isoformat(), "to": end.isoformat()})


QUEUE = _body(QUEUE_DOCUMENT)


def trail(entity_id: UUID) -> str:
    return _body(TRAIL, {"id": str(entity_id)})


def dashboard_summary(answer: dict[str, Any]) -> str:
    d = answer["data"]["complaintDashboard"]
    return f"{d['received']:,} received, {d['resolved']:,} resolved"


def filtered_summary(answer: dict[str, Any]) -> str:
    d = answer["data"]["complaintDashboard"]
    return f"{d['received']:,} received, {d['complaintsResolved']:,} resolved"


def breakdown_summary(answer: dict[str, Any]) -> str:
    slices = answer["data"]["complaintBreakdown"]
    return f"{len(slices)} agents, {sum(s['dashboard']['received'] for s in slices):,} received"


def queue_summary(answer: dict[str, Any]) -> str:
    page = answer["data"]["complaintQueue"]
    return f"{len(page['edges'])} rows, more: {page['pageInfo']['hasNextPage']}"


def trail_summary(answer: dict[str, Any]) -> str:
    edges = answer["data"]["auditTrail"]["edges"]
    sealed = sum('"sealed": true' in json.dumps(e["node"]["data"]) for e in edges)
    return f"{len(edges)} events, {sealed} with data left sealed"
