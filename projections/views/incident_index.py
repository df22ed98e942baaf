"""Incident index: every incident, open or ended, by state, type and severity, in the order
they were reported. The incident board lists only the open ones; this keeps them all.

A row per incident, never removed; `severity` is None until assessed, and `position` is the log
position of the incident's last event this index read. Labels only: no title, description,
names of the people in its roles, or status update text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.incident_types import IncidentStatus
from projections.engine.keyset import Page, keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import epoch, from_epoch, update_entries
from projections.engine.store import Row, Tx, ViewStore

S = IncidentStatus
COLUMNS = (
    "incident_id",
    "status",
    "type",
    "source",
    "severity",
    "warning_colour",
    "reported_at",
    "position",
)
FILTERS = ("status", "type", "severity")
STATUSES = {
    "IncidentConfirmed": S.CONFIRMED,
    "IncidentDeclined": S.DECLINED,
    "CommandEstablished": S.RESPONDING,
    "IncidentMitigated": S.MITIGATED,
    "IncidentResolved": S.RESOLVED,
    "PostIncidentReviewStarted": S.IN_REVIEW,
    "IncidentClosed": S.CLOSED,
    "IncidentMerged": S.MERGED,
}


class IncidentIndexProjection(Projection):
    name = "incident_index"
    events = ("IncidentReported", *STATUSES, "SeverityAssessed", "WarningIssued")

    def tables(self) -> tuple[str, ...]:
        return ("incidents",)

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(
            f"CREATE TABLE {prefix}incidents (incident_id TEXT PRIMARY KEY,"
            " status TEXT NOT NULL, type TEXT NOT NULL, source TEXT NOT NULL, severity TEXT,"
            " warning_colour TEXT, reported_at DOUBLE PRECISION NOT NULL,"
            " position BIGINT NOT NULL)"
        )
        table = f"{prefix}incidents"
        tx.execute(f"CREATE INDEX {table}_reported ON {table} (reported_at, incident_id)")
        for column in FILTERS:
            tx.execute(
                f"CREATE INDEX {table}_{column} ON {table} ({column}, reported_at, incident_id)"
            )

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        update_entries(tx, f"{prefix}incidents", COLUMNS, batch, Entry.of, apply)


@dataclass(slots=True)
class Entry:
    """One incident as the index keeps it, changed in memory while a batch is applied."""

    incident_id: str
    status: str
    type: str
    source: str
    severity: str | None
    warning_colour: str | None
    reported_at: float
    position: int

    @classmethod
    def of(cls, row: Row) -> Entry:
        return cls(row[0], row[1], row[2], row[3], row[4], row[5], float(row[6]), int(row[7]))

    def row(self) -> tuple[Any, ...]:
        return (
            self.incident_id,
            self.status,
            self.type,
            self.source,
            self.severity,
            self.warning_colour,
            self.reported_at,
            self.position,
        )


def reported(event: Any, position: int) -> Entry:
    return Entry(
        str(event.originator_id),
        S.REPORTED.value,
        str(event.type),
        str(event.source),
        None,
        None,
        epoch(event.meta.occurred_at),
        position,
    )


def change(entry: Entry, name: str, event: Any) -> None:
    if name in STATUSES:
        entry.status = STATUSES[name].value
    elif name == "SeverityAssessed":
        entry.severity = str(event.level)
    else:  # WarningIssued
        entry.warning_colour = str(event.colour)


def apply(entries: dict[str, Entry], envelope: Envelope) -> None:
    event = envelope.event
    incident_id = str(event.originator_id)
    if envelope.name == "IncidentReported":
        entries[incident_id] = reported(event, envelope.position)
        return
    entry = entries.get(incident_id)
    if entry is not None:  # None: its report was parked as a dead letter
        change(entry, envelope.name, event)
        entry.position = envelope.position


@dataclass(frozen=True)
class IndexedIncident:
    incident_id: str
    status: str
    type: str
    source: str
    severity: str | None  # None until assessed
    warning_colour: str | None
    reported_at: datetime
    position: int  # of the incident's last event the index read
    sort_key: tuple[float, str]  # (reported at, id): pass as `after` for the incidents after it


def incident_index(
    store: ViewStore,
    *,
    status: str | None = None,
    type: str | None = None,
    severity: str | None = None,
    after: tuple[float, str] | None = None,
    limit: int = 50,
) -> Page[IndexedIncident]:
    """Incidents by (reported time, id), oldest first; every filter given must match."""
    filters = {"status": status, "type": type, "severity": severity}
    return keyset_page(
        store,
        IncidentIndexProjection.name,
        "incidents",
        COLUMNS,
        filters=filters,
        order=("reported_at", "incident_id"),
        after=after,
        limit=limit,
        convert=indexed_incident,
    )


def indexed_incident(row: Row) -> IndexedIncident:
    return IndexedIncident(
        incident_id=row[0],
        status=row[1],
        type=row[2],
        source=row[3],
        severity=row[4],
        warning_colour=row[5],
        reported_at=from_epoch(row[6]),
        position=int(row[7]),
        sort_key=(float(row[6]), row[0]),
    )
