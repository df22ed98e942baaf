"""Plans the day, records it through the application, catches every read model up, sums up."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from application.app import CareLedger
from demo.day import DayPlan, DaySpec, plan_day
from demo.desks import keep_office_hours
from demo.execute import DayRunner, Progress
from demo.summary import Summary, catch_up_all, summarise
from projections.engine.store import ViewStore


@dataclass
class DemoRun:
    spec: DaySpec
    day: DayPlan
    progress: Progress
    ids: dict[str, UUID]
    summary: Summary
    timings_s: dict[str, float] = field(default_factory=dict)  # plan, commands, views, summary


def record_day(
    app: CareLedger,
    store: ViewStore,
    spec: DaySpec,
    on_progress: Callable[[Progress], None] = lambda _: None,
) -> DemoRun:
    clock = Stopwatch()
    day = plan_day(spec)
    steps = day.plan.steps()
    clock.lap("plan")
    keep_office_hours(app, day.plan.namespace, day.plan.start)
    runner = DayRunner(app, store, on_progress)
    progress = runner.run(steps, day.plan.start, day.plan.end)
    clock.lap("commands")
    catch_up_all(app, store)
    clock.lap("views")
    ids = runner.context.ids
    summary = summarise(app, store, ids, day.plan.start, day.plan.end)
    clock.lap("summary")
    return DemoRun(spec, day, progress, ids, summary, clock.laps)


class Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
