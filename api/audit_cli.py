"""`careledger audit verify`: recompute the hash chain beside the log."""

from __future__ import annotations

import sys

from application.app import CareLedger
from application.settings import Settings
from projections.audit_chain import AuditChainProjection
from projections.audit_verify import format_report, parse_anchor, verify
from projections.runner import Runner
from projections.store import open_view_store


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
