"""Where each entity's last event of interest to a projection sits in the log, read from the log
itself: what a read model's `position` column must hold."""

from __future__ import annotations

from application.app import CareLedger
from projections.engine.projection import Projection

PAGE = 500


def last_positions(app: CareLedger, projection: Projection) -> dict[str, int]:
    """Entity id -> the log position of its last event among those the projection reads."""
    last: dict[str, int] = {}
    start = 0
    while notes := app.recorder.select_notifications(
        start, PAGE, topics=projection.topics(), inclusive_of_start=False
    ):
        for note in notes:
            last[str(note.originator_id)] = note.id
        start = notes[-1].id
    return last
