"""The incident board's tables (projections/views/incident_board.py says what each holds)."""

from __future__ import annotations

from typing import Annotated, NamedTuple

from projections.engine.tables import INTEGER, Index, Table


class IncidentRecord(NamedTuple):
    """One incident's card as stored: roles as JSON text, times as epoch seconds."""

    incident_id: str
    type: str
    source: str
    title: str
    severity: str | None
    severity_rank: Annotated[int, INTEGER]  # 1 for severity I … 5 for unassessed
    warning_colour: str | None
    status: str
    roles: str
    reported_at: float
    acknowledged_at: float | None
    resolved_at: float | None
    last_update_at: float | None
    orders_linked: Annotated[int, INTEGER]
    complaints_linked: Annotated[int, INTEGER]
    is_open: Annotated[int, INTEGER]
    merged_into: str | None


class LinkSetRecord(NamedTuple):
    """The distinct orders and complaints linked to an incident, ids separated by spaces."""

    incident_id: str
    orders: str
    complaints: str


class ReportedRecord(NamedTuple):
    hour: int
    type: str
    severity: str
    n: int


class DurationRecord(NamedTuple):
    hour: int
    metric: str  # mtta or mttr
    total_us: int
    n: int


class OpenCountRecord(NamedTuple):
    status: str
    type: str
    severity: str
    n: int


INCIDENTS = Table(
    "incidents",
    IncidentRecord,
    primary_key=("incident_id",),
    indexes=[
        Index("board", ("is_open", "severity_rank", "reported_at", "incident_id")),
        Index("by_type", ("is_open", "type", "severity_rank", "reported_at", "incident_id")),
    ],
)
LINK_SETS = Table("link_sets", LinkSetRecord, primary_key=("incident_id",))
REPORTED = Table("reported", ReportedRecord, primary_key=("hour", "type", "severity"))
DURATIONS = Table("durations", DurationRecord, primary_key=("hour", "metric"))
OPEN_COUNTS = Table("open_counts", OpenCountRecord, primary_key=("status", "type", "severity"))
