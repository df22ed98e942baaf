"""The `careledger` command line: each subcommand's module registers its parser and the
function that runs it (`set_defaults(run=...)`), so dispatch is one call."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from api.cli import (
    audit,
    demo,
    export,
    keys,
    notices,
    permissions,
    policies,
    project,
    report,
    scenario,
    schema,
    serve,
    token,
)
from application.master_keys import MasterKeyError
from application.settings import Settings, SettingsError
from projections.catalog import UnknownProjectionError

SUBCOMMANDS = (
    scenario,
    project,
    audit,
    policies,
    notices,
    serve,
    demo,
    report,
    export,
    token,
    schema,
    permissions,
    keys,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careledger", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"careledger: configuration: {error}", file=sys.stderr)
        return 2
    try:
        code: int = args.run(settings, args)
    except UnknownProjectionError as error:
        print(f"careledger: {error.args[0]}", file=sys.stderr)
        return 2
    except (SettingsError, MasterKeyError) as error:
        # A refusal to start (a master key in the data dir, keys under a master key not
        # given) reads as one line.
        print(f"careledger: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
