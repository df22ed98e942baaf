"""The master keys that wrap every data key: the current one, and those it is replacing.

Each wrapped key is stored with the id of the master key that wrapped it (a keyed digest that
says nothing of the key), so a rotation knows what is left to re-wrap and a missing master key
is named rather than taken for an erasure.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12


class MasterKeyError(Exception):
    """A wrapped key cannot be opened with the master keys this process was given."""


class UnknownMasterKeyError(MasterKeyError):
    code = "UNKNOWN_MASTER_KEY"

    def __init__(self, key_ids: Sequence[str]) -> None:
        named = ", ".join(sorted(key_ids))
        super().__init__(
            f"data keys are wrapped by master key {named}, which is neither"
            " CARELEDGER_MASTER_KEY nor one of CARELEDGER_PREVIOUS_MASTER_KEYS"
        )
        self.key_ids = tuple(sorted(key_ids))


class WrongMasterKeyError(MasterKeyError):
    code = "WRONG_MASTER_KEY"

    def __init__(self, subject: str) -> None:
        super().__init__(f"no configured master key opens the data key of {subject}")
        self.subject = subject


def key_id(master_key: bytes) -> str:
    return hmac.new(master_key, b"careledger master key id", hashlib.sha256).hexdigest()[:16]


class MasterKeys:
    """Wraps under the current master key; unwraps under whichever one a key names."""

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        self.current_id = key_id(current)
        self._ciphers = {key_id(key): AESGCM(key) for key in (*previous, current)}
        self._current = self._ciphers[self.current_id]

    @property
    def known_ids(self) -> frozenset[str]:
        return frozenset(self._ciphers)

    def wrap(self, subject: str, key: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._current.encrypt(nonce, key, subject.encode())

    def unwrap(self, subject: str, wrapped: bytes, wrapped_by: str | None) -> bytes:
        """The data key; `wrapped_by` None (a key from before ids were kept) tries each."""
        if wrapped_by is not None and wrapped_by not in self._ciphers:
            raise UnknownMasterKeyError([wrapped_by])
        ids = [wrapped_by] if wrapped_by is not None else list(self._ciphers)
        for candidate in ids:
            try:
                return self._ciphers[candidate].decrypt(
                    wrapped[:NONCE], wrapped[NONCE:], subject.encode()
                )
            except InvalidTag:
                continue
        raise WrongMasterKeyError(subject)

    def identify(self, subject: str, wrapped: bytes) -> str:
        """The id of the configured master key that wrapped this key."""
        for candidate, cipher in self._ciphers.items():
            try:
                cipher.decrypt(wrapped[:NONCE], wrapped[NONCE:], subject.encode())
            except InvalidTag:
                continue
            return candidate
        raise WrongMasterKeyError(subject)
