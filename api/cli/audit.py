"""`careledger audit verify`: recompute the hash chain beside the log."""

from __future__ import annotations

import argparse
import sys

from application.app import CareLedger
from application.settings import Settings
from projections.engine.runner import Runner
from projections.engine.store import open_view_store
from projections.views.audit_chain import AuditChainProjection
from projections.views.audit_verify import format_report, parse_anchor, verify


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="tamper evidence")
    actions = audit.add_subparsers(dest="action", required=True)
    check = actions.add_parser("verify", help="recompute the hash chain beside the log")
    check.add_argument("--anchor", help="POSITION:LINK printed by an earlier verify, kept apart")
    check.add_argument("--catch-up", action="store_true", help="chain new events first")
    check.set_defaults(run=lambda settings, args: verify_log(settings, args.anchor, args.catch_up))


def verify_log(settings: Settings, anchor: str | None, catch_up: bool) -> int:
    try:
        expected = parse_anchor(anchor) if anchor else None
    except ValueError as error:
        print(f"careledger: --anchor: {error}", file=sys.stderr)
        return 2
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        try:
            if catch_up:
                Runner(app, store, AuditChainProjection()).catch_up()
            report = verify(app, store, anchor=expected)
        except LookupError:
            print(
                "careledger: the audit chain has not been built yet: run"
                " `careledger project run audit_chain` (or verify with --catch-up)",
                file=sys.stderr,
            )
            return 2
        finally:
            store.close()
    print(format_report(report))
    return 0 if report.ok else 1
