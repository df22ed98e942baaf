"""Command ids minted here for a caller who gave none.

A command is answered from its receipt when its id has one; an id this process has just made
for the command cannot have one (nothing has run under it yet), so the command that runs under
it in the same context skips the lookup: one round trip to the database less for every command
sent without a `commandId`. Any other command under that id (a client that later sends it as
its own) looks its receipt up as usual.
"""

from __future__ import annotations

from contextvars import ContextVar
from uuid import uuid4

_minted: ContextVar[str | None] = ContextVar("careledger_minted_command_id", default=None)


def mint_command_id() -> str:
    """A new command id, remembered in the current context as minted here."""
    command_id = str(uuid4())
    _minted.set(command_id)
    return command_id


def minted_here(command_id: str) -> bool:
    """Whether `command_id` is the one last minted in this context."""
    return _minted.get() == command_id
