"""Each customer's own data key, kept apart from the events and wrapped by the master key.

Erasing a customer destroys the key; every field sealed with it becomes unreadable for good.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from application.deadline import DEFAULT_DEADLINE_S, bounded, current
from application.errors import CustomerErasedError

NONCE = 12


class KeyStore(ABC):
    def __init__(self, master_key: bytes, cache_seconds: float = 5.0) -> None:
        self._wrapper = AESGCM(master_key)
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        self._lock = threading.Lock()

    def key_for(self, subject: str) -> bytes | None:
        """The subject's key, or None when it was destroyed or never made."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(subject)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        wrapped = self._load(subject)
        key = None if wrapped is None else self._unwrap(subject, wrapped)
        with self._lock:
            self._cache[subject] = (now, key)
        return key

    def ensure_key(self, subject: str) -> bytes:
        """The subject's key, made on first use; refused once the subject was erased."""
        key = self.key_for(subject)
        if key is not None:
            return key
        if self._is_destroyed(subject):
            raise CustomerErasedError(subject)
        wrapped = self._wrap(subject, AESGCM.generate_key(bit_length=256))
        self._insert(subject, wrapped)
        self.forget(subject)
        key = self.key_for(subject)
        if key is None:
            raise CustomerErasedError(subject)
        return key

    def destroy(self, subject: str) -> None:
        self._destroy(subject)
        self.forget(subject)

    def forget(self, subject: str) -> None:
        with self._lock:
            self._cache.pop(subject, None)

    def _wrap(self, subject: str, key: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._wrapper.encrypt(nonce, key, subject.encode())

    def _unwrap(self, subject: str, wrapped: bytes) -> bytes:
        return self._wrapper.decrypt(wrapped[:NONCE], wrapped[NONCE:], subject.encode())

    @abstractmethod
    def _load(self, subject: str) -> bytes | None: ...

    @abstractmethod
    def _is_destroyed(self, subject: str) -> bool: ...

    @abstractmethod
    def _insert(self, subject: str, wrapped: bytes) -> None: ...

    @abstractmethod
    def _destroy(self, subject: str) -> None: ...

    def close(self) -> None:
        with self._lock:
            self._cache.clear()


class SQLiteKeyStore(KeyStore):
    """A separate database file beside the events, so keys never travel with an event dump."""

    def __init__(self, path: Path, master_key: bytes, cache_seconds: float = 5.0) -> None:
        super().__init__(master_key, cache_seconds)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db_lock = threading.Lock()
        with self._db_lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS data_keys (subject TEXT PRIMARY KEY,"
                " wrapped_key BLOB, destroyed_at TEXT)"
            )

    def _query(self, sql: str, *params: object) -> tuple[object, ...] | None:
        with self._db_lock:
            row: tuple[object, ...] | None = self._db.execute(sql, params).fetchone()
            return row

    def _load(self, subject: str) -> bytes | None:
        row = self._query("SELECT wrapped_key FROM data_keys WHERE subject = ?", subject)
        return None if row is None else _bytes(row[0])

    def _is_destroyed(self, subject: str) -> bool:
        row = self._query("SELECT destroyed_at FROM data_keys WHERE subject = ?", subject)
        return row is not None and row[0] is not None

    def _insert(self, subject: str, wrapped: bytes) -> None:
        self._query(
            "INSERT OR IGNORE INTO data_keys (subject, wrapped_key) VALUES (?, ?)", subject, wrapped
        )

    def _destroy(self, subject: str) -> None:
        self._query(
            "INSERT INTO data_keys (subject, wrapped_key, destroyed_at)"
            " VALUES (?, NULL, CURRENT_TIMESTAMP) ON CONFLICT (subject) DO UPDATE"
            " SET wrapped_key = NULL, destroyed_at = CURRENT_TIMESTAMP",
            subject,
        )
        with self._db_lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        super().close()
        self._db.close()


class PostgresKeyStore(KeyStore):
    """A table of its own (`<app>_data_keys`), never joined with or exported beside the events."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        table: str,
        master_key: bytes,
        cache_seconds: float = 5.0,
        *,
        deadline_s: float = DEFAULT_DEADLINE_S,
    ) -> None:
        super().__init__(master_key, cache_seconds)
        self._datastore = datastore
        self._deadline_s = deadline_s
        self._table = SQL("{}.{}").format(Identifier(datastore.schema), Identifier(table))
        with datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} (subject text PRIMARY KEY, wrapped_key bytea,"
                    " destroyed_at timestamptz)"
                ).format(self._table)
            )

    # Every statement here is safe to repeat; like the recorder's, it rides out a lost
    # connection (a database restart leaves every pooled connection dead), until the deadline.
    def _one(self, sql: SQL, *params: object) -> dict[str, object] | None:
        def run() -> dict[str, object] | None:
            with self._datastore.transaction(commit=True) as curs:
                curs.execute(sql.format(self._table), params)
                return curs.fetchone() if curs.description else None

        return bounded(run, current(self._deadline_s))

    def _load(self, subject: str) -> bytes | None:
        row = self._one(SQL("SELECT wrapped_key FROM {} WHERE subject = %s"), subject)
        return None if row is None else _bytes(row["wrapped_key"])

    def _is_destroyed(self, subject: str) -> bool:
        row = self._one(SQL("SELECT destroyed_at FROM {} WHERE subject = %s"), subject)
        return row is not None and row["destroyed_at"] is not None

    def _insert(self, subject: str, wrapped: bytes) -> None:
        self._one(
            SQL(
                "INSERT INTO {} (subject, wrapped_key) VALUES (%s, %s)"
                " ON CONFLICT (subject) DO NOTHING"
            ),
            subject,
            wrapped,
        )

    def _destroy(self, subject: str) -> None:
        self._one(
            SQL(
                "INSERT INTO {} (subject, wrapped_key, destroyed_at) VALUES (%s, NULL, now())"
                " ON CONFLICT (subject) DO UPDATE SET wrapped_key = NULL, destroyed_at = now()"
            ),
            subject,
        )


def _bytes(value: object) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"a wrapped key must be bytes, not {type(value).__name__}")
    return bytes(value)
