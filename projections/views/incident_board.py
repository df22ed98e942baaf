"""Incident board: open incidents with their roles and the age of their last update, and the
time to acknowledge (MTTA) and to resolve (MTTR) over a window of business time.

`incidents` holds one row per incident (status mirrored from the aggregate; roles as JSON text;
times as epoch seconds); `link_sets` the distinct orders and complaints linked to each (ids
separated by spaces, in link order; read only when an incident is linked to more). Hourly
tables: `reported` counts incidents at their REPORT hour by type and current severity (a
reassessment moves the incident from its old severity to its new one in that hour);
`durations` sums confirmation minus report at the confirmation hour (mtta) and resolution
minus report at the resolution hour (mttr), in microseconds. `open_counts` holds the open
incidents now by status, type and severity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from domain.incident_types import OPEN_STATES, IncidentStatus, IncidentType, Severity
from projections.engine.keyset import keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import HOUR, active_prefix, from_epoch, hours_between, page_size
from projections.engine.store import Tx, ViewStore
from projections.views.incident_board_cards import RANKS, UNASSESSED, Card, apply_batch
from projections.views.incident_board_tables import (
    DURATIONS,
    INCIDENTS,
    LINK_SETS,
    OPEN_COUNTS,
    REPORTED,
    IncidentRecord,
)

TYPES = tuple(t.value for t in IncidentType)
SEVERITIES = (*(s.value for s in Severity), UNASSESSED)
STATUSES = tuple(s.value for s in IncidentStatus if s in OPEN_STATES)  # the open ones
Cursor = tuple[int, float, str]  # (severity rank, reported at, incident id)


class IncidentBoardProjection(Projection):
    name = "incident_board"
    events = (
        "IncidentReported",
        "WarningIssued",
        "IncidentConfirmed",
        "IncidentDeclined",
        "SeverityAssessed",
        "CommandEstablished",
        "RoleAssigned",
        "StatusUpdatePublished",
        "OrdersLinked",
        "ComplaintsLinked",
        "IncidentMitigated",
        "IncidentResolved",
        "PostIncidentReviewStarted",
        "IncidentClosed",
        "IncidentMerged",
    )

    declared = (INCIDENTS, LINK_SETS, REPORTED, DURATIONS, OPEN_COUNTS)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        apply_batch(tx, prefix, batch)


@dataclass(frozen=True)
class BoardIncident:
    incident_id: str
    type: str
    source: str
    title: str
    severity: str | None  # None until assessed
    warning_colour: str | None
    status: str
    roles: dict[str, str]  # role -> person
    reported_at: datetime
    acknowledged_at: datetime | None  # when it was confirmed
    resolved_at: datetime | None
    last_update_at: datetime | None  # the last status update published
    last_update_age_s: float  # since the last status update, or since the report if none yet
    orders_linked: int
    complaints_linked: int
    is_open: bool
    merged_into: str | None
    sort_key: Cursor  # pass as `after` for the incidents after this one


@dataclass(frozen=True)
class IncidentPage:
    rows: list[BoardIncident]
    after: Cursor | None  # the cursor of the next page; None on the last page


def open_incidents(
    store: ViewStore,
    *,
    now: datetime,
    type: str | None = None,
    severity: str | None = None,
    after: Cursor | None = None,
    limit: int = 50,
) -> IncidentPage:
    """Open incidents, gravest severity first (unassessed last), then oldest report first."""
    page_size(limit)
    filters = {
        "is_open": 1,
        "type": None if type is None else IncidentType(type).value,
        "severity_rank": None if severity is None else RANKS[Severity(severity).value],
    }
    page = keyset_page(
        store,
        IncidentBoardProjection.name,
        INCIDENTS,
        filters=filters,
        order=("severity_rank", "reported_at", "incident_id"),
        after=after,
        limit=limit,
        convert=lambda record: board_incident(record, now),
    )
    return IncidentPage(page.rows, page.after)


def board_incident(record: IncidentRecord, now: datetime) -> BoardIncident:
    card = Card.of(record)
    last_update = card.last_update_at if card.last_update_at is not None else card.reported_at
    return BoardIncident(
        incident_id=card.incident_id,
        type=card.type,
        source=card.source,
        title=card.title,
        severity=card.severity,
        warning_colour=card.warning_colour,
        status=card.status,
        roles=card.roles,
        reported_at=from_epoch(card.reported_at),
        acknowledged_at=_time(card.acknowledged_at),
        resolved_at=_time(card.resolved_at),
        last_update_at=_time(card.last_update_at),
        last_update_age_s=now.timestamp() - last_update,
        orders_linked=card.orders_linked,
        complaints_linked=card.complaints_linked,
        is_open=card.is_open,
        merged_into=card.merged_into,
        sort_key=(int(record.severity_rank), card.reported_at, card.incident_id),
    )


def _time(seconds: float | None) -> datetime | None:
    return None if seconds is None else from_epoch(seconds)


@dataclass(frozen=True)
class IncidentMetrics:
    window_start: datetime  # the window resolved to whole hours
    window_end: datetime
    reported_by_type: dict[str, int]  # incidents reported in the window
    reported_by_severity: dict[str, int]  # by current severity; "unassessed" before assessment
    acknowledged: int  # confirmations in the window
    mtta_s: float | None  # mean confirmation minus report of those; None without any
    resolved: int  # resolutions in the window
    mttr_s: float | None  # mean resolution minus report of those; None without any
    open_by_status: dict[str, int]  # open incidents now, whatever the window
    open_by_type: dict[str, int]
    open_by_severity: dict[str, int]

    @property
    def reported(self) -> int:
        return sum(self.reported_by_type.values())

    @property
    def open(self) -> int:
        return sum(self.open_by_status.values())


def incident_metrics(store: ViewStore, start: datetime, end: datetime) -> IncidentMetrics:
    """The window [start, end), resolved to whole hours of business time."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError("the window must end after it starts")
    first, last = hours_between(start, end)
    with store.snapshot() as tx:
        prefix = active_prefix(tx, IncidentBoardProjection.name)
        reported = tx.records(
            ReportedSum,
            f"SELECT type, severity, SUM(n) AS n FROM {prefix}{REPORTED.name}"
            " WHERE hour BETWEEN ? AND ? GROUP BY type, severity",
            (first, last),
        )
        durations = tx.records(
            DurationSum,
            f"SELECT metric, SUM(total_us) AS total_us, SUM(n) AS n FROM {prefix}{DURATIONS.name}"
            " WHERE hour BETWEEN ? AND ? GROUP BY metric",
            (first, last),
        )
        opened = OPEN_COUNTS.records(
            tx.all(f"SELECT {OPEN_COUNTS.select_list} FROM {prefix}{OPEN_COUNTS.name}")
        )
    means = {d.metric: (int(d.n), int(d.total_us) / int(d.n) / 1e6) for d in durations}
    (acknowledged, mtta_s), (resolved, mttr_s) = (
        means.get(metric, (0, None)) for metric in ("mtta", "mttr")
    )
    return IncidentMetrics(
        window_start=from_epoch(first),
        window_end=from_epoch(last + HOUR),
        reported_by_type=tally(((r.type, r.n) for r in reported), TYPES),
        reported_by_severity=tally(((r.severity, r.n) for r in reported), SEVERITIES),
        acknowledged=acknowledged,
        mtta_s=mtta_s,
        resolved=resolved,
        mttr_s=mttr_s,
        open_by_status=tally(((r.status, r.n) for r in opened), STATUSES),
        open_by_type=tally(((r.type, r.n) for r in opened), TYPES),
        open_by_severity=tally(((r.severity, r.n) for r in opened), SEVERITIES),
    )


class ReportedSum(NamedTuple):
    type: str
    severity: str
    n: int


class DurationSum(NamedTuple):
    metric: str
    total_us: int
    n: int


def tally(counted: Iterable[tuple[str, int]], labels: Sequence[str]) -> dict[str, int]:
    """Sums the counts by label; every label present, 0 if none."""
    counts = dict.fromkeys(labels, 0)
    for label, n in counted:
        counts[label] = counts.get(label, 0) + int(n)
    return counts
