"""CARELEDGER_DATABASE_URL in libpq's multi-host form, parsed into what psycopg and the
eventsourcing library take."""

from __future__ import annotations

import pytest

from application.postgres_target import PostgresTarget
from application.settings import Settings, SettingsError


def target(url: str) -> object:
    return Settings.from_env({"CARELEDGER_DATABASE_URL": url}).postgres


def test_one_host_as_before() -> None:
    pg = target("postgresql://u:p%40ss@db:6543/care")
    assert isinstance(pg, PostgresTarget)
    assert (pg.host, pg.port, pg.dbname, pg.user) == ("db", "6543", "care", "u")
    assert pg.password == "p@ss"
    assert pg.target_session_attrs is None
    assert pg.hosts == [("db", 6543)]


def test_several_hosts_and_the_session_they_must_offer() -> None:
    url = "postgresql://u@127.0.0.1:5501,127.0.0.1:5502,[::1]/db?target_session_attrs=read-write"
    pg = target(url)
    assert isinstance(pg, PostgresTarget)
    assert pg.hosts == [("127.0.0.1", 5501), ("127.0.0.1", 5502), ("::1", 5432)]
    assert pg.connect_kwargs() == {
        "host": "127.0.0.1,127.0.0.1,::1",
        "port": "5501,5502,5432",
        "dbname": "db",
        "user": "u",
        "target_session_attrs": "read-write",
    }
    assert "target_session_attrs=read-write" in pg.conninfo
    env = Settings.from_env({"CARELEDGER_DATABASE_URL": url}).eventsourcing_env()
    assert env["POSTGRES_HOST"] == "127.0.0.1,127.0.0.1,::1"
    assert env["POSTGRES_PORT"] == "5501,5502,5432"
    assert env["CARELEDGER_TARGET_SESSION_ATTRS"] == "read-write"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://u@h/db", "postgresql://"),
        ("postgresql://u@h:5432", "no database"),
        ("postgresql://u@h:port/db", "'port' is not a port"),
        ("postgresql://u@h:1,h:70000/db", "'70000' is not a port"),
        ("postgresql://u@h/db?target_session_attrs=primary-ish", "must be one of"),
        ("postgresql://u@h/db?sslmode=require", "'sslmode' is not supported"),
    ],
)
def test_a_malformed_url_is_refused_naming_the_variable(url: str, problem: str) -> None:
    with pytest.raises(SettingsError, match="CARELEDGER_DATABASE_URL") as refused:
        target(url)
    assert problem in str(refused.value)
