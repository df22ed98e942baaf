"""Runs the plan in business-time order, one command at a time, with the process policies.

Every business minute the SLA sweeper, the delay watchdog and the cluster detector run as they
would in production (`careledger policies run`), on the same clock: so warnings, breaches and
escalations, late records, detected delays and delay notices, and the complaint clusters are
theirs. A step due at the very minute of a tick
runs before the tick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.app import CareLedger
from demo.plan import Context, Step
from domain.errors import DomainError
from policies.cluster_detector import ClusterDetector
from policies.delay_watchdog import DelayWatchdog
from policies.sla_sweeper import SlaSweeper
from projections.engine.store import ViewStore
from projections.views.sla_schedule import due_checks

TICK = timedelta(minutes=1)
REPORT_EVERY_S = 0.1


@dataclass
class Progress:
    done: int  # planned commands run
    total: int  # planned commands
    by_policies: int  # commands the sweeper, the watchdog and the detector issued
    elapsed_s: float
    now: datetime  # business time

    @property
    def rate(self) -> float:
        return (self.done + self.by_policies) / self.elapsed_s if self.elapsed_s else 0.0


class DemoStepError(RuntimeError):
    """A planned command was refused: the plan and the rules disagree (a bug in the demo)."""

    def __init__(self, step: Step, error: DomainError) -> None:
        super().__init__(f"{step.label} at {step.at.isoformat()} was refused: {error}")
        self.step = step


class DayRunner:
    def __init__(
        self,
        app: CareLedger,
        store: ViewStore,
        on_progress: Callable[[Progress], None] = lambda _: None,
    ) -> None:
        self.context = Context(app)
        self.store = store
        self.sweeper = SlaSweeper(app, store)
        self.watchdog = DelayWatchdog(app, store)
        self.detector = ClusterDetector(app, store)
        self.on_progress = on_progress

    def run(self, steps: list[Step], start: datetime, end: datetime) -> Progress:
        progress = Progress(0, len(steps), 0, 0.0, start)
        began = last_report = time.perf_counter()
        tick = start + TICK
        for step in steps:
            while tick < step.at:
                progress.by_policies += self.tick(tick)
                tick += TICK
            self.execute(step)
            progress.done += 1
            progress.now = step.at
            if time.perf_counter() - last_report >= REPORT_EVERY_S:
                progress.elapsed_s = time.perf_counter() - began
                self.on_progress(progress)
                last_report = time.perf_counter()
        while tick <= end:
            progress.by_policies += self.tick(tick)
            tick += TICK
        progress.elapsed_s = time.perf_counter() - began
        progress.now = end
        self.on_progress(progress)
        return progress

    def tick(self, now: datetime) -> int:
        return self.sweep(now) + self.watchdog.watch(now) + self.detector.detect(now)

    def sweep(self, now: datetime) -> int:
        """The sweeper's sweep, with checks due at the same second taken in the order of their
        plan keys instead of their aggregate ids (random): the log's order is the seed's alone.
        (The watchdog needs no such care: no two orders share a promised second.)"""
        self.sweeper.runner.catch_up()
        due = due_checks(self.store, now, self.sweeper.page)
        due.sort(key=lambda check: (check.check_at, self.context.keys[check.complaint_id]))
        return sum(self.sweeper.check(check, now) for check in due)

    def execute(self, step: Step) -> None:
        try:
            outcome = step.action(self.context, step.meta())
        except DomainError as error:
            raise DemoStepError(step, error) from error
        if step.creates is not None:
            self.context.remember(step.creates, outcome.aggregate_id)
