"""The incident board's write side: one card per incident, changed in memory in event order.

A card mirrors the Incident aggregate's status, severity, warning, roles, milestones and the
distinct orders and complaints linked to it. `Changes` applies one batch to the cards it loaded
and keeps what the batch adds to the hourly MTTA/MTTR sums; `apply_batch` loads, applies and
writes back in a few statements per batch.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.incident_types import OPEN_STATES
from domain.incident_types import IncidentStatus as S
from projections.engine.projection import Envelope
from projections.engine.reading import HOUR, adjust_counts, records_by_ids, upsert_records
from projections.engine.store import Tx
from projections.views.incident_board_tables import (
    DURATIONS,
    INCIDENTS,
    LINK_SETS,
    OPEN_COUNTS,
    REPORTED,
    IncidentRecord,
    LinkSetRecord,
)

UNASSESSED = "unassessed"  # the severity label of an incident before its first assessment
RANKS = {"I": 1, "II": 2, "III": 3, "IV": 4}
UNASSESSED_RANK = 5  # sorts after severity IV
OPEN = frozenset(s.value for s in OPEN_STATES)
LINKS = frozenset({"OrdersLinked", "ComplaintsLinked"})
LinkSets = dict[str, dict[str, None]]  # "order"/"complaint" -> the distinct ids, in link order
STATUS_ONLY = {
    "IncidentDeclined": S.DECLINED.value,
    "IncidentMitigated": S.MITIGATED.value,
    "PostIncidentReviewStarted": S.IN_REVIEW.value,
    "IncidentClosed": S.CLOSED.value,
}


def at_of(event: Any) -> float:
    """The event's business time in epoch seconds."""
    return float(event.meta.occurred_at.timestamp())


def hour_at(seconds: float) -> int:
    return int(seconds) // HOUR * HOUR


@dataclass(slots=True)
class Card:
    incident_id: str
    type: str
    source: str
    title: str
    reported_at: float
    status: str = S.REPORTED.value
    severity: str | None = None
    warning_colour: str | None = None
    roles: dict[str, str] = field(default_factory=dict)
    acknowledged_at: float | None = None
    resolved_at: float | None = None
    last_update_at: float | None = None
    orders_linked: int = 0
    complaints_linked: int = 0
    merged_into: str | None = None

    @classmethod
    def of(cls, record: IncidentRecord) -> Card:
        return cls(
            incident_id=record.incident_id,
            type=record.type,
            source=record.source,
            title=record.title,
            reported_at=float(record.reported_at),
            status=record.status,
            severity=record.severity,
            warning_colour=record.warning_colour,
            roles=json.loads(record.roles),
            acknowledged_at=record.acknowledged_at,
            resolved_at=record.resolved_at,
            last_update_at=record.last_update_at,
            orders_linked=int(record.orders_linked),
            complaints_linked=int(record.complaints_linked),
            merged_into=record.merged_into,
        )

    def record(self) -> IncidentRecord:
        return IncidentRecord(
            incident_id=self.incident_id,
            type=self.type,
            source=self.source,
            title=self.title,
            severity=self.severity,
            severity_rank=RANKS.get(self.severity or "", UNASSESSED_RANK),
            warning_colour=self.warning_colour,
            status=self.status,
            roles=json.dumps(self.roles, sort_keys=True),
            reported_at=self.reported_at,
            acknowledged_at=self.acknowledged_at,
            resolved_at=self.resolved_at,
            last_update_at=self.last_update_at,
            orders_linked=self.orders_linked,
            complaints_linked=self.complaints_linked,
            is_open=int(self.is_open),
            merged_into=self.merged_into,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def open_key(self) -> tuple[str, str, str] | None:
        """Where the incident counts among the open ones now; None once it is no longer open."""
        return (self.status, self.type, self.severity or UNASSESSED) if self.is_open else None

    def reported_key(self) -> tuple[int, str, str]:
        """Where it counts among the incidents reported: its report hour, type, current severity."""
        return hour_at(self.reported_at), self.type, self.severity or UNASSESSED


class Changes:
    """One batch applied to the cards it touches, in event order."""

    def __init__(self, cards: dict[str, Card], links: dict[str, LinkSets]) -> None:
        self.cards = cards
        self.links = links  # the link sets of the incidents the batch links to more
        self.links_changed: set[str] = set()
        self.durations: Counter[tuple[int, str, str]] = Counter()  # (hour, metric, "us"|"n")
        self.touched: set[str] = set()
        self.handlers: dict[str, Callable[[Card, Any], None]] = {
            "WarningIssued": lambda c, e: setattr(c, "warning_colour", str(e.colour)),
            "IncidentConfirmed": self.confirmed,
            "SeverityAssessed": lambda c, e: setattr(c, "severity", str(e.level)),
            "CommandEstablished": self.command_established,
            "RoleAssigned": lambda c, e: c.roles.__setitem__(str(e.role), e.person),
            "StatusUpdatePublished": lambda c, e: setattr(c, "last_update_at", at_of(e)),
            "OrdersLinked": lambda c, e: self.link(c, e.order_ids, "order"),
            "ComplaintsLinked": lambda c, e: self.link(c, e.complaint_ids, "complaint"),
            "IncidentResolved": self.resolved,
            "IncidentMerged": self.merged,
        }

    def apply(self, incident_id: str, name: str, event: Any) -> None:
        if name == "IncidentReported":
            self.cards[incident_id] = Card(
                incident_id, str(event.type), str(event.source), event.title, at_of(event)
            )
        elif (card := self.cards.get(incident_id)) is None:
            return  # its report was parked as a dead letter: nothing to change
        elif name in STATUS_ONLY:
            card.status = STATUS_ONLY[name]
        else:
            self.handlers[name](card, event)
        self.touched.add(incident_id)

    def confirmed(self, card: Card, event: Any) -> None:
        at = at_of(event)
        card.status = S.CONFIRMED.value
        card.acknowledged_at = at
        self.add_duration(at, "mtta", at - card.reported_at)

    def command_established(self, card: Card, event: Any) -> None:
        card.roles["commander"] = event.commander
        card.status = S.RESPONDING.value

    def resolved(self, card: Card, event: Any) -> None:
        at = at_of(event)
        card.status = S.RESOLVED.value
        card.resolved_at = at
        self.add_duration(at, "mttr", at - card.reported_at)

    def merged(self, card: Card, event: Any) -> None:
        card.status = S.MERGED.value
        card.merged_into = str(event.into)

    def link(self, card: Card, targets: list[Any], kind: str) -> None:
        sets = self.links.setdefault(card.incident_id, {"order": {}, "complaint": {}})
        linked = sets[kind]
        linked.update(dict.fromkeys(map(str, targets)))
        if kind == "order":
            card.orders_linked = len(linked)
        else:
            card.complaints_linked = len(linked)
        self.links_changed.add(card.incident_id)

    def add_duration(self, at: float, metric: str, seconds: float) -> None:
        hour = hour_at(at)
        self.durations[hour, metric, "us"] += round(seconds * 1_000_000)
        self.durations[hour, metric, "n"] += 1


def apply_batch(tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
    """Loads the cards the batch touches, applies its events in order, writes the changes."""
    steps = steps_of(batch)
    new = {i for i, name, _ in steps if name == "IncidentReported"}
    known = {i for i, _, _ in steps} - new
    records = records_by_ids(tx, INCIDENTS, prefix, known)
    cards = {record.incident_id: Card.of(record) for record in records}
    before = {i: (c.open_key(), c.reported_key()) for i, c in cards.items()}
    linking = {i for i, name, _ in steps if name in LINKS} - new  # a new incident has no links
    changes = Changes(cards, load_links(tx, prefix, linking))
    for incident_id, name, event in steps:
        changes.apply(incident_id, name, event)
    write(tx, prefix, changes, before)


def steps_of(batch: Sequence[Envelope]) -> list[tuple[str, str, Any]]:
    """(incident id, event name, event) of each event, each id made text once."""
    texts: dict[Any, str] = {}
    steps = []
    for envelope in batch:
        event = envelope.event
        text = texts.get(event.originator_id)
        if text is None:
            text = texts[event.originator_id] = str(event.originator_id)
        steps.append((text, envelope.name, event))
    return steps


def load_links(tx: Tx, prefix: str, ids: set[str]) -> dict[str, LinkSets]:
    return {
        r.incident_id: {
            "order": dict.fromkeys(r.orders.split()),
            "complaint": dict.fromkeys(r.complaints.split()),
        }
        for r in records_by_ids(tx, LINK_SETS, prefix, ids)
    }


def write(tx: Tx, prefix: str, changes: Changes, before: dict[str, tuple[Any, Any]]) -> None:
    touched = [changes.cards[i] for i in sorted(changes.touched)]
    upsert_records(tx, INCIDENTS, prefix, [c.record() for c in touched])
    links = [
        LinkSetRecord(
            incident_id=i,
            orders=" ".join(changes.links[i]["order"]),
            complaints=" ".join(changes.links[i]["complaint"]),
        )
        for i in sorted(changes.links_changed)
    ]
    upsert_records(tx, LINK_SETS, prefix, links)
    opened, reported = moves(touched, before)
    adjust_counts(tx, prefix + OPEN_COUNTS.name, OPEN_COUNTS.primary_key, opened)
    adjust_counts(tx, prefix + REPORTED.name, REPORTED.primary_key, reported)
    add_durations(tx, prefix + DURATIONS.name, changes.durations)


def moves(
    touched: list[Card], before: dict[str, tuple[Any, Any]]
) -> tuple[Counter[tuple[str, str, str]], Counter[tuple[int, str, str]]]:
    """How the batch moved the open and reported counts: from each card's old key to its new."""
    opened: Counter[tuple[str, str, str]] = Counter()
    reported: Counter[tuple[int, str, str]] = Counter()
    for card in touched:
        old_open, old_reported = before.get(card.incident_id, (None, None))
        if old_open is not None:
            opened[old_open] -= 1
        if (new_open := card.open_key()) is not None:
            opened[new_open] += 1
        if old_reported is not None:
            reported[old_reported] -= 1
        reported[card.reported_key()] += 1
    return opened, reported


def add_durations(tx: Tx, table: str, sums: Counter[tuple[int, str, str]]) -> None:
    keys = sorted({(hour, metric) for hour, metric, _ in sums})
    tx.executemany(
        f"INSERT INTO {table} (hour, metric, total_us, n) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (hour, metric) DO UPDATE SET"
        f" total_us = {table}.total_us + excluded.total_us, n = {table}.n + excluded.n",
        [
            (hour, metric, sums[hour, metric, "us"], sums[hour, metric, "n"])
            for hour, metric in keys
        ],
    )
