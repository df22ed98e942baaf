"""How long each stage of an order takes, and how a late order's time is lost.

Stages after the order is received: the merchant confirms, starts cooking, cooks; dispatch finds
a courier; the courier reaches the restaurant; the courier rides to the customer. Each gap is
log-normal around a median (cooking around the brand's own). An on-time order is squeezed to
arrive at least a minute before its promise; a late one loses its minutes in the stage its cause
names: the kitchen (merchant: the food leaves after the promise), the ride (courier: picked up in
time, delivered late), dispatch (platform), or the ride in a storm (force majeure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from demo.draw import Draw
from demo.world import Brand

CONFIRM, START, PREP, COURIER, PICKUP, RIDE = range(6)
BUFFER_MIN = 6
MINUTE = timedelta(minutes=1)
CAUSE_STAGE = {"merchant": PREP, "courier": RIDE, "platform": COURIER, "force_majeure": RIDE}


@dataclass
class Timeline:
    received: datetime
    gaps: list[timedelta]

    def at(self, stage: int) -> datetime:
        return self.received + sum(self.gaps[: stage + 1], timedelta(0))

    @property
    def delivered(self) -> datetime:
        return self.at(RIDE)


def natural(draw: Draw, brand: Brand, received: datetime) -> Timeline:
    return Timeline(
        received,
        [
            draw.minutes(1.2, 0.6, 0.2, 6),
            draw.minutes(1.5, 0.5, 0.3, 8),
            draw.minutes(brand.prep_min, 0.35, 3, 60),
            draw.minutes(1.5, 0.7, 0.2, 12),
            draw.minutes(5.5, 0.45, 1, 25),
            draw.minutes(13, 0.4, 4, 50),
        ],
    )


def quote(brand: Brand) -> timedelta:
    """The promise shown at checkout: the usual total plus a buffer, in steps of 5 minutes."""
    usual = 1.5 + 2 + brand.prep_min + 2 + 6 + 13 + BUFFER_MIN
    return timedelta(minutes=5 * math.ceil(usual / 5))


def on_time(timeline: Timeline, promise: datetime) -> Timeline:
    """Arrives at least a minute before the promise."""
    return _squeeze(timeline, range(RIDE + 1), promise - MINUTE)


def late(timeline: Timeline, promise: datetime, cause: str, late_by: timedelta) -> Timeline:
    """Arrives `late_by` after the promise, the time lost where `cause` says."""
    if cause == "merchant":
        # the food leaves the kitchen after the promise: the watchdog sees it not picked up
        ride = timeline.gaps[RIDE]
        pickup = promise + max(late_by - ride, timedelta(seconds=90))
        timeline = _stretch(timeline, PREP, PICKUP, pickup)
        return timeline
    if cause == "courier":
        timeline = _squeeze(timeline, range(PICKUP + 1), promise - MINUTE)
        return _stretch(timeline, RIDE, RIDE, promise + late_by)
    return _stretch(timeline, CAUSE_STAGE[cause], RIDE, promise + late_by)


def _squeeze(timeline: Timeline, stages: range, deadline: datetime) -> Timeline:
    """Shrinks the gaps up to the last of `stages` evenly so that stage ends by `deadline`."""
    end = timeline.at(stages[-1])
    if end <= deadline:
        return timeline
    used = (end - timeline.received).total_seconds()
    factor = max(0.05, (deadline - timeline.received).total_seconds() / used)
    gaps = [_scaled(g, factor) if i in stages else g for i, g in enumerate(timeline.gaps)]
    return Timeline(timeline.received, gaps)


def _stretch(timeline: Timeline, stage: int, last: int, target: datetime) -> Timeline:
    """Moves the end of stage `last` to `target` by lengthening `stage` (or shrinking every
    stage up to `last` evenly when the order is already past the target)."""
    missing = target - timeline.at(last)
    if missing < timedelta(0):
        return _squeeze(timeline, range(last + 1), target)
    gaps = list(timeline.gaps)
    gaps[stage] += missing
    return Timeline(timeline.received, gaps)


def _scaled(gap: timedelta, factor: float) -> timedelta:
    return timedelta(seconds=max(20, round(gap.total_seconds() * factor)))
