"""`careledger token issue`: a signed bearer token for one role and subject."""

from __future__ import annotations

import argparse
import sys

from api.auth import Role, issue_token
from application.settings import Settings, SettingsError
from domain.complaint_types import Department

MAX_TTL_HOURS = 24 * 366


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="bearer tokens")
    actions = token.add_subparsers(dest="action", required=True)
    issue = actions.add_parser("issue", help="print a signed token for a role and a subject")
    issue.add_argument("--role", required=True, choices=[role.value for role in Role])
    issue.add_argument(
        "--subject", required=True, help="who the token speaks for (a customer's id for customers)"
    )
    issue.add_argument("--ttl-hours", type=float, default=8.0, help="lifetime (default 8 hours)")
    issue.add_argument(
        "--department",
        choices=[department.value for department in Department],
        help="the department whose queue an agent or supervisor works (need-to-know access)",
    )
    issue.set_defaults(run=issue_token_for)


def issue_token_for(settings: Settings, args: argparse.Namespace) -> int:
    if not args.subject.strip():
        return _fail("--subject must not be blank")
    if not 0 < args.ttl_hours <= MAX_TTL_HOURS:
        return _fail(f"--ttl-hours must be more than 0 and at most {MAX_TTL_HOURS}")
    unknown = _not_a_data_directory(settings)
    if unknown is not None:
        return _fail(unknown)
    try:
        token = issue_token(
            settings,
            Role(args.role),
            args.subject,
            int(args.ttl_hours * 3600),
            department=args.department,
        )
    except SettingsError as error:
        return _fail(f"configuration: {error}")
    print(token)
    return 0


def _fail(message: str) -> int:
    print(f"careledger token: {message}", file=sys.stderr)
    return 2


def _not_a_data_directory(settings: Settings) -> str | None:
    """In development the token secret lives in the data directory: a fresh one made anywhere
    else would sign tokens the server rejects, so refuse where no server keeps its data."""
    if settings.token_secret is not None or settings.postgres or settings.is_production:
        return None
    where = settings.data_dir.resolve()
    if (where / "token.secret").exists() or settings.sqlite_path.exists():
        return None
    return (
        f"{where} holds no CareLedger data (no token.secret, no careledger.db), so a token"
        " signed here would not be accepted by the server: run this where the server runs, or"
        " set CARELEDGER_DATA_DIR to its data directory (or CARELEDGER_TOKEN_SECRET)"
    )
