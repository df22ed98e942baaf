"""`careledger schema`: the GraphQL schema as SDL, as committed in schema.graphql."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.graphql.schema import build_schema
from application.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def sdl() -> str:
    return build_schema().as_str() + "\n"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schema = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.add_argument(
        "--output", type=Path, help=f"write it here instead (e.g. {SCHEMA_FILE.name})"
    )
    schema.set_defaults(run=export)


def export(settings: Settings, args: argparse.Namespace) -> int:
    text = sdl()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.stdout.write(sdl())
