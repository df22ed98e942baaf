"""The key store's rows read straight from its tables, as a backup of them would hold them."""

from __future__ import annotations

import sqlite3
import subprocess

import psycopg

from application.app import CareLedger
from application.postgres_keystore import keys_schema
from testing.postgres_server import PostgresServer


def wrapped_keys(app: CareLedger) -> dict[str, bytes]:
    """Every live wrapped key, by subject."""
    sql = "SELECT subject, wrapped_key FROM {} WHERE wrapped_key IS NOT NULL"
    if app.settings.database_url is None:
        with sqlite3.connect(app.settings.data_dir / "keys.db") as db:
            rows = db.execute(sql.format("data_keys")).fetchall()
    else:
        table = f'"{keys_schema(app.settings.db_schema)}".data_keys'
        with psycopg.connect(app.settings.database_url) as conn:
            rows = conn.execute(sql.format(table)).fetchall()
    return {str(subject): bytes(wrapped) for subject, wrapped in rows}


def pg_dump(server: PostgresServer, schema: str) -> bytes:
    return subprocess.run(
        [
            str(server.bin / "pg_dump"),
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            "postgres",
            "-n",
            schema,
            "postgres",
        ],
        check=True,
        capture_output=True,
    ).stdout
