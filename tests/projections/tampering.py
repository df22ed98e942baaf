"""Changing the events table behind the application's back, for the audit chain tests."""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from application.app import CareLedger


def tamper(app: CareLedger, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Runs statements on the events table behind the application's back, in one transaction.
    `{t}` names the table, `{id}` its position column, `?` marks a parameter."""
    recorder = app.recorder
    assert isinstance(recorder, PostgresApplicationRecorder | SQLiteApplicationRecorder)
    postgres = isinstance(recorder, PostgresApplicationRecorder)
    table = (
        f'"{app.settings.db_schema}"."{recorder.events_table_name}"'
        if postgres
        else recorder.events_table_name
    )
    column = "notification_id" if postgres else "rowid"
    with recorder.datastore.transaction(commit=True) as cursor:
        for sql, params in statements:
            text = sql.format(t=table, id=column)
            cursor.execute(text.replace("?", "%s") if postgres else text, params)


def set_state(position: int, state: bytes) -> tuple[str, tuple[Any, ...]]:
    return "UPDATE {t} SET state = ? WHERE {id} = ?", (state, position)
