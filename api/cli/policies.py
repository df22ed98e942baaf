"""`careledger policies run`: the SLA sweeper, the delay watchdog and the cluster detector,
and beside them the webhook dispatcher, until stopped."""

from __future__ import annotations

import argparse
import threading

from api.cli.stopping import stop_on_signals
from application.app import CareLedger
from application.settings import Settings
from delivery.webhooks import WebhookDispatcher
from policies.loop import PolicyLoop
from projections.engine.store import open_view_store


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = commands.add_parser("policies", help="SLA sweeper, delay watchdog, cluster detector")
    actions = policy.add_subparsers(dest="action", required=True)
    actions.add_parser("run", help="run them until stopped").set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    stop = stop_on_signals()
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        print(
            "sweeping SLA clocks, watching promises, delivering webhooks; Ctrl-C stops", flush=True
        )
        dispatcher = WebhookDispatcher(app, store)
        webhooks = threading.Thread(target=dispatcher.run, args=(stop,), name="webhooks")
        webhooks.start()
        try:
            PolicyLoop(app, store).run(stop)
        finally:
            stop.set()
            webhooks.join()
            store.close()
    return 0
