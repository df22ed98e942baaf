"""CPU seconds used so far by process trees (a process and all its descendants, and the children
they have reaped: PostgreSQL's ended backends), from /proc: what a benchmark's service,
workers and database servers cost, beside what they did."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, float]]:
    """pid: (parent pid, user + system CPU seconds, its own and its reaped children's) of every
    live process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
        ticks = sum(int(fields[n]) for n in (11, 12, 13, 14))  # utime stime cutime cstime
        found[int(entry.name)] = (int(fields[1]), ticks / TICKS)
    return found


def tree_cpu(roots: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds of each named tree (0 for a root that is None or gone)."""
    stats = _stats()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _) in stats.items():
        children[parent].append(pid)
    totals = {}
    for name, root in roots.items():
        total, todo = 0.0, [root] if root in stats else []
        while todo:
            pid = todo.pop()
            total += stats[pid][1]
            todo.extend(children.get(pid, []))
        totals[name] = total
    return totals
