"""What every read model is: tables under a generation prefix, fed batches of events."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import Notification

from domain.base import TOPIC_PREFIX
from projections.engine.store import Tx
from projections.engine.tables import Table


class Envelope:
    """One event as a projection sees it: its place in the log, its topic and name, the event.

    A plain class with slots: a rebuild makes one per event, and a frozen dataclass's
    constructor cost a third of what decoding the event does.
    """

    __slots__ = ("event", "name", "position", "record", "topic")

    def __init__(self, position: int, topic: str, event: Any, record: Notification) -> None:
        self.position = position
        self.topic = topic
        self.event = event  # the decoded domain event; None for views that read records only
        self.record = record  # the stored record: originator, version, topic, state bytes
        self.name = topic.removeprefix(TOPIC_PREFIX)  # e.g. "ComplaintClassified"

    def __repr__(self) -> str:
        return f"Envelope({self.position}, {self.name})"


class Projection(ABC):
    """A read model. Its tables are named `<prefix><table>`, the prefix naming the projection
    and its generation, so a rebuild fills fresh tables while the old ones keep serving.

    `process` gets a batch of events and writes through the given transaction, which also
    advances the projection's position: a batch counts once or not at all.
    """

    name: ClassVar[str]
    events: ClassVar[tuple[str, ...]] = ()  # names of the events it reads; empty means all
    decodes: ClassVar[bool] = True  # False: gets stored records only, skipping the decoding
    # The attributes of its events it reads, dotted through values ("meta.occurred_at"): a
    # rebuild decodes only those (projections/engine/partial.py). Empty: whole events.
    reads: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def topics(cls) -> tuple[str, ...]:
        return tuple(TOPIC_PREFIX + event for event in cls.events)

    declared: ClassVar[tuple[Table[Any], ...]] = ()  # the tables, unless the methods below say

    def create_tables(self, tx: Tx, prefix: str) -> None:
        for table in self.declared:
            for statement in table.ddl(tx.dialect, prefix):
                tx.execute(statement)

    def tables(self) -> tuple[str, ...]:
        """The table names (without prefix), to drop a retired generation."""
        return tuple(table.name for table in self.declared)

    @abstractmethod
    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None: ...
