"""`careledger notices run`: the delivery process, until stopped (docs/architecture.md#notices)."""

from __future__ import annotations

import argparse
import sys

from api.cli.stopping import stop_on_signals
from application.app import CareLedger
from application.settings import Settings
from delivery.channels.registry import channels_from_settings
from delivery.service import build_notifier
from delivery.staff import StaffConfigError
from delivery.templates import TemplatesError
from projections.engine.store import open_view_store


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notices = commands.add_parser("notices", help="deliver notices and staff alerts")
    actions = notices.add_subparsers(dest="action", required=True)
    actions.add_parser("run", help="run the delivery process until stopped").set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    stop = stop_on_signals()
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        try:
            try:
                notifier = build_notifier(app, store, settings, channels_from_settings(settings))
            except (TemplatesError, StaffConfigError) as error:
                print(f"careledger: notices: {error}", file=sys.stderr)
                return 2
            print("delivering notices; Ctrl-C stops", flush=True)
            try:
                notifier.run(stop)
            finally:
                notifier.close()
        finally:
            store.close()
    return 0
