"""Generations, positions and dead letters of every projection, in the view store.

A projection's position moves by compare-and-set inside the transaction that writes its rows:
if another runner got there first the transaction fails and nothing is counted twice.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from projections.engine.progress import Moved
from projections.engine.projection import Projection
from projections.engine.store import BOOKKEEPING, Tx


class PositionMovedError(Exception):
    """Another runner advanced this projection first; this batch was not applied."""


class DeadLetter(NamedTuple):
    position: int
    topic: str
    originator_id: str
    originator_version: int
    error: str
    attempts: int


def prefix(name: str, generation: int) -> str:
    return f"{name}_g{generation}_"


def install(tx: Tx, projection: Projection) -> int:
    """Creates the bookkeeping and generation 1 of the projection if missing; the active one."""
    tx.lock_schema()  # another process may be installing the same view right now
    for statement in BOOKKEEPING:
        tx.execute(statement)
    active = active_generation(tx, projection.name)
    if active is not None:
        return active
    start_generation(tx, projection, 1)
    tx.execute(
        "INSERT INTO projection_generations (projection, active) VALUES (?, 1)", (projection.name,)
    )
    return 1


def start_generation(tx: Tx, projection: Projection, generation: int) -> None:
    projection.create_tables(tx, prefix(projection.name, generation))
    tx.execute(
        "INSERT INTO projection_tracking (projection, generation, position, updated_at)"
        " VALUES (?, ?, 0, ?)",
        (projection.name, generation, time.time()),
    )


def outdated(tx: Tx, projection: Projection) -> bool:
    """Whether the active generation lacks a table the projection's code now has: it was built
    by an older version of the view, which the code can no longer read or feed."""
    generation = active_generation(tx, projection.name)
    if generation is None:
        return False
    table_prefix = prefix(projection.name, generation)
    return not all(tx.has_table(table_prefix + table) for table in projection.tables())


def active_generation(tx: Tx, name: str) -> int | None:
    active = tx.scalar("SELECT active FROM projection_generations WHERE projection = ?", (name,))
    return None if active is None else int(active)


def position(tx: Tx, name: str, generation: int) -> int:
    at = tx.scalar(
        "SELECT position FROM projection_tracking WHERE projection = ? AND generation = ?",
        (name, generation),
    )
    if at is None:  # the column is NOT NULL: no row
        raise LookupError(f"projection {name} has no generation {generation}")
    return int(at)


ADVANCE = (
    "UPDATE projection_tracking SET position = ?, updated_at = ?"
    " WHERE projection = ? AND generation = ? AND position = ?"
)
# The same, announcing the move to other processes in the same round trip: a NOTIFY is sent
# when its transaction commits, so a listener never hears of a move that was rolled back.
ADVANCE_NOTIFYING = f"WITH moved AS ({ADVANCE} RETURNING 1) SELECT pg_notify(?, ?) FROM moved"


def advance(tx: Tx, name: str, generation: int, old: int, new: int, *, held: bool = True) -> None:
    """Moves the position from `old` to `new` (`held`: over events the view read), and
    announces it once committed."""
    move = Moved(name, generation, new, held)
    params: tuple[object, ...] = (new, time.time(), name, generation, old)
    if tx.channel is None:
        moved = tx.execute(ADVANCE, params)
    else:
        moved = len(tx.all(ADVANCE_NOTIFYING, (*params, tx.channel, move.payload())))
    if moved != 1:
        raise PositionMovedError(f"{name} g{generation} is no longer at {old}")
    tx.moves.append(move)


def park(tx: Tx, name: str, generation: int, letter: DeadLetter) -> None:
    tx.execute(
        "INSERT INTO projection_dead_letters (projection, generation, position, topic,"
        " originator_id, originator_version, error, attempts, failed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            name,
            generation,
            letter.position,
            letter.topic,
            letter.originator_id,
            letter.originator_version,
            letter.error[:4000],
            letter.attempts,
            time.time(),
        ),
    )


def dead_letters(tx: Tx, name: str, generation: int) -> list[DeadLetter]:
    return tx.records(
        DeadLetter,
        "SELECT position, topic, originator_id, originator_version, error, attempts"
        " FROM projection_dead_letters WHERE projection = ? AND generation = ? ORDER BY position",
        (name, generation),
    )


def retire(tx: Tx, projection: Projection, generation: int) -> None:
    for table in projection.tables():
        tx.execute(f"DROP TABLE IF EXISTS {prefix(projection.name, generation)}{table}")
    tx.execute(
        "DELETE FROM projection_tracking WHERE projection = ? AND generation = ?",
        (projection.name, generation),
    )
