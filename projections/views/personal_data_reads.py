"""Who opened whose personal data: one row per entity a `PersonalDataRead` record lists (its
reader, role, fields, basis, operation, correlation id, time), and the broken glass and
erasures beside them, for "who has seen my data" and the privacy audit report."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, NamedTuple

from projections.engine.projection import Envelope, Projection
from projections.engine.reading import active_prefix, from_epoch, page_size
from projections.engine.store import Tx, ViewStore
from projections.engine.tables import INTEGER, Index, Table


class ReadRecord(NamedTuple):
    position: int
    seq: Annotated[int, INTEGER]  # the entity's place in the record
    customer_id: str
    actor_id: str
    actor_role: str
    entity_type: str
    entity_id: str
    fields: str  # comma-separated
    basis: str
    operation: str
    correlation_id: str
    read_at: float


class GlassRecord(NamedTuple):
    position: int
    customer_id: str
    actor_id: str
    actor_role: str
    reason_code: str
    broken_at: float
    until: float


class ErasureRecord(NamedTuple):
    position: int
    customer_id: str
    actor_id: str
    erased_at: float


READS = Table(
    "reads",
    ReadRecord,
    primary_key=("position", "seq"),
    indexes=[
        Index("customer", ("customer_id", "position")),
        Index("time", ("read_at",)),
    ],
)
GLASS = Table(
    "glass", GlassRecord, primary_key=("position",), indexes=[Index("time", ("broken_at",))]
)
ERASURES = Table(
    "erasures", ErasureRecord, primary_key=("position",), indexes=[Index("time", ("erased_at",))]
)


class PersonalDataReadsProjection(Projection):
    name = "personal_data_reads"
    events = ("PersonalDataRead", "GlassBroken", "CustomerErased")
    declared = (READS, GLASS, ERASURES)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        reads: list[ReadRecord] = []
        glass: list[GlassRecord] = []
        erasures: list[ErasureRecord] = []
        for envelope in batch:
            event, meta = envelope.event, envelope.event.meta
            at = meta.occurred_at.timestamp()
            actor = meta.actor
            if envelope.name == "PersonalDataRead":
                reads += list(_reads(envelope))
            elif envelope.name == "GlassBroken":
                code = meta.reason.code if meta.reason else ""
                customer = str(event.originator_id)
                until = event.until.timestamp()
                glass.append(
                    GlassRecord(envelope.position, customer, actor.id, actor.role, code, at, until)
                )
            else:
                erasures.append(
                    ErasureRecord(envelope.position, str(event.originator_id), actor.id, at)
                )
        tx.insert_rows(f"{prefix}{READS.name}", READS.names, reads)
        tx.insert_rows(f"{prefix}{GLASS.name}", GLASS.names, glass)
        tx.insert_rows(f"{prefix}{ERASURES.name}", ERASURES.names, erasures)


def _reads(envelope: Envelope) -> Iterator[ReadRecord]:
    event, meta = envelope.event, envelope.event.meta
    for seq, opening in enumerate(event.openings):
        yield ReadRecord(
            envelope.position,
            seq,
            opening.customer_id,
            meta.actor.id,
            meta.actor.role,
            opening.entity,
            opening.entity_id,
            ",".join(opening.fields),
            opening.basis,
            event.operation,
            meta.correlation_id,
            meta.occurred_at.timestamp(),
        )


@dataclass(frozen=True)
class Read:
    """One entity's personal fields opened for one reader."""

    position: int
    seq: int
    customer_id: str
    actor_id: str
    actor_role: str
    entity_type: str
    entity_id: str
    fields: tuple[str, ...]
    basis: str
    operation: str
    correlation_id: str
    read_at: datetime

    @classmethod
    def of(cls, row: ReadRecord) -> Read:
        return cls(
            position=int(row.position),
            seq=int(row.seq),
            customer_id=row.customer_id,
            actor_id=row.actor_id,
            actor_role=row.actor_role,
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            fields=tuple(row.fields.split(",")) if row.fields else (),
            basis=row.basis,
            operation=row.operation,
            correlation_id=row.correlation_id,
            read_at=from_epoch(row.read_at),
        )


def reads_of_customer(
    store: ViewStore, customer_id: str, after: tuple[int, int] | None = None, limit: int = 100
) -> tuple[list[Read], bool]:
    """Who opened the customer's data, oldest first, after a (position, seq) key; and whether
    more follow."""
    page_size(limit)
    position, seq = after or (-1, -1)
    with store.transaction() as tx:
        prefix = active_prefix(tx, PersonalDataReadsProjection.name)
        rows = tx.all(
            f"SELECT {', '.join(READS.names)} FROM {prefix}reads WHERE customer_id = ?"
            " AND (position > ? OR (position = ? AND seq > ?)) ORDER BY position, seq LIMIT ?",
            (customer_id, position, position, seq, limit + 1),
        )
    records = READS.records(rows)
    return [Read.of(r) for r in records[:limit]], len(records) > limit


def every_read_of_customer(store: ViewStore, customer_id: str) -> list[Read]:
    """Every read of the customer's data, in pages (for their subject-access export)."""
    found: list[Read] = []
    more = True
    while more:
        after = (found[-1].position, found[-1].seq) if found else None
        page, more = reads_of_customer(store, customer_id, after, 100)
        found += page
    return found
