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
from typing import Any, NamedTuple

from domain.incident_types import IncidentStatus
from projections.engine.keyset import Page, keyset_page
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import epoch, from_epoch, update_entries
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import Index, Table

S = IncidentStatus
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


class IncidentRecord(NamedTuple):
    incident_id: str
    status: str
    type: str
    source: str
    severity: str | None
    warning_colour: str | None
    reported_at: float
    position: int


INCIDENTS = Table(
    "incidents",
    IncidentRecord,
    primary_key=("incident_id",),
    indexes=[
        Index("reported", ("reported_at", "incident_id")),
        *(Index(column, (column, "reported_at", "incident_id")) for column in FILTERS),
    ],
)


class IncidentIndexProjection(Projection):
    name = "incident_index"
    events = ("IncidentReported", *STATUSES, "SeverityAssessed", "WarningIssued")

    declared = (INCIDENTS,)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        update_entries(tx, INCIDENTS, prefix, batch, Entry.of, apply)


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
    def of(cls, record: IncidentRecord) -> Entry:
        return cls(
            incident_id=record.incident_id,
            status=record.status,
            type=record.type,
            source=record.source,
            severity=record.severity,
            warning_colour=record.warning_colour,
            reported_at=float(record.reported_at),
            position=int(record.position),
        )

    def record(self) -> IncidentRecord:
        return IncidentRecord(
            incident_id=self.incident_id,
            status=self.status,
            type=self.type,
            source=self.source,
            severity=self.severity,
            warning_colour=self.warning_colour,
            reported_at=self.reported_at,
            position=self.position,
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
        INCIDENTS,
        filters=filters,
        order=("reported_at", "incident_id"),
        after=after,
        limit=limit,
        convert=indexed_incident,
    )


def indexed_incident(record: IncidentRecord) -> IndexedIncident:
    return IndexedIncident(
        incident_id=record.incident_id,
        status=record.status,
        type=record.type,
        source=record.source,
        severity=record.severity,
        warning_colour=record.warning_colour,
        reported_at=from_epoch(record.reported_at),
        position=int(record.position),
        sort_key=(float(record.reported_at), record.incident_id),
    )
