"""What a command id stands for: the command, its caller, and its arguments, personal ones
included without anything readable being stored.

A receipt's fingerprint is `<public>:<caller>:<subject>:<mac>`. `public` hashes the command name
and its non-personal arguments (the whole fingerprint of receipts written before callers and
personal arguments were compared); `caller` hashes the actor; `mac` is an HMAC of the personal
arguments under the data key of the customer (`subject`) they were sealed for, so erasing the
customer destroys the means to check or guess them too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from domain.meta import Actor

NO_SUBJECT = "-"

_sealing: ContextVar[list[str] | None] = ContextVar("careledger_sealed_subjects", default=None)


def note_sealed(subject: str) -> None:
    """Called by the vault: the running command sealed personal data for `subject`."""
    subjects = _sealing.get()
    if subjects is not None and subject not in subjects:
        subjects.append(subject)


def caller_hash(actor: Actor) -> str:
    return hashlib.sha256(f"{actor.kind}/{actor.id}".encode()).hexdigest()[:32]


def personal_mac(key: bytes, personal: str) -> str:
    return hmac.new(key, b"careledger/command-id\x00" + personal.encode(), "sha256").hexdigest()


@dataclass
class Fingerprint:
    """The running command's identity; `subjects` fills in as it seals personal data."""

    public: str
    caller: str
    personal: str | None
    subjects: list[str] = field(default_factory=list)

    def sealing(self) -> object:
        return _sealing.set(self.subjects)

    def done_sealing(self, token: object) -> None:
        _sealing.reset(token)  # type: ignore[arg-type]

    def text(self, key_for: Callable[[str], bytes | None]) -> str:
        """The fingerprint to store in this command's receipt."""
        if self.personal is None or not self.subjects:
            return f"{self.public}:{self.caller}:{NO_SUBJECT}:"
        subject = self.subjects[0]
        key = key_for(subject)
        mac = "" if key is None else personal_mac(key, self.personal)
        return f"{self.public}:{self.caller}:{subject}:{mac}"


class ErasedSubjectError(Exception):
    """The personal arguments can no longer be compared: their customer was erased."""

    def __init__(self, subject: str) -> None:
        super().__init__(subject)
        self.subject = subject


def matches(stored: str, current: Fingerprint, key_for: Callable[[str], bytes | None]) -> bool:
    """Whether a stored fingerprint is the running command's; raises ErasedSubjectError when
    only the personal arguments are left to compare and their customer's key is gone."""
    public, _, rest = stored.partition(":")
    if not hmac.compare_digest(public, current.public):
        return False
    if not rest:  # written before callers and personal arguments were compared
        return True
    caller, subject, mac = [*rest.split(":"), "", ""][:3]
    if not hmac.compare_digest(caller, current.caller):
        return False
    if subject == NO_SUBJECT:
        return current.personal is None or not mac
    if current.personal is None:
        return False
    key = key_for(subject)
    if key is None:
        raise ErasedSubjectError(subject)
    return hmac.compare_digest(mac, personal_mac(key, current.personal))
