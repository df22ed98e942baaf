"""`careledger scenario`: a short scripted day, printed as the states it leaves."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from uuid import uuid4

from application.app import CareLedger
from application.settings import Settings
from demo.scenario import describe, run_scenario
from domain.meta import Actor, ActorKind, Meta
from projections.engine.store import open_view_store


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("scenario", help="record a short scripted day and print the states")
    run.add_argument("--no-erase", action="store_true", help="keep the customer's personal data")
    run.set_defaults(run=lambda settings, args: scenario(settings, erase=not args.no_erase))


def print_states(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(state) for _, state, _ in rows)
    for kind, state, facts in rows:
        print(f"  {kind:<10} {state:<{width}}  {facts}")


def scenario(settings: Settings, erase: bool) -> int:
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        try:
            ids = run_scenario(app, store)
        finally:
            store.close()
        print(f"Scenario recorded on {'PostgreSQL' if settings.postgres else settings.sqlite_path}")
        print_states(describe(app, ids))
        if erase:
            meta = Meta(
                actor=Actor(ActorKind.AGENT, "dpo-1", "compliance_officer"),
                occurred_at=datetime.now(UTC),
                command_id=str(uuid4()),
                correlation_id="erasure-request",
            )
            app.erase_customer(meta, ids["customer"])
            print("After erasing the customer:")
            print_states(describe(app, ids))
        print(f"Events in the log: {app.recorder.max_notification_id()}")
    return 0
