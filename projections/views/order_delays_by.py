"""Late orders over a window by the channel they came in through, their restaurant and the
courier company that carried them last (projections/views/order_delays_late.py says how each
is counted): from the hours and days of `late_by` (projections/rollup), so a window costs its
populated days and edge hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from projections.engine.rollup import Spans, spanned
from projections.engine.store import Tx
from projections.views.order_delays_late import LATE_BY, LATE_BY_DAILY, LATE_SLICES


@dataclass(frozen=True)
class LateFigures:
    orders: int  # recorded late in the window
    late_min: int  # their minutes past the promise: at delivery for those delivered

    @property
    def mean_late_min(self) -> float:
        return self.late_min / self.orders


class LateBySum(NamedTuple):
    slice_by: str
    slice_value: str
    n: int
    late_min: int


def late_by(
    tx: Tx, prefix: str, window: Spans, where: str = "", args: Sequence[Any] = ()
) -> dict[str, dict[str, LateFigures]]:
    """channel | restaurant | courier_company -> value -> its late orders in the window's
    hours and days (those matching `where`, e.g. of one region); every slice present, empty
    when none was late."""
    columns = "slice_by, slice_value, n, late_min"
    source, params = spanned(
        prefix + LATE_BY.name, prefix + LATE_BY_DAILY.name, columns, window, where, list(args)
    )
    rows = tx.records(
        LateBySum,
        "SELECT slice_by, slice_value, SUM(n) AS n, SUM(late_min) AS late_min"
        f" FROM {source} GROUP BY slice_by, slice_value",
        params,
    )
    found: dict[str, dict[str, LateFigures]] = {by: {} for by in LATE_SLICES}
    for row in rows:
        if int(row.n):
            found[row.slice_by][row.slice_value] = LateFigures(int(row.n), int(row.late_min))
    return found
