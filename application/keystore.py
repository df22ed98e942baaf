"""Each customer's own data key, kept apart from the events and wrapped by the master key.

Erasing a customer destroys the key; every field sealed with it becomes unreadable for good.
A process keeps the keys it read for a few seconds; an erasure evicts the key from every
process's cache at once (docs/privacy.md): each store says, before a cached key is used,
whether its cache can still be trusted (`_cache_trusted`), evicting what another process
destroyed meanwhile.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.errors import CustomerErasedError
from application.master_keys import MasterKeys, UnknownMasterKeyError

REWRAP_BATCH = 500


@dataclass(frozen=True)
class StoredKey:
    """One row of the store: a live key (`wrapped`, and the master key that wrapped it) or
    a destroyed one (`wrapped` None)."""

    wrapped: bytes | None
    wrapped_by: str | None


@dataclass(frozen=True)
class KeyCensus:
    """How many live data keys each master key wraps, and how many keys were destroyed."""

    wrapped_by: dict[str, int]
    destroyed: int


class KeyStore(ABC):
    def __init__(self, masters: MasterKeys, cache_seconds: float = 5.0) -> None:
        self.masters = masters
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def key_for(self, subject: str) -> bytes | None:
        """The subject's key, or None when it was destroyed or never made."""
        now = time.monotonic()
        if self._cache_trusted():
            with self._lock:
                cached = self._cache.get(subject)
            if cached is not None and now - cached[0] < self._cache_seconds:
                return cached[1]
        # An eviction while the row is read means it may be stale already: not kept.
        generation = self._generation
        stored = self._load(subject)
        if stored is None:
            return None
        key = self._open(subject, stored)
        with self._lock:
            if self._generation == generation:
                self._cache[subject] = (now, key)
        return key

    def ensure_key(self, subject: str, make: Callable[[], bytes] | None = None) -> bytes:
        """The subject's key, made on first use (by `make`, else at random); refused once the
        subject was erased."""
        key = self.key_for(subject)
        if key is not None:
            return key
        if self._is_destroyed(subject):
            raise CustomerErasedError(subject)
        fresh = make() if make is not None else AESGCM.generate_key(bit_length=256)
        self._insert(subject, self.masters.wrap(subject, fresh), self.masters.current_id)
        self.evict(subject)
        key = self.key_for(subject)
        if key is None:
            raise CustomerErasedError(subject)
        return key

    def destroy(self, subject: str) -> None:
        self._destroy(subject)
        self.evict(subject)

    def evict(self, subject: str | None = None) -> None:
        """Forget one cached key, or all of them (None)."""
        with self._lock:
            self._generation += 1
            if subject is None:
                self._cache.clear()
            else:
                self._cache.pop(subject, None)

    def census(self) -> KeyCensus:
        return self._census()

    def check_master_keys(self) -> None:
        """Refuses a store holding keys that no configured master key wrapped."""
        unknown = set(self.census().wrapped_by) - self.masters.known_ids
        if unknown:
            raise UnknownMasterKeyError(sorted(unknown))

    def rotate(self) -> int:
        """Re-wraps every live key under the current master key; returns how many changed.

        A key destroyed meanwhile stays destroyed: each re-wrap replaces only the wrapping it
        read."""
        self.check_master_keys()
        rewrapped = 0
        while batch := self._wrapped_elsewhere(self.masters.current_id, REWRAP_BATCH):
            changes = [
                (subject, stored, self.masters.wrap(subject, self._opened(subject, stored)))
                for subject, stored in batch
            ]
            rewrapped += self._rewrap(changes, self.masters.current_id)
        return rewrapped

    def _open(self, subject: str, stored: StoredKey) -> bytes | None:
        if stored.wrapped is None:
            return None
        return self.masters.unwrap(subject, stored.wrapped, stored.wrapped_by)

    def _opened(self, subject: str, stored: StoredKey) -> bytes:
        key = self._open(subject, stored)
        if key is None:
            raise CustomerErasedError(subject)
        return key

    def _cache_trusted(self) -> bool:
        return True

    @abstractmethod
    def _load(self, subject: str) -> StoredKey | None: ...

    @abstractmethod
    def _is_destroyed(self, subject: str) -> bool: ...

    @abstractmethod
    def _insert(self, subject: str, wrapped: bytes, wrapped_by: str) -> None: ...

    @abstractmethod
    def _destroy(self, subject: str) -> None: ...

    @abstractmethod
    def _census(self) -> KeyCensus: ...

    @abstractmethod
    def _wrapped_elsewhere(self, current: str, limit: int) -> list[tuple[str, StoredKey]]:
        """Up to `limit` live keys wrapped by another master key than `current`."""

    @abstractmethod
    def _rewrap(self, changes: list[tuple[str, StoredKey, bytes]], wrapped_by: str) -> int:
        """Replaces each key's wrapping if it is still the one read; returns how many were."""

    def close(self) -> None:
        with self._lock:
            self._cache.clear()


def as_bytes(value: object) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"a wrapped key must be bytes, not {type(value).__name__}")
    return bytes(value)
