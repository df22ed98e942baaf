"""Finding a customer by phone or e-mail while their contact stays sealed: a keyed blind index.

Each entry is an HMAC of one normalised contact value under the index's own key (never a
customer's data key, never the master key itself), beside the customer's id; the same value
typed by an agent gives the same digest. Erasing a customer removes their entries.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from application.deadline import DEFAULT_DEADLINE_S, bounded, current

# 86 and 0086 are China's country code, 0 a domestic trunk prefix before an 11-digit mobile.
_CHINA = re.compile(r"^(?:0086|86|0)(1\d{10})$")


def normal_phone(text: str) -> str | None:
    """Digits only, without +86 / 0086 / 86 before a Chinese mobile; None without any digit."""
    digits = re.sub(r"\D", "", text)
    if not digits:
        return None
    china = _CHINA.match(digits)
    return china.group(1) if china else digits


def normal_email(text: str) -> str | None:
    address = text.strip().lower()
    return address if "@" in address else None


class ContactIndex(ABC):
    def __init__(self, key: bytes) -> None:
        self._key = key

    def digests(self, phone: str | None, email: str | None) -> list[str]:
        values = [
            ("phone", None if phone is None else normal_phone(phone)),
            ("email", None if email is None else normal_email(email)),
        ]
        return [self._digest(kind, value) for kind, value in values if value]

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def index(self, customer_id: UUID, phone: str | None, email: str | None) -> None:
        """The customer's entries become those of this contact (replacing earlier ones)."""
        self._replace(str(customer_id), self.digests(phone, email))

    def remove(self, customer_id: UUID) -> None:
        self._replace(str(customer_id), [])

    def find(self, text: str) -> list[UUID]:
        """Customers with this phone number or e-mail address, by id."""
        wanted = self.digests(None, text) if "@" in text else self.digests(text, None)
        return [UUID(found) for found in sorted(set(self._lookup(wanted)))] if wanted else []

    @abstractmethod
    def _replace(self, customer_id: str, digests: list[str]) -> None: ...

    @abstractmethod
    def _lookup(self, digests: list[str]) -> list[str]: ...

    def close(self) -> None:
        return None


class SQLiteContactIndex(ContactIndex):
    """A database file of its own beside the events and the key store."""

    def __init__(self, path: Path, key: bytes) -> None:
        super().__init__(key)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS contact_index (digest TEXT NOT NULL,"
                " customer_id TEXT NOT NULL, PRIMARY KEY (digest, customer_id))"
            )

    def _replace(self, customer_id: str, digests: list[str]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM contact_index WHERE customer_id = ?", (customer_id,))
            self._db.executemany(
                "INSERT OR IGNORE INTO contact_index (digest, customer_id) VALUES (?, ?)",
                [(digest, customer_id) for digest in digests],
            )
            self._db.execute("COMMIT")
            if not digests:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _lookup(self, digests: list[str]) -> list[str]:
        marks = ", ".join("?" * len(digests))
        with self._lock:
            rows = self._db.execute(
                f"SELECT customer_id FROM contact_index WHERE digest IN ({marks})", digests
            ).fetchall()
        return [str(row[0]) for row in rows]

    def close(self) -> None:
        self._db.close()


class PostgresContactIndex(ContactIndex):
    """A table beside the data keys (`<schema>_keys.contact_index`), not among the events: a
    backup of the events, kept long, holds no digest that the index key could be tried on."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        schema: str,
        key: bytes,
        *,
        deadline_s: float = DEFAULT_DEADLINE_S,
    ) -> None:
        super().__init__(key)
        self._datastore = datastore
        self._deadline_s = deadline_s
        table = "contact_index"
        self._table = SQL("{}.{}").format(Identifier(schema), Identifier(table))
        with datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {} (digest text NOT NULL, customer_id text"
                    " NOT NULL, PRIMARY KEY (digest, customer_id))"
                ).format(self._table)
            )
            curs.execute(
                SQL("CREATE INDEX IF NOT EXISTS {} ON {} (customer_id)").format(
                    Identifier(f"{table}_customer"), self._table
                )
            )
            curs.execute(SQL("REVOKE ALL ON TABLE {} FROM PUBLIC").format(self._table))

    def adopt(self, rows: list[tuple[str, str]]) -> None:
        """Takes over the entries of the old table beside the events."""
        with self._datastore.transaction(commit=True) as curs:
            curs.executemany(
                SQL(
                    "INSERT INTO {} (digest, customer_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                ).format(self._table),
                rows,
            )

    # Both statements are safe to repeat, so a lost connection is retried until the deadline.
    def _replace(self, customer_id: str, digests: list[str]) -> None:
        def run() -> None:
            with self._datastore.transaction(commit=True) as curs:
                curs.execute(
                    SQL("DELETE FROM {} WHERE customer_id = %s").format(self._table),
                    (customer_id,),
                )
                for digest in digests:
                    curs.execute(
                        SQL(
                            "INSERT INTO {} (digest, customer_id) VALUES (%s, %s)"
                            " ON CONFLICT DO NOTHING"
                        ).format(self._table),
                        (digest, customer_id),
                    )

        bounded(run, current(self._deadline_s))

    def _lookup(self, digests: list[str]) -> list[str]:
        def run() -> list[str]:
            with self._datastore.transaction(commit=False) as curs:
                curs.execute(
                    SQL("SELECT customer_id FROM {} WHERE digest = ANY(%s)").format(self._table),
                    (digests,),
                )
                return [str(row["customer_id"]) for row in curs.fetchall()]

        return bounded(run, current(self._deadline_s))
