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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.incident_types import OPEN_STATES, IncidentStatus, IncidentType, Severity
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import HOUR, active_prefix, from_epoch, hours_between, page_size
from projections.engine.store import Row, Tx, ViewStore
from projections.views.incident_board_cards import COLUMNS, RANKS, UNASSESSED, Card, apply_batch

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

    def tables(self) -> tuple[str, ...]:
        return ("incidents", "link_sets", "reported", "durations", "open_counts")

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}incidents (incident_id TEXT PRIMARY KEY, type TEXT NOT NULL,"
            " source TEXT NOT NULL, title TEXT NOT NULL, severity TEXT,"
            " severity_rank INTEGER NOT NULL, warning_colour TEXT, status TEXT NOT NULL,"
            " roles TEXT NOT NULL, reported_at DOUBLE PRECISION NOT NULL,"
            " acknowledged_at DOUBLE PRECISION, resolved_at DOUBLE PRECISION,"
            " last_update_at DOUBLE PRECISION, orders_linked INTEGER NOT NULL,"
            " complaints_linked INTEGER NOT NULL, is_open INTEGER NOT NULL, merged_into TEXT)"
        )
        tx.execute(
            f"CREATE INDEX {prefix}incidents_board ON {prefix}incidents"
            " (is_open, severity_rank, reported_at, incident_id)"
        )
        tx.execute(
            f"CREATE INDEX {prefix}incidents_by_type ON {prefix}incidents"
            " (is_open, type, severity_rank, reported_at, incident_id)"
        )
        tx.execute(
            f"CREATE TABLE {prefix}link_sets (incident_id TEXT PRIMARY KEY, orders TEXT NOT NULL,"
            " complaints TEXT NOT NULL)"
        )
        tx.execute(
            f"CREATE TABLE {prefix}reported (hour BIGINT NOT NULL, type TEXT NOT NULL,"
            " severity TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (hour, type, severity))"
        )
        tx.execute(
            f"CREATE TABLE {prefix}durations (hour BIGINT NOT NULL, metric TEXT NOT NULL,"
            " total_us BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (hour, metric))"
        )
        tx.execute(
            f"CREATE TABLE {prefix}open_counts (status TEXT NOT NULL, type TEXT NOT NULL,"
            " severity TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (status, type, severity))"
        )

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
    where: list[str] = ["is_open = 1"]
    params: list[Any] = []
    if type is not None:
        where.append("type = ?")
        params.append(IncidentType(type).value)
    if severity is not None:
        where.append("severity_rank = ?")
        params.append(RANKS[Severity(severity).value])
    if after is not None:
        where.append("(severity_rank, reported_at, incident_id) > (?, ?, ?)")
        params += [int(after[0]), float(after[1]), str(after[2])]
    with store.transaction() as tx:
        prefix = active_prefix(tx, IncidentBoardProjection.name)
        rows = tx.all(
            f"SELECT {', '.join(COLUMNS)} FROM {prefix}incidents WHERE {' AND '.join(where)}"
            " ORDER BY severity_rank, reported_at, incident_id LIMIT ?",
            [*params, limit + 1],
        )
    page = [board_incident(row, now) for row in rows[:limit]]
    return IncidentPage(page, page[-1].sort_key if len(rows) > limit else None)


def board_incident(row: Row, now: datetime) -> BoardIncident:
    card = Card.from_row(row)
    last_update = card.last_update_at if card.last_update_at is not None else card.reported_at
    return BoardIncident(
        card.incident_id,
        card.type,
        card.source,
        card.title,
        card.severity,
        card.warning_colour,
        card.status,
        card.roles,
        from_epoch(card.reported_at),
        _time(card.acknowledged_at),
        _time(card.resolved_at),
        _time(card.last_update_at),
        now.timestamp() - last_update,
        card.orders_linked,
        card.complaints_linked,
        card.is_open,
        card.merged_into,
        (int(row[5]), card.reported_at, card.incident_id),
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
    with store.transaction() as tx:
        prefix = active_prefix(tx, IncidentBoardProjection.name)
        reported = tx.all(
            f"SELECT type, severity, SUM(n) FROM {prefix}reported"
            " WHERE hour BETWEEN ? AND ? GROUP BY type, severity",
            (first, last),
        )
        durations = tx.all(
            f"SELECT metric, SUM(total_us), SUM(n) FROM {prefix}durations"
            " WHERE hour BETWEEN ? AND ? GROUP BY metric",
            (first, last),
        )
        opened = tx.all(f"SELECT status, type, severity, n FROM {prefix}open_counts")
    means = {metric: (int(n), int(total) / int(n) / 1e6) for metric, total, n in durations}
    mtta, mttr = means.get("mtta", (0, None)), means.get("mttr", (0, None))
    return IncidentMetrics(
        from_epoch(first),
        from_epoch(last + HOUR),
        tally(reported, 0, TYPES),
        tally(reported, 1, SEVERITIES),
        mtta[0],
        mtta[1],
        mttr[0],
        mttr[1],
        tally(opened, 0, STATUSES),
        tally(opened, 1, TYPES),
        tally(opened, 2, SEVERITIES),
    )


def tally(rows: list[Row], column: int, labels: Sequence[str]) -> dict[str, int]:
    """Sums the counts (the last column) by one column; every label present, 0 if none."""
    counts = dict.fromkeys(labels, 0)
    for row in rows:
        counts[row[column]] = counts.get(row[column], 0) + int(row[-1])
    return counts
