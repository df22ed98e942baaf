"""`bench.live --wake compare`: the figures of rounds woken by notify beside rounds that poll,
from the same run on the same server, as ratios (notify / poll: below 1 is faster), and the
CPU the service and the projections process spent a command in each."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.serving import percentile

BASE, TRIED = "poll", "notify"


@dataclass(frozen=True)
class Figures:
    """One round: each row's delays (ms, sorted, inf for a missed probe), the load's rate, the
    seconds probed, the probes sent and the CPU seconds each process tree used meanwhile."""

    delays: dict[str, list[float]]
    commands_per_s: float | None
    seconds: float
    probes: int
    cpu_s: dict[str, float]

    def commands(self) -> float:
        """Commands answered while probed: the load's (at its mean rate) and the probes'."""
        return (self.commands_per_s or 0.0) * self.seconds + self.probes


def pooled(rounds: list[Figures], label: str) -> list[float]:
    return sorted(d for figures in rounds for d in figures.delays[label])


def ratio(tried: float, base: float) -> str:
    if math.isinf(tried) or math.isinf(base) or base <= 0:
        return "n/a"
    return f"{tried / base:.2f}"


def print_ratios(runs: dict[str, list[Figures]], labels: list[str]) -> None:
    base, tried = runs[BASE], runs[TRIED]
    print(f"\n## {TRIED} beside {BASE}: {len(tried)} round(s) each, pooled probes")
    print(f"\n| figure | {BASE} p50 | {TRIED} p50 | ratio | {BASE} p99 | {TRIED} p99 | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label in labels:
        before, after = pooled(base, label), pooled(tried, label)
        cells = []
        for p in (50, 99):
            b, a = percentile(before, p), percentile(after, p)
            cells += [f"{b:.1f}", f"{a:.1f}", ratio(a, b)]
        print(f"| {label} | {' | '.join(cells)} |")
    print(f"\n| per command | {BASE} | {TRIED} | ratio |")
    print("|---|---:|---:|---:|")
    rates = {wake: [f.commands_per_s or 0.0 for f in found] for wake, found in runs.items()}
    mean = {wake: sum(r) / len(r) for wake, r in rates.items()}
    row("load commands/s", mean[BASE], mean[TRIED], "{:.0f}")
    for tree in ("service", "projections"):
        ms = {wake: cpu_ms_a_command(found, tree) for wake, found in runs.items()}
        row(f"{tree} CPU ms a command (process tree, while probed)", ms[BASE], ms[TRIED], "{:.2f}")


def cpu_ms_a_command(rounds: list[Figures], tree: str) -> float:
    commands = sum(f.commands() for f in rounds)
    return 1e3 * sum(f.cpu_s[tree] for f in rounds) / max(1.0, commands)


def row(label: str, base: float, tried: float, shape: str) -> None:
    print(f"| {label} | {shape.format(base)} | {shape.format(tried)} | {ratio(tried, base)} |")
