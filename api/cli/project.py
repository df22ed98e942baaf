"""`careledger project …`: run, inspect and rebuild read models."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace

from api.cli.stopping import stop_on_signals
from application.app import CareLedger
from application.settings import Settings
from projections.catalog import projections
from projections.engine.follower import Followers
from projections.engine.rebuild import READER_PROCESS_FROM, Progress, rebuild
from projections.engine.status import view_status
from projections.engine.store import open_view_store

BAR = 30


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    project = commands.add_parser("project", help="run, inspect and rebuild read models")
    actions = project.add_subparsers(dest="action", required=True)
    follow = actions.add_parser("run", help="catch up, then follow the log live")
    follow.add_argument("names", nargs="*", help="projections to run (default: all)")
    follow.add_argument("--batch-size", type=int, default=1000)
    follow.set_defaults(run=lambda settings, args: run(settings, args.names, args.batch_size))
    actions.add_parser("status", help="position, lag and dead letters of every view").set_defaults(
        run=lambda settings, args: status(settings)
    )
    again = actions.add_parser("rebuild", help="rebuild one view from the first event, then swap")
    again.add_argument("name")
    again.add_argument(
        "--batch-size", type=int, default=20_000, help="events per transaction (default 20000)"
    )
    again.add_argument(
        "--reader-process",
        action="store_true",
        help="read and decode in a process of its own (worth it where cores are left over)",
    )
    again.set_defaults(
        run=lambda settings, args: rebuild_view(
            settings, args.name, args.batch_size, args.reader_process
        )
    )


def run(settings: Settings, names: Sequence[str], batch_size: int) -> int:
    chosen = projections(names)
    stop = stop_on_signals()
    # A connection per follower and two spare, so no follower waits for another's.
    settings = replace(settings, db_pool_size=max(settings.db_pool_size, len(chosen) + 2))
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        followers = Followers(app, store, chosen, batch_size=batch_size).start()
        print(f"following {', '.join(p.name for p in chosen)}; Ctrl-C stops", flush=True)
        stop.wait()
        followers.stop()
        store.close()
    return 0


def status(settings: Settings) -> int:
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        rows = [view_status(app, store, p) for p in projections()]
        store.close()
    print(f"{'view':<22} {'gen':>3} {'position':>10} {'lag':>8} {'lag s':>8} {'dead':>5}")
    for row in rows:
        print(
            f"{row.name:<22} {row.generation:>3} {row.position:>10} {row.lag_events:>8}"
            f" {row.lag_seconds:>8.1f} {row.dead_letters:>5}"
        )
    return 0


def show_progress(name: str, progress: Progress) -> None:
    filled = int(BAR * progress.fraction)
    eta = "-" if progress.eta_s is None else f"{progress.eta_s:.0f}s"
    sys.stderr.write(
        f"\rrebuilding {name} [{'#' * filled}{'.' * (BAR - filled)}] {progress.fraction:4.0%}"
        f" {progress.position:,}/{progress.head:,}  {progress.rate:,.0f} events/s  ETA {eta}  "
    )
    sys.stderr.flush()


def rebuild_view(
    settings: Settings, name: str, batch_size: int, reader_process: bool = False
) -> int:
    (projection,) = projections([name])
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        report = rebuild(
            app,
            store,
            projection,
            batch_size=batch_size,
            on_progress=lambda p: show_progress(name, p),
            reader_process_from=READER_PROCESS_FROM if reader_process else None,
        )
        store.close()
    sys.stderr.write("\n")
    print(
        f"{name}: generation {report.new_generation} now serves (was {report.old_generation});"
        f" {report.events:,} events in {report.elapsed_s:.1f}s, {report.rate:,.0f} events/s"
    )
    return 0
