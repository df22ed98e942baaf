"""A small projection (surveys counted by channel) and the surveys it counts."""

from __future__ import annotations

from collections.abc import Sequence

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.projection import Envelope, Projection
from projections.engine.reading import add_counts
from projections.engine.store import Tx, ViewStore
from tests.application.builders import customer, order
from tests.support import meta


class SurveysByChannel(Projection):
    """Counts surveys per channel; refuses the channel `email`, to exercise dead letters."""

    name = "surveys_by_channel"
    events = ("SurveySent",)

    def tables(self) -> tuple[str, ...]:
        return ("counts",)

    def create_tables(self, tx: Tx, prefix: str) -> None:
        tx.execute(f"CREATE TABLE {prefix}counts (via TEXT PRIMARY KEY, n BIGINT NOT NULL)")

    def process(self, tx: Tx, prefix: str, batch: Sequence[Envelope]) -> None:
        counts: dict[tuple[str], int] = {}
        for envelope in batch:
            if envelope.event.via == "email":
                raise ValueError("this view cannot take email surveys")
            key = (str(envelope.event.via),)
            counts[key] = counts.get(key, 0) + 1
        add_counts(tx, f"{prefix}counts", ("via",), counts)


def counts(views: ViewStore, projection: Projection) -> dict[str, int]:
    with views.transaction() as tx:
        prefix = tracking.prefix(
            projection.name, tracking.active_generation(tx, projection.name) or 1
        )
        return {row[0]: int(row[1]) for row in tx.all(f"SELECT via, n FROM {prefix}counts")}


def send_surveys(app: CareLedger, vias: Sequence[str]) -> None:
    customer_id = customer(app)
    # one order per survey, all placed first: the surveys are the last events of the log
    orders = [order(app, customer_id) for _ in vias]
    for about, via in zip(orders, vias, strict=True):
        app.send_survey(meta(), customer_id, "order", about, via)
