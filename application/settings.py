"""All of CareLedger's configuration, read from environment variables in this one place.

CARELEDGER_DATABASE_URL       unset: embedded SQLite; `postgresql://user:pw@host:port/db`: that;
                              several hosts (`…@h1:p1,h2:p2/db?target_session_attrs=read-write`):
                              the first that accepts writes, so a failover is followed
CARELEDGER_DATA_DIR           `./data`: embedded database, its key store, a generated dev master key
CARELEDGER_MASTER_KEY         base64 of 32 bytes wrapping every customer key (production: this or
                              CARELEDGER_MASTER_KEY_FILE required; development: generated into
                              the data dir)
CARELEDGER_MASTER_KEY_FILE    a file holding the master key in base64, instead of the variable
                              (production: refused inside the data dir, as is a master.key there)
CARELEDGER_PREVIOUS_MASTER_KEYS comma-separated base64 master keys being rotated away from: keys
                              still wrapped by one open, new ones are wrapped by the current key
                              (`careledger keys rotate` re-wraps the rest; docs/privacy.md)
CARELEDGER_KEYS_DATABASE_URL  `postgresql://…` of another database (or another role) for the key
                              store; unset: the schema `<CARELEDGER_DB_SCHEMA>_keys` of the events'
CARELEDGER_ENV                `development`; `production` hides GraphiQL and introspection
CARELEDGER_DB_SCHEMA          `public`: PostgreSQL schema, created if missing
CARELEDGER_DB_POOL_SIZE       `10`: PostgreSQL connections kept open
CARELEDGER_DB_LOCK_TIMEOUT    `5`: seconds a write waits for the event table's lock
CARELEDGER_DB_POOLER          `none`; `transaction`: CARELEDGER_DATABASE_URL goes through a pooler
                              in transaction mode (PgBouncer): no prepared statements by default,
                              no session state, LISTEN and the schema lock on the direct URL below
CARELEDGER_DIRECT_DATABASE_URL PostgreSQL itself, not through the pooler (required with
                              CARELEDGER_DB_POOLER=transaction; default: CARELEDGER_DATABASE_URL)
CARELEDGER_READ_DATABASE_URL  a hot standby of the database: the API's queries read the views
                              there (commands, projections and policies write to the primary)
CARELEDGER_READ_MAX_LAG_S     `2`: how far the standby may be behind before reads go to the primary
CARELEDGER_READ_FALLBACK      `on`: an unreachable or lagging standby sends reads to the primary;
                              `off`: such reads fail with UNAVAILABLE (503) instead
CARELEDGER_DB_PREPARED_STATEMENTS `on` (`off` with a transaction pooler): psycopg's prepared
                              statements; `on` behind PgBouncer 1.21+ with max_prepared_statements
CARELEDGER_COMMAND_DEADLINE_S `5`: seconds a command or a read may wait on the database in all
                              (connections, statements, commit, retries); past it the answer is
                              UNAVAILABLE (HTTP 503, nothing recorded) or OUTCOME_UNKNOWN (sent
                              but not confirmed: retry with the same command id)
CARELEDGER_LIVE_WAKE          `notify`: read-your-writes and the subscriptions are woken by the
                              views' own moves and the log's inserts (LISTEN/NOTIFY on PostgreSQL,
                              in-process on the embedded default), reading again every 0.1 s at
                              most; `poll`: they read every 10 ms (the feed every 20 ms) instead
CARELEDGER_SNAPSHOT_INTERVAL  `50`: events between snapshots of one aggregate
CARELEDGER_AGGREGATE_CACHE    `2000`: aggregates a process keeps in memory between commands
                              (brought up to date from the log on each use); `0`: none
CARELEDGER_KEY_CACHE_SECONDS  `5`: how long a process reuses a customer key it read; an erasure
                              evicts it from every process at once (LISTEN/NOTIFY on PostgreSQL,
                              the key file's change counter on SQLite)
CARELEDGER_TOKEN_SECRET       base64 of 32+ bytes signing bearer tokens (production: required;
                              development: generated into the data dir)
CARELEDGER_CONTACT_INDEX_KEY  base64 of 32 bytes keying the blind index of phones and e-mails
                              (default: one kept in the key store, first derived from the master
                              key, re-wrapped like the data keys by a rotation)
CARELEDGER_ALLOWED_ORIGINS    comma-separated browser origins allowed to call the API from
                              another origin: CORS for HTTP (preflights need no token) and the
                              WebSocket origin check (default: none; same-host always allowed)
CARELEDGER_METRICS_TOKEN      the bearer token a scraper sends for /metrics (required for it in
                              production, where /metrics is refused without one; optional in
                              development, where /metrics is open when it is unset)

Notices (docs/architecture.md#notices; unset channels write to the outbox, <data dir>/outbox/):
CARELEDGER_SMTP_URL           `smtp://user:pass@host:port` (STARTTLS where offered) or `smtps://`
CARELEDGER_MAIL_FROM          `CareLedger <notices@careledger.invalid>`: the notices' sender
CARELEDGER_SMS_URL            an SMS provider's `https://…` endpoint (the request shape is in
                              docs/notifications.md); CARELEDGER_SMS_TOKEN its bearer token
CARELEDGER_PUSH_URL           an app-push provider's endpoint, same shape (adds `title`);
                              CARELEDGER_PUSH_TOKEN its bearer token
CARELEDGER_RECEIPT_SECRET     the secret providers sign delivery receipts with (HMAC-SHA256);
                              unset: POST /notices/receipts refuses every receipt
CARELEDGER_RECEIPT_URL        the receipts address given to providers as `callback_url`
                              (`https://<this service>/notices/receipts`); unset: none is given
CARELEDGER_IM_ROBOTS          `off`: staff IM messages go to the outbox; `on`: to the robots'
                              webhooks named in the staff directory (DingTalk, WeCom, Feishu, Slack)
CARELEDGER_TEMPLATES          a TOML file of notice templates added to the built-in ones (new
                              versions or locales); malformed: the service does not start
CARELEDGER_STAFF_DIRECTORY    a TOML file of staff, robots, rotas and teams (default: the demo's,
                              delivery/staff.toml); staff addresses live only there
CARELEDGER_ALERT_ROUTES       a TOML file of alert routes (default: delivery/routing.toml)
CARELEDGER_QUIET_HOURS        `22:00-08:00` (platform time, Asia/Shanghai) when non-urgent
                              customer notices wait or, if not essential, are dropped; `off`
CARELEDGER_NOTICE_ATTEMPTS    `8`: attempts per notice before it is given up
CARELEDGER_NOTICE_LEASE_S     `60`: seconds one delivery process holds an attempt it claimed;
                              after a crash another process sends again once it ends
CARELEDGER_NOTICE_WORKERS     `16`: notices one delivery process sends at once (threads, each with
                              its own channel connections: at most that many SMTP connections)
CARELEDGER_NOTICE_SHARE       `0/1` (all of it): `k/n` for the k-th of n delivery processes
                              that share the work (n at most 16), each its part of the events
                              and notifications (by the first hex digit of their ids)
CARELEDGER_NOTICE_TAKEOVER_S  `30`: how long an event or a due notification of another part
                              waits before this process does it (a stopped partner's part)
CARELEDGER_WEBHOOK_TIMEOUT_S  `5`: seconds a webhook POST may wait to connect, and again for
                              each read of the answer
CARELEDGER_WEBHOOK_DISABLE_AFTER `10`: consecutive failed webhook attempts that disable an
                              endpoint (recorded, naming its owner)
CARELEDGER_WEBHOOK_LEASE_S    `30`: how long a webhook dispatcher holds an endpoint past its last
                              attempt; when a dispatcher dies, another takes its endpoints then

Need-to-know access (api/need_to_know.py):
CARELEDGER_ACCESS_GRACE_S     `259200` (three days): how long after a complaint or an order has
                              ended its handlers still open its customer's personal data
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.postgres_target import PostgresTarget, PostgresUrlError, parse_postgres_url


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


POOLERS = ("none", "transaction")
LIVE_WAKES = ("notify", "poll")
PREPARED_STATEMENTS_ENV = "CARELEDGER_PREPARED_STATEMENTS"  # read by our recorders' factory
TARGET_SESSION_ATTRS_ENV = "CARELEDGER_TARGET_SESSION_ATTRS"  # likewise, from the URL


class MasterKeyInDataDirError(SettingsError):
    """In production the master key must not lie beside the data it protects: a copy of the
    data directory would carry both."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the master key file {path} is inside the data directory: in production it must"
            " not lie beside the data (move it out and name it in CARELEDGER_MASTER_KEY_FILE,"
            " or pass CARELEDGER_MASTER_KEY and destroy the file)"
        )
        self.path = path


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path("data")
    master_key: bytes | None = None
    master_key_file: Path | None = None
    previous_master_keys: tuple[bytes, ...] = ()
    keys_database_url: str | None = None
    environment: str = "development"
    db_schema: str = "public"
    db_pool_size: int = 10
    db_lock_timeout_s: int = 5
    db_pooler: str = "none"
    direct_database_url: str | None = None
    db_prepared_statements: bool = True
    read_database_url: str | None = None
    read_max_lag_s: float = 2.0
    read_fallback: bool = True
    command_deadline_s: float = 5.0
    live_wake: str = "notify"
    snapshot_interval: int = 50
    aggregate_cache_size: int = 2_000
    key_cache_seconds: float = 5.0
    token_secret: bytes | None = None
    contact_index_key: bytes | None = None
    allowed_origins: tuple[str, ...] = ()
    metrics_token: str | None = None
    smtp_url: str | None = None
    mail_from: str | None = None
    sms_url: str | None = None
    sms_token: str | None = None
    push_url: str | None = None
    push_token: str | None = None
    receipt_secret: str | None = None
    receipt_url: str | None = None
    im_robots: bool = False
    templates_file: Path | None = None
    staff_directory: Path | None = None
    alert_routes: Path | None = None
    quiet_hours: tuple[time, time] | None = (time(22, 0), time(8, 0))
    notice_attempts: int = 8
    notice_lease_s: float = 60.0
    notice_workers: int = 16
    notice_share: tuple[int, int] = (0, 1)
    notice_takeover_s: float = 30.0
    webhook_timeout_s: float = 5.0
    webhook_disable_after: int = 10
    webhook_lease_s: float = 30.0
    access_grace_s: float = 259_200.0
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        key = env.get("CARELEDGER_MASTER_KEY")
        pooler = env.get("CARELEDGER_DB_POOLER", "none").strip().lower() or "none"
        if pooler not in POOLERS:
            raise SettingsError(f"CARELEDGER_DB_POOLER must be one of {', '.join(POOLERS)}")
        direct = env.get("CARELEDGER_DIRECT_DATABASE_URL") or None
        if pooler == "transaction" and direct is None:
            raise SettingsError(
                "CARELEDGER_DB_POOLER=transaction needs CARELEDGER_DIRECT_DATABASE_URL: LISTEN"
                " and the schema lock hold a session, which a transaction pooler does not keep"
            )
        live_wake = env.get("CARELEDGER_LIVE_WAKE", "notify").strip().lower() or "notify"
        if live_wake not in LIVE_WAKES:
            raise SettingsError(f"CARELEDGER_LIVE_WAKE must be one of {', '.join(LIVE_WAKES)}")
        return cls(
            database_url=env.get("CARELEDGER_DATABASE_URL") or None,
            data_dir=Path(env.get("CARELEDGER_DATA_DIR", "data")),
            master_key=_decode_key(key) if key else None,
            master_key_file=Path(env["CARELEDGER_MASTER_KEY_FILE"])
            if env.get("CARELEDGER_MASTER_KEY_FILE")
            else None,
            previous_master_keys=tuple(
                _decode_key(k.strip(), "PREVIOUS_MASTER")
                for k in env.get("CARELEDGER_PREVIOUS_MASTER_KEYS", "").split(",")
                if k.strip()
            ),
            keys_database_url=env.get("CARELEDGER_KEYS_DATABASE_URL") or None,
            environment=env.get("CARELEDGER_ENV", "development"),
            db_schema=env.get("CARELEDGER_DB_SCHEMA", "public"),
            db_pool_size=_int(env, "CARELEDGER_DB_POOL_SIZE", 10),
            db_lock_timeout_s=_int(env, "CARELEDGER_DB_LOCK_TIMEOUT", 5),
            db_pooler=pooler,
            direct_database_url=direct,
            db_prepared_statements=_on_off(
                env, "CARELEDGER_DB_PREPARED_STATEMENTS", default=pooler != "transaction"
            ),
            read_database_url=env.get("CARELEDGER_READ_DATABASE_URL") or None,
            read_max_lag_s=_seconds(env, "CARELEDGER_READ_MAX_LAG_S", 2.0),
            read_fallback=_on_off(env, "CARELEDGER_READ_FALLBACK", default=True),
            command_deadline_s=_seconds(env, "CARELEDGER_COMMAND_DEADLINE_S", 5.0),
            live_wake=live_wake,
            snapshot_interval=_int(env, "CARELEDGER_SNAPSHOT_INTERVAL", 50),
            aggregate_cache_size=_int(env, "CARELEDGER_AGGREGATE_CACHE", 2_000),
            key_cache_seconds=float(env.get("CARELEDGER_KEY_CACHE_SECONDS", "5")),
            token_secret=_decode_secret(env["CARELEDGER_TOKEN_SECRET"])
            if env.get("CARELEDGER_TOKEN_SECRET")
            else None,
            contact_index_key=_decode_key(env["CARELEDGER_CONTACT_INDEX_KEY"], "CONTACT_INDEX")
            if env.get("CARELEDGER_CONTACT_INDEX_KEY")
            else None,
            allowed_origins=tuple(
                o.strip() for o in env.get("CARELEDGER_ALLOWED_ORIGINS", "").split(",") if o.strip()
            ),
            metrics_token=env.get("CARELEDGER_METRICS_TOKEN") or None,
            smtp_url=_smtp_url(env.get("CARELEDGER_SMTP_URL") or None),
            mail_from=env.get("CARELEDGER_MAIL_FROM") or None,
            sms_url=_http_url(env, "CARELEDGER_SMS_URL"),
            sms_token=env.get("CARELEDGER_SMS_TOKEN") or None,
            push_url=_http_url(env, "CARELEDGER_PUSH_URL"),
            push_token=env.get("CARELEDGER_PUSH_TOKEN") or None,
            receipt_secret=env.get("CARELEDGER_RECEIPT_SECRET") or None,
            receipt_url=_http_url(env, "CARELEDGER_RECEIPT_URL"),
            im_robots=_on_off(env, "CARELEDGER_IM_ROBOTS", default=False),
            templates_file=_path(env, "CARELEDGER_TEMPLATES"),
            staff_directory=_path(env, "CARELEDGER_STAFF_DIRECTORY"),
            alert_routes=_path(env, "CARELEDGER_ALERT_ROUTES"),
            quiet_hours=_quiet_hours(env.get("CARELEDGER_QUIET_HOURS", "22:00-08:00")),
            notice_attempts=_int(env, "CARELEDGER_NOTICE_ATTEMPTS", 8),
            notice_lease_s=_seconds(env, "CARELEDGER_NOTICE_LEASE_S", 60.0),
            notice_workers=_bounded(env, "CARELEDGER_NOTICE_WORKERS", 16, 256),
            notice_share=_share(env.get("CARELEDGER_NOTICE_SHARE", "")),
            notice_takeover_s=_seconds(env, "CARELEDGER_NOTICE_TAKEOVER_S", 30.0),
            webhook_timeout_s=_seconds(env, "CARELEDGER_WEBHOOK_TIMEOUT_S", 5.0),
            webhook_disable_after=_positive(env, "CARELEDGER_WEBHOOK_DISABLE_AFTER", 10),
            webhook_lease_s=_seconds(env, "CARELEDGER_WEBHOOK_LEASE_S", 30.0),
            access_grace_s=_seconds(env, "CARELEDGER_ACCESS_GRACE_S", 259_200.0),
        )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def postgres(self) -> PostgresTarget | None:
        if not self.database_url:
            return None
        return _postgres_target(self.database_url, "CARELEDGER_DATABASE_URL")

    @property
    def keys_postgres(self) -> PostgresTarget | None:
        """Where the key store lives when it is not in the events' database."""
        if not self.keys_database_url:
            return None
        if not self.database_url:
            raise SettingsError("CARELEDGER_KEYS_DATABASE_URL needs CARELEDGER_DATABASE_URL")
        return _postgres_target(self.keys_database_url, "CARELEDGER_KEYS_DATABASE_URL")

    @property
    def direct_postgres(self) -> PostgresTarget | None:
        """PostgreSQL itself, for what needs a session of its own (LISTEN, the schema lock):
        the direct URL behind a pooler, else the database URL."""
        if self.database_url and self.direct_database_url:
            return _postgres_target(self.direct_database_url, "CARELEDGER_DIRECT_DATABASE_URL")
        return self.postgres

    @property
    def read_postgres(self) -> PostgresTarget | None:
        """The hot standby the API's queries read from, if one is configured."""
        if not self.read_database_url:
            return None
        if not self.database_url:
            raise SettingsError("CARELEDGER_READ_DATABASE_URL needs CARELEDGER_DATABASE_URL")
        return _postgres_target(self.read_database_url, "CARELEDGER_READ_DATABASE_URL")

    @property
    def behind_pooler(self) -> bool:
        """Whether connections go through a transaction pooler: no session state survives a
        transaction (search_path is set in each one, no startup options)."""
        return self.postgres is not None and self.db_pooler == "transaction"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "careledger.db"

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's own variables, derived from ours."""
        pg = self.postgres
        if pg is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": str(self.db_lock_timeout_s),
                "APPLICATION_RECORDER_TOPIC": "application.recorders:SQLiteReceiptRecorder",
            }
        else:
            env = {
                "PERSISTENCE_MODULE": "application.recorders:CareLedgerPostgresFactory",
                "POSTGRES_HOST": pg.host,
                "POSTGRES_PORT": pg.port,
                "POSTGRES_DBNAME": pg.dbname,
                "POSTGRES_USER": pg.user,
                "POSTGRES_PASSWORD": pg.password,
                "POSTGRES_SCHEMA": self.db_schema,
                "POSTGRES_POOL_SIZE": str(self.db_pool_size),
                "POSTGRES_MAX_OVERFLOW": str(self.db_pool_size),
                "POSTGRES_LOCK_TIMEOUT": str(self.db_lock_timeout_s),
                "APPLICATION_RECORDER_TOPIC": "application.recorders:PostgresReceiptRecorder",
                PREPARED_STATEMENTS_ENV: "y" if self.db_prepared_statements else "n",
            }
            if pg.target_session_attrs is not None:
                env[TARGET_SESSION_ATTRS_ENV] = pg.target_session_attrs
        if self.aggregate_cache_size > 0:
            # Fast-forwarded on every use from the log, so writes by other processes are seen;
            # each command gets its own copy.
            env["AGGREGATE_CACHE_MAXSIZE"] = str(self.aggregate_cache_size)
            env["AGGREGATE_CACHE_FASTFORWARD"] = "y"
        env.update(self.extra_env)
        return env

    def resolved_master_key(self) -> bytes:
        """The key that wraps customer keys; in development one is generated and kept on disk."""
        if self.is_production:
            self._refuse_master_key_in_data_dir()
        if self.master_key is not None and self.master_key_file is not None:
            raise SettingsError("set CARELEDGER_MASTER_KEY or CARELEDGER_MASTER_KEY_FILE, not both")
        if self.master_key is not None:
            return self.master_key
        if self.master_key_file is not None:
            return _read_key_file(self.master_key_file)
        return _decode_key(self._dev_secret("CARELEDGER_MASTER_KEY", "master.key"))

    def _refuse_master_key_in_data_dir(self) -> None:
        data_dir = self.data_dir.resolve()
        given = None if self.master_key_file is None else self.master_key_file.resolve()
        if given is not None and given.is_relative_to(data_dir):
            raise MasterKeyInDataDirError(self.master_key_file or given)
        left = self.data_dir / "master.key"
        if left.exists():
            raise MasterKeyInDataDirError(left)

    def resolved_token_secret(self) -> bytes:
        """The secret that signs bearer tokens; in development one is generated and kept."""
        if self.token_secret is not None:
            return self.token_secret
        return _decode_secret(self._dev_secret("CARELEDGER_TOKEN_SECRET", "token.secret"))

    def derived_contact_index_key(self) -> bytes:
        """The contact index's first key when none is given: derived from the master key under
        a label of its own (HKDF), so it is neither the master key nor a data key. It is kept
        in the key store from then on, so a rotation of the master key leaves it as it is."""
        derive = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"careledger contact index")
        return derive.derive(self.resolved_master_key())

    def _dev_secret(self, variable: str, filename: str) -> str:
        if self.is_production:
            raise SettingsError(f"{variable} is required in production")
        path = self.data_dir / filename
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return path.read_text().strip()
            with os.fdopen(fd, "w") as out:
                out.write(base64.b64encode(secrets.token_bytes(32)).decode())
        return path.read_text().strip()


def _postgres_target(raw: str, name: str) -> PostgresTarget:
    try:
        return parse_postgres_url(raw)
    except PostgresUrlError as error:
        raise SettingsError(
            f"{name} must look like postgresql://user@host:port[,host:port…]/db"
            f"[?target_session_attrs=read-write]: {error}"
        ) from None


def _read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
    except OSError as error:
        raise SettingsError(f"CARELEDGER_MASTER_KEY_FILE cannot be read: {error}") from None
    return _decode_key(text)


def _decode_key(text: str, name: str = "MASTER") -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        raise SettingsError(f"CARELEDGER_{name}_KEY must be base64") from None
    if len(key) != 32:
        raise SettingsError(f"CARELEDGER_{name}_KEY must decode to 32 bytes")
    return key


def _decode_secret(text: str) -> bytes:
    try:
        secret = base64.b64decode(text, validate=True)
    except ValueError:
        raise SettingsError("CARELEDGER_TOKEN_SECRET must be base64") from None
    if len(secret) < 32:
        raise SettingsError("CARELEDGER_TOKEN_SECRET must decode to at least 32 bytes")
    return secret


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, not {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 3600:
        raise SettingsError(f"{name} must lie above 0 and at most 3600 seconds, not {raw!r}")
    return value


def _bounded(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    value = _positive(env, name, default)
    if value > most:
        raise SettingsError(f"{name} must be at most {most}, not {value}")
    return value


def _share(raw: str) -> tuple[int, int]:
    if not raw:
        return (0, 1)
    index, slash, count = raw.partition("/")
    try:
        share = int(index), int(count)
    except ValueError:
        share = (-1, 0)
    if not slash or not 1 <= share[1] <= 16 or not 0 <= share[0] < share[1]:
        raise SettingsError(
            f"CARELEDGER_NOTICE_SHARE must be k/n with n from 1 to 16 and k below n, not {raw!r}"
        )
    return share


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise SettingsError(f"{name} names no readable file: {raw!r}")
    return path


def _quiet_hours(raw: str) -> tuple[time, time] | None:
    if raw.strip().lower() == "off":
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
    except ValueError:
        raise SettingsError(
            f"CARELEDGER_QUIET_HOURS must look like 22:00-08:00 or be off, not {raw!r}"
        ) from None
    if start == end:
        raise SettingsError("CARELEDGER_QUIET_HOURS must not start and end at the same time")
    return start, end


def _http_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if not raw:
        return None
    url = urlsplit(raw)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise SettingsError(f"{name} must be an http:// or https:// address")
    return raw


def _on_off(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise SettingsError(f"{name} must be on or off, not {raw!r}")
    return raw == "on"


def _smtp_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    url = urlsplit(raw)
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise SettingsError("CARELEDGER_SMTP_URL must look like smtp://user:pass@host:port")
    return raw
