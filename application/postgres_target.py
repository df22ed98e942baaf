"""A PostgreSQL connection URL parsed into what psycopg and the eventsourcing library take,
with libpq's multi-host form: `postgresql://u@h1:p1,h2:p2/db?target_session_attrs=read-write`
tries the hosts in turn and keeps the first that accepts writes, so after a failover the service
finds the new primary by itself."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from psycopg.conninfo import make_conninfo

SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")


class PostgresUrlError(ValueError):
    """A PostgreSQL URL that cannot be parsed (a SettingsError names the variable)."""


@dataclass(frozen=True)
class PostgresTarget:
    host: str  # one host, or libpq's comma-separated list
    port: str  # as many ports, comma-separated
    dbname: str
    user: str
    password: str
    target_session_attrs: str | None = None

    @property
    def hosts(self) -> list[tuple[str, int]]:
        return [
            (host, int(port))
            for host, port in zip(self.host.split(","), self.port.split(","), strict=True)
        ]

    def connect_kwargs(self) -> dict[str, str]:
        """psycopg.connect's keyword arguments (no password when there is none)."""
        kwargs = {"host": self.host, "port": self.port, "dbname": self.dbname, "user": self.user}
        if self.password:
            kwargs["password"] = self.password
        if self.target_session_attrs is not None:
            kwargs["target_session_attrs"] = self.target_session_attrs
        return kwargs

    @property
    def conninfo(self) -> str:
        return make_conninfo(**self.connect_kwargs())


def parse_postgres_url(raw: str) -> PostgresTarget:
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme not in ("postgresql", "postgres"):
        raise PostgresUrlError("it must start with postgresql://")
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    if not path.strip("/"):
        raise PostgresUrlError("it names no database")
    userinfo, at, hostlist = netloc.rpartition("@")
    user, _, password = userinfo.partition(":") if at else ("", "", "")
    hosts = [_host_port(item) for item in hostlist.split(",")]
    return PostgresTarget(
        host=",".join(host for host, _ in hosts),
        port=",".join(str(port) for _, port in hosts),
        dbname=unquote(path.strip("/")),
        user=unquote(user or "postgres"),
        password=unquote(password),
        target_session_attrs=_session_attrs(query),
    )


def _host_port(item: str) -> tuple[str, int]:
    if item.startswith("["):  # [::1]:5432
        host, _, tail = item[1:].partition("]")
        port = tail.removeprefix(":")
    else:
        host, _, port = item.partition(":")
    if not port:
        return (unquote(host) or "127.0.0.1", 5432)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise PostgresUrlError(f"{port!r} is not a port")
    return (unquote(host) or "127.0.0.1", int(port))


def _session_attrs(query: str) -> str | None:
    attrs: str | None = None
    for name, value in parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)):
        if name != "target_session_attrs":
            raise PostgresUrlError(f"the parameter {name!r} is not supported")
        if value not in SESSION_ATTRS:
            choices = ", ".join(SESSION_ATTRS)
            raise PostgresUrlError(f"target_session_attrs must be one of {choices}")
        attrs = value
    return attrs
