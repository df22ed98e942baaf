"""Tamper evidence: a hash chain over the whole event log, one link per position.

link_n = sha256(link_{n-1} || record_n), link_0 = GENESIS (32 zero bytes), where record_n is
the stored record at position n encoded without ambiguity: the position and the version as
8-byte signed big-endian integers, then the originator id (as str(uuid)), the topic and the
state bytes, each preceded by its length as an 8-byte unsigned big-endian integer. The chain
reads stored records only (no decoding), so it binds the bytes as stored, encryption and all.
Each row also keeps the record's identity, topic and state digest, so that verification
(`projections.views.audit_verify`) can say what was at a position that no longer checks out.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import NamedTuple

from eventsourcing.persistence import Notification

from projections.engine.projection import Envelope, Projection
from projections.engine.store import Tx
from projections.engine.tables import Table

GENESIS = bytes(32)
_NUMBERS = struct.Struct(">qq")
_LENGTH = struct.Struct(">Q")


class ChainRow(NamedTuple):
    """One link, with the identity and fingerprint of the record it covers (for diagnosis)."""

    position: int
    originator_id: str
    originator_version: int
    topic: str
    state_sha: str
    link: str


def encode(record: Notification) -> bytes:
    """The record's canonical bytes: no two different records encode alike."""
    parts = [_NUMBERS.pack(record.id, record.originator_version)]
    for field in (str(record.originator_id).encode(), record.topic.encode(), record.state):
        parts += (_LENGTH.pack(len(field)), field)
    return b"".join(parts)


def next_link(previous: bytes, record: Notification) -> bytes:
    return hashlib.sha256(previous + encode(record)).digest()


def row_of(record: Notification, link: bytes) -> ChainRow:
    return ChainRow(
        position=record.id,
        originator_id=str(record.originator_id),
        originator_version=record.originator_version,
        topic=record.topic,
        state_sha=hashlib.sha256(record.state).hexdigest(),
        link=link.hex(),
    )


LINKS = Table("links", ChainRow, primary_key=("position",))


def last_row(tx: Tx, prefix: str) -> ChainRow | None:
    """The chain's head: its row of the highest position."""
    return tx.record(
        ChainRow,
        f"SELECT {LINKS.select_list} FROM {prefix}{LINKS.name} ORDER BY position DESC LIMIT 1",
    )


class AuditChainProjection(Projection):
    name = "audit_chain"
    events = ()  # every event
    decodes = False  # the stored record is all it needs

    declared = (LINKS,)

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        if not batch:
            return
        head = last_row(tx, prefix)
        link = GENESIS if head is None else bytes.fromhex(head.link)
        rows: list[ChainRow] = []
        for envelope in batch:
            link = next_link(link, envelope.record)
            rows.append(row_of(envelope.record, link))
        tx.insert_rows(prefix + LINKS.name, LINKS.names, rows)
