"""The summary printed after the demo day."""

from __future__ import annotations

from collections.abc import Mapping

from demo.summary import Summary
from projections.views.complaint_dashboard_tables import DurationStats


def lines(summary: Summary) -> list[str]:
    d, s, late, inc = summary.dashboard, summary.satisfaction, summary.delays, summary.incidents
    scored = [dim for dim in s.dimensions if dim.csat is not None]
    return [
        f"Events recorded: {summary.events:,}",
        f"Orders ({sum(summary.orders.values()):,}): {counts(summary.orders)}",
        f"Complaints ({sum(summary.complaints.values()):,}): {counts(summary.complaints)}",
        "",
        f"Complaint dashboard, {d.window_start:%Y-%m-%d %H:%M} to {d.window_end:%H:%M} UTC",
        f"  received {d.received}; by category: {counts(d.by_category)}",
        f"  by severity: {counts(d.by_severity)}; by channel: {counts(d.by_channel)}",
        f"  by department: {counts(d.by_department)}; outcomes: {counts(d.by_outcome)}",
        f"  resolved {d.complaints_resolved} complaints in {d.resolutions} resolutions",
        f"  first response {durations(d.first_response_time)}",
        f"  resolution     {durations(d.resolution_time)}",
        f"  SLA met {sum(d.sla_met.values())} ({counts(d.sla_met)});"
        f" breached {sum(d.sla_breached.values())} ({counts(d.sla_breached)});"
        f" warnings {sum(d.sla_warnings.values())}",
        f"  escalations {d.escalations} ({counts(d.escalations_by_trigger)});"
        f" reopen rate {percent(d.reopen_rate)}",
        "",
        f"Satisfaction: {s.sent} surveys sent, {s.responded} answered"
        f" (response rate {percent(s.response_rate)}); CSAT (share of 4-5) "
        + ", ".join(f"{dim.dimension} {percent(dim.csat)}" for dim in scored),
        f"Delays: {late.late} orders late ({counts(late.late_by_attribution)}),"
        f" {late.mean_late_min or 0:.1f} min past the promise on average (at delivery);"
        f" delivered {arrival(summary.delivered_late_min)}",
        f"  {late.detections} delays detected before the promise"
        f" ({counts(late.detections_by_stage)})",
        f"Incidents: {inc.reported} reported ({counts(inc.reported_by_type)});"
        f" MTTA {minutes(inc.mtta_s)}, MTTR {minutes(inc.mttr_s)}; {inc.open} open now",
        f"Audit chain: {'intact' if summary.audit.ok else 'BROKEN'},"
        f" {summary.audit.checked:,} events verified",
    ]


def arrival(late_min: list[float]) -> str:
    if not late_min:
        return "-"
    median = late_min[len(late_min) // 2]
    return f"a median {median:.0f} min late (longest {late_min[-1]:.0f} min)"


def counts(found: Mapping[str, int]) -> str:
    shown = [f"{label} {n}" for label, n in sorted(found.items(), key=lambda kv: -kv[1]) if n]
    return ", ".join(shown) or "none"


def percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} min"


def durations(stats: DurationStats) -> str:
    if not stats.count:
        return "none yet"
    waiting = f", {stats.unanswered} of them unanswered so far" if stats.unanswered else ""
    return (
        f"mean {minutes(stats.mean)}, p50 {minutes(stats.p50)}, p90 {minutes(stats.p90)},"
        f" p99 {minutes(stats.p99)} ({stats.count}{waiting})"
    )
