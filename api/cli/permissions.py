"""`careledger permissions`: who may do what, as markdown (committed as docs/permissions.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.permissions import markdown
from application.settings import Settings

PERMISSIONS_FILE = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    permissions = commands.add_parser(
        "permissions", help="print the permission table (operations by roles) as markdown"
    )
    permissions.add_argument(
        "--output", type=Path, help="write it here instead (e.g. docs/permissions.md)"
    )
    permissions.set_defaults(run=export)


def export(settings: Settings, args: argparse.Namespace) -> int:
    text = markdown()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
    return 0
