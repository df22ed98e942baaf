"""`careledger demo`: record a realistic operations day through the commands, then show what
every read model makes of it."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta

from application.app import CareLedger
from application.settings import Settings
from demo.day import DaySpec
from demo.execute import DemoStepError
from demo.notices import deliver_day, notice_lines
from demo.progress import ProgressBar
from demo.report import lines
from demo.run import DemoRun, record_day
from projections.engine.store import open_view_store

SIZES = {"small": 300, "medium": 3_000, "large": 30_000}
FEWEST_ORDERS = 40


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo", help="record a realistic operations day through the commands, then sum it up"
    )
    size = demo.add_mutually_exclusive_group()
    size.add_argument(
        "--size",
        choices=SIZES,
        default="small",
        help="small: 300 orders, medium: 3,000, large: 30,000 (default small)",
    )
    size.add_argument("--orders", type=orders_count, help=f"orders in the day (>= {FEWEST_ORDERS})")
    demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same day")
    demo.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day to record, 08:00 to 23:00 UTC (default: yesterday)",
    )
    demo.set_defaults(run=run)


def orders_count(text: str) -> int:
    value = int(text)
    if value < FEWEST_ORDERS:
        raise argparse.ArgumentTypeError(f"a day needs at least {FEWEST_ORDERS} orders")
    return value


def run(settings: Settings, args: argparse.Namespace) -> int:
    day = args.start or datetime.now(UTC).date() - timedelta(days=1)
    spec = DaySpec(args.orders or SIZES[args.size], args.seed, day)
    where = "PostgreSQL" if settings.postgres else str(settings.sqlite_path)
    print(f"Recording {day} ({spec.orders:,} orders, seed {spec.seed}) into {where}", flush=True)
    bar = ProgressBar(sys.stderr)
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        try:
            result = record_day(app, store, spec, bar)
            bar.finish()
            # notices are requested when the delivery process sees them: now, not on the day
            began = datetime.now(UTC)
            notices = deliver_day(app, store, settings, began, began + timedelta(hours=1))
        except DemoStepError as error:
            bar.finish()
            print(f"careledger demo: {error}", file=sys.stderr)
            return 1
        finally:
            store.close()
    print("\n".join([*report(result), "", *notice_lines(notices)]))
    return 0


def report(result: DemoRun) -> list[str]:
    t, p = result.timings_s, result.progress
    return [
        f"{p.done:,} commands planned and run, {p.by_policies:,} more by the SLA sweeper and the"
        f" delay watchdog, in {t['commands']:.1f} s ({p.rate:,.0f} commands/s); read models"
        f" caught up in {t['views']:.1f} s",
        "",
        *lines(result.summary),
        "",
        "Serve it: `careledger serve [--host H --port P]`; GraphiQL is at /graphql on the"
        " address it prints",
    ]
