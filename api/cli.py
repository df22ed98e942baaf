"""The `careledger` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

from api import audit_cli, demo_cli, policies_cli, project_cli, schema_export, serve_cli, token_cli
from api.scenario import describe, run_scenario
from application.app import CareLedger
from application.settings import Settings, SettingsError
from domain.meta import Actor, ActorKind, Meta
from projections.catalog import UnknownProjectionError


def print_states(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(state) for _, state, _ in rows)
    for kind, state, facts in rows:
        print(f"  {kind:<10} {state:<{width}}  {facts}")


def scenario(settings: Settings, erase: bool) -> int:
    with CareLedger(settings) as app:
        ids = run_scenario(app)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careledger", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("scenario", help="record a short scripted day and print the states")
    run.add_argument("--no-erase", action="store_true", help="keep the customer's personal data")
    project = commands.add_parser("project", help="run, inspect and rebuild read models")
    actions = project.add_subparsers(dest="action", required=True)
    follow = actions.add_parser("run", help="catch up, then follow the log live")
    follow.add_argument("names", nargs="*", help="projections to run (default: all)")
    follow.add_argument("--batch-size", type=int, default=1000)
    actions.add_parser("status", help="position, lag and dead letters of every view")
    again = actions.add_parser("rebuild", help="rebuild one view from the first event, then swap")
    again.add_argument("name")
    again.add_argument(
        "--batch-size", type=int, default=20_000, help="events per transaction (default 20000)"
    )
    audit = commands.add_parser("audit", help="tamper evidence")
    audit_actions = audit.add_subparsers(dest="action", required=True)
    check = audit_actions.add_parser("verify", help="recompute the hash chain beside the log")
    check.add_argument("--anchor", help="POSITION:LINK printed by an earlier verify, kept apart")
    check.add_argument("--catch-up", action="store_true", help="chain new events first")
    policy = commands.add_parser("policies", help="SLA sweeper and delay watchdog")
    policy_actions = policy.add_subparsers(dest="action", required=True)
    policy_actions.add_parser("run", help="run them until stopped")
    serve_cli.add_parser(commands)
    demo_cli.add_parser(commands)
    token_cli.add_parser(commands)
    schema_export.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"careledger: configuration: {error}", file=sys.stderr)
        return 2
    try:
        return dispatch(args, settings)
    except UnknownProjectionError as error:
        print(f"careledger: {error.args[0]}", file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "scenario":
        return scenario(settings, erase=not args.no_erase)
    if args.command == "audit":
        return audit_cli.verify_log(settings, args.anchor, args.catch_up)
    if args.command == "policies":
        return policies_cli.run(settings)
    if args.command == "demo":
        return demo_cli.run(settings, args)
    if args.command == "serve":
        return serve_cli.run(args)
    if args.command == "token":
        return token_cli.issue(settings, args)
    if args.command == "schema":
        return schema_export.export(args)
    if args.action == "run":
        return project_cli.run(settings, args.names, args.batch_size)
    if args.action == "status":
        return project_cli.status(settings)
    return project_cli.rebuild_view(settings, args.name, args.batch_size)


if __name__ == "__main__":
    sys.exit(main())
