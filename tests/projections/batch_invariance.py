"""Builds a projection again from zero in a fresh generation, to compare with the live one."""

from __future__ import annotations

from application.app import CareLedger
from projections.engine import tracking
from projections.engine.projection import Projection
from projections.engine.rebuild import decoder_for
from projections.engine.runner import Runner
from projections.engine.store import Row, ViewStore

Dump = dict[str, list[Row]]


def dump(views: ViewStore, projection: Projection, generation: int) -> Dump:
    prefix = tracking.prefix(projection.name, generation)
    with views.transaction() as tx:
        return {
            table: sorted(tx.all(f"SELECT * FROM {prefix}{table}"), key=repr)
            for table in projection.tables()
        }


def live_and_rebuilt(
    app: CareLedger, views: ViewStore, projection: Projection, batch_size: int = 1000
) -> tuple[Dump, Dump]:
    """The tables of the active generation, and of a new one built in batches of `batch_size`
    from events decoded as a rebuild decodes them (only the fields the view names, if it
    names them: every event then read from those alone)."""
    with views.transaction() as tx:
        live = tracking.active_generation(tx, projection.name)
        assert live is not None
        tracking.start_generation(tx, projection, live + 1)
    decoder = decoder_for(app, projection)
    decode = None if decoder is None else decoder.decode
    runner = Runner(
        app, views, projection, batch_size=batch_size, generation=live + 1, decode=decode
    )
    runner.catch_up()
    assert decoder is None or decoder.wholes == 0, f"{projection.name} read fields it does not name"
    return dump(views, projection, live), dump(views, projection, live + 1)
