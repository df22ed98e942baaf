"""`careledger report`: the analysts' report for a window, as one self-contained HTML file."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from api.graphql.dashboards import window
from api.report.figures import report_figures
from api.report.page import render
from api.report.words import LANGUAGES
from application.settings import Settings
from domain.errors import InvalidInputError
from projections.engine.store import open_view_store


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report", help="write the analysts' report (charts and findings) as one HTML file"
    )
    report.add_argument("--from", dest="start", type=moment, required=True, metavar="WHEN")
    report.add_argument(
        "--to", dest="end", type=moment, required=True, metavar="WHEN", help="excluded"
    )
    report.add_argument("--out", type=Path, required=True, metavar="FILE.html")
    report.add_argument("--lang", choices=LANGUAGES, default="en")
    report.set_defaults(run=run)


def moment(text: str) -> datetime:
    """YYYY-MM-DD (midnight UTC) or an ISO date-time; one without a zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or date-time") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        start, end = window(args.start, args.end)
    except InvalidInputError as error:
        print(f"careledger report: {error}", file=sys.stderr)
        return 2
    store = open_view_store(settings)
    try:
        figures = report_figures(store, start, end)
    finally:
        store.close()
    args.out.write_text(render(figures, args.lang), encoding="utf-8")
    print(f"report written to {args.out.resolve()}")
    return 0
