"""The key store on the embedded default: a database file of its own beside the events."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from application.keystore import KeyCensus, KeyStore, StoredKey, as_bytes
from application.master_keys import MasterKeys


class SQLiteKeyStore(KeyStore):
    """`keys.db`, so keys never travel with a copy of the events.

    Another process's erasure is seen through SQLite's change counter (`PRAGMA data_version`,
    which moves whenever another connection commits to the file): checked before every use of
    the cache, it empties the cache when anything changed.
    """

    def __init__(self, path: Path, masters: MasterKeys, cache_seconds: float = 5.0) -> None:
        super().__init__(masters, cache_seconds)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db_lock = threading.Lock()
        with self._db_lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS data_keys (subject TEXT PRIMARY KEY,"
                " wrapped_key BLOB, destroyed_at TEXT, wrapped_by TEXT)"
            )
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(data_keys)")}
            if "wrapped_by" not in columns:
                self._db.execute("ALTER TABLE data_keys ADD COLUMN wrapped_by TEXT")
            self._seen_version = self._data_version()
        self._identify_unmarked()

    def _identify_unmarked(self) -> None:
        """Keys from before their master key was recorded get its id, once."""
        with self._db_lock:
            rows = self._db.execute(
                "SELECT subject, wrapped_key FROM data_keys"
                " WHERE wrapped_by IS NULL AND wrapped_key IS NOT NULL"
            ).fetchall()
            for subject, wrapped in rows:
                found = self.masters.identify(subject, bytes(wrapped))
                self._db.execute(
                    "UPDATE data_keys SET wrapped_by = ? WHERE subject = ?", (found, subject)
                )

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _cache_trusted(self) -> bool:
        with self._db_lock:
            version = self._data_version()
            changed, self._seen_version = version != self._seen_version, version
        if changed:
            self.evict()
        return True

    def _query(self, sql: str, *params: object) -> tuple[object, ...] | None:
        with self._db_lock:
            row: tuple[object, ...] | None = self._db.execute(sql, params).fetchone()
            return row

    def _load(self, subject: str) -> StoredKey | None:
        row = self._query(
            "SELECT wrapped_key, wrapped_by FROM data_keys WHERE subject = ?", subject
        )
        if row is None:
            return None
        return StoredKey(as_bytes(row[0]), None if row[1] is None else str(row[1]))

    def _is_destroyed(self, subject: str) -> bool:
        row = self._query("SELECT destroyed_at FROM data_keys WHERE subject = ?", subject)
        return row is not None and row[0] is not None

    def _insert(self, subject: str, wrapped: bytes, wrapped_by: str) -> None:
        self._query(
            "INSERT OR IGNORE INTO data_keys (subject, wrapped_key, wrapped_by) VALUES (?, ?, ?)",
            subject,
            wrapped,
            wrapped_by,
        )

    def _destroy(self, subject: str) -> None:
        self._query(
            "INSERT INTO data_keys (subject, wrapped_key, destroyed_at)"
            " VALUES (?, NULL, CURRENT_TIMESTAMP) ON CONFLICT (subject) DO UPDATE"
            " SET wrapped_key = NULL, wrapped_by = NULL, destroyed_at = CURRENT_TIMESTAMP",
            subject,
        )
        self._checkpoint()

    def _checkpoint(self) -> None:
        # With secure_delete the main file keeps no old wrapping (freed space is zeroed);
        # emptying the write-ahead log removes the last copy on disk.
        with self._db_lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _census(self) -> KeyCensus:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT wrapped_by, count(*) FROM data_keys WHERE wrapped_key IS NOT NULL"
                " GROUP BY wrapped_by"
            ).fetchall()
            destroyed = self._db.execute(
                "SELECT count(*) FROM data_keys WHERE wrapped_key IS NULL"
            ).fetchone()[0]
        return KeyCensus({str(by): int(n) for by, n in rows}, int(destroyed))

    def _wrapped_elsewhere(self, current: str, limit: int) -> list[tuple[str, StoredKey]]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT subject, wrapped_key, wrapped_by FROM data_keys"
                " WHERE wrapped_key IS NOT NULL AND wrapped_by IS NOT ? LIMIT ?",
                (current, limit),
            ).fetchall()
        return [(str(s), StoredKey(as_bytes(w), None if b is None else str(b))) for s, w, b in rows]

    def _rewrap(self, changes: list[tuple[str, StoredKey, bytes]], wrapped_by: str) -> int:
        with self._db_lock:
            self._db.execute("BEGIN IMMEDIATE")
            done = sum(
                self._db.execute(
                    "UPDATE data_keys SET wrapped_key = ?, wrapped_by = ?"
                    " WHERE subject = ? AND wrapped_key = ?",
                    (new, wrapped_by, subject, stored.wrapped),
                ).rowcount
                for subject, stored, new in changes
            )
            self._db.execute("COMMIT")
        self._checkpoint()
        return done

    def close(self) -> None:
        super().close()
        self._db.close()
