"""`careledger export KIND --from --to --out FILE.csv`: the rows `/export/<kind>.csv` serves,
written to a file page by page, with the same filters (`--department quality --channel phone`).
It runs with no caller, so the personal columns are left out
(fetch the export over HTTP with a token to have them opened for that token's role)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli.report import moment
from api.export.csv_stream import check_installed, csv_chunks
from api.export.kinds import KINDS
from api.graphql.dashboards import window
from application.settings import Settings
from domain.errors import InvalidInputError
from projections.engine.store import open_view_store

# every kind's filters; each kind refuses those it does not take (api/export/kinds.py)
FILTERS = sorted({name for kind in KINDS.values() for name in kind.filters})


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export", help="write a window of complaints, orders or surveys as CSV, a row each"
    )
    export.add_argument("kind", choices=sorted(KINDS))
    export.add_argument("--from", dest="start", type=moment, required=True, metavar="WHEN")
    export.add_argument(
        "--to", dest="end", type=moment, required=True, metavar="WHEN", help="excluded"
    )
    export.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    for name in FILTERS:
        export.add_argument(f"--{name}", metavar="VALUE", help="only the rows with this value")
    export.set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    kind = KINDS[args.kind]
    try:
        start, end = window(args.start, args.end)
        asked = {name: value for name in FILTERS if (value := getattr(args, name)) is not None}
        where = kind.where(asked)
    except InvalidInputError as error:
        print(f"careledger export: {error}", file=sys.stderr)
        return 2
    store = open_view_store(settings)
    try:
        check_installed(store, kind)
        rows = -1  # the header is not a row
        with args.out.open("w", encoding="utf-8", newline="") as out:
            for chunk in csv_chunks(store, kind, None, start, end, where=where):
                out.write(chunk)
                rows += chunk.count("\r\n")
    except LookupError as error:
        if type(error) is not LookupError:
            raise
        print(f"careledger export: {error} (run `careledger project run` first)", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"{rows} {kind.name} written to {args.out.resolve()}")
    return 0
