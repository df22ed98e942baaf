"""`careledger keys status` / `rotate`: which master key wraps how many data keys, and the
re-wrapping of all of them under the current one (docs/privacy.md#rotating-the-master-key)."""

from __future__ import annotations

import argparse

from application.app import CareLedger
from application.keystore import KeyStore
from application.settings import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="the data keys and the master keys that wrap them")
    actions = keys.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="how many data keys each master key wraps").set_defaults(
        run=lambda settings, args: status(settings)
    )
    actions.add_parser(
        "rotate",
        help="re-wrap every data key under CARELEDGER_MASTER_KEY (the keys it replaces given"
        " in CARELEDGER_PREVIOUS_MASTER_KEYS)",
    ).set_defaults(run=lambda settings, args: rotate(settings))


def status(settings: Settings) -> int:
    with CareLedger(settings) as app:
        print(describe(app.keys))
    return 0


def rotate(settings: Settings) -> int:
    with CareLedger(settings) as app:
        rewrapped = app.keys.rotate()
        plural = "" if rewrapped == 1 else "s"
        current = app.keys.masters.current_id
        print(f"re-wrapped {rewrapped} data key{plural} under master key {current}")
        print(describe(app.keys))
    return 0


def describe(keys: KeyStore) -> str:
    census = keys.census()
    current = keys.masters.current_id
    lines = ["master key        data keys"]
    for key_id in sorted(census.wrapped_by.keys() | {current}):
        mark = "  (current)" if key_id == current else ""
        lines.append(f"{key_id}  {census.wrapped_by.get(key_id, 0):>9}{mark}")
    lines.append(f"destroyed (erased) keys: {census.destroyed}")
    idle = sorted(keys.masters.known_ids - census.wrapped_by.keys() - {current})
    if idle:
        lines.append(
            f"previous master keys wrapping nothing: {', '.join(idle)}; remove them from"
            " CARELEDGER_PREVIOUS_MASTER_KEYS, and destroy them once every backup of the key"
            " store made before the rotation has expired"
        )
    return "\n".join(lines)
