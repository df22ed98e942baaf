"""A throwaway PgBouncer on 127.0.0.1 in transaction mode, in front of a PostgresServer.

Debian's `pgbouncer` (1.18: no protocol-level prepared statements). It refuses to run as root,
so as root it runs as the `postgres` user, like the server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from testing.postgres_server import PostgresServer, free_port

BINARY = Path("/usr/sbin/pgbouncer")


def pgbouncer_binary() -> Path | None:
    found = shutil.which("pgbouncer")
    if found:
        return Path(found)
    return BINARY if BINARY.exists() else None


class PgBouncer:
    def __init__(self, server: PostgresServer, *, pool_size: int = 4) -> None:
        binary = pgbouncer_binary()
        if binary is None:
            raise RuntimeError(
                "pgbouncer not found: install it with `apt-get install -y pgbouncer`"
                " (scripts/test.sh does this)"
            )
        self.binary = binary
        self.server = server
        self.port = free_port()
        self.pool_size = pool_size
        self.root = Path(tempfile.mkdtemp(prefix="careledger-pgbouncer-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def admin_url(self) -> str:
        """The admin console (`SHOW STATS`, `SHOW POOLS`)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/pgbouncer"

    def start(self) -> PgBouncer:
        config = self.root / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"postgres = host=127.0.0.1 port={self.server.port} dbname=postgres\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {self.root}\n"
            "auth_type = trust\n"
            f"auth_file = {self.root / 'users.txt'}\n"
            "admin_users = postgres\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 500\n"
            "server_reset_query =\n"
            f"logfile = {self.root / 'pgbouncer.log'}\n"
        )
        (self.root / "users.txt").write_text('"postgres" ""\n')
        command = [str(self.binary), str(config)]
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            for path in self.root.iterdir():
                shutil.chown(path, "postgres", "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2, prepare_threshold=None) as conn:
                    conn.execute("SELECT 1")
                    return
            except psycopg.OperationalError:
                if self.process is not None and self.process.poll() is not None:
                    log = self.root / "pgbouncer.log"
                    text = log.read_text() if log.exists() else ""
                    raise RuntimeError(f"pgbouncer exited: {text[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def transactions(self) -> int:
        """How many transactions PgBouncer has passed to the server, over all its pools."""
        with psycopg.connect(self.admin_url, autocommit=True, prepare_threshold=None) as conn:
            cursor = conn.execute("SHOW STATS")
            names = [c.name for c in cursor.description or ()]
            column = names.index("total_xact_count")
            return sum(int(row[column]) for row in cursor.fetchall() if row[0] == "postgres")

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                self.process.wait(timeout=10)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
