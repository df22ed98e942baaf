"""A throwaway PostgreSQL 15 server on 127.0.0.1, started from the system's binaries.

initdb and postgres refuse to run as root, so as root the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))]


def find_bin() -> Path:
    for candidate in BIN_DIRS:
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install them with "
        "`apt-get update && apt-get install -y postgresql` (scripts/test.sh does this)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self, *, durable: bool = False) -> None:
        self.bin = find_bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="careledger-pg-"))
        self.data = self.root / "data"
        self.durable = durable
        self.as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def postmaster_pid(self) -> int | None:
        """The running server's postmaster (the parent of its backends), None when stopped."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return None

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-k {self.root}",
            "-c max_connections=200",
            "-c shared_buffers=256MB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self.options = " ".join(options)
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self) -> None:
        # The log file keeps the server's output off our pipes, which would otherwise stay open.
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            self.options,
            "start",
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "stop", "-m", "fast")
        self._pg_ctl_start()

    def pause(self, mode: str = "fast") -> None:
        """Stops the server (as an outage would; `immediate`: as a crash would), keeping its
        data for `resume`."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "stop", "-m", mode)

    def resume(self) -> None:
        self._pg_ctl_start()

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "stop", "-m", "fast")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @classmethod
    def standby_of(cls, primary: PostgresServer) -> PostgresServer:
        """A hot standby streaming from `primary` (pg_basebackup -R: primary_conninfo and
        standby.signal), on a port of its own; stop it before the primary."""
        standby = cls(durable=primary.durable)
        if standby.as_root:
            shutil.chown(standby.root, "postgres", "postgres")
        standby._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(standby.data),
            "-R",
            "-X",
            "stream",
            "--no-sync",
            # not the default spread checkpoint, which kept each standby's start waiting ~15 s
            "--checkpoint=fast",
        )
        standby.options = " ".join(
            [
                f"-p {standby.port}",
                "-c listen_addresses=127.0.0.1",
                f"-k {standby.root}",
                "-c max_connections=200",
                "-c hot_standby=on",
                "-c hot_standby_feedback=on",
            ]
        )
        standby._pg_ctl_start()
        return standby

    def create_schema(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
