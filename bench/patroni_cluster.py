"""A throwaway etcd and a two-node Patroni cluster on 127.0.0.1, for the failover drill: a
primary and a synchronous standby (`synchronous_mode`, `synchronous_commit=on`), in temporary
directories, on ports from `base` up. Needs Debian's `patroni` and `etcd-server`.

As root, Patroni and the PostgreSQL it runs are the `postgres` user (initdb refuses root)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from testing.postgres_server import find_bin

HOST = "127.0.0.1"
SCOPE = "careledger-drill"
TTL_S, LOOP_WAIT_S, RETRY_TIMEOUT_S = 10, 1, 3  # loop_wait + 2 x retry_timeout <= ttl


def missing_binaries() -> list[str]:
    return [name for name in ("patroni", "etcd") if shutil.which(name) is None]


@dataclass
class Node:
    name: str
    pg_port: int
    api_port: int
    root: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.pg_port}/postgres"

    def role(self) -> str | None:
        """`primary`, `replica`, or None when its Patroni does not answer."""
        status = self.status()
        return None if status is None else str(status.get("role"))

    def status(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.api_port}/patroni", timeout=2) as r:
                return dict(json.load(r))
        except urllib.error.HTTPError as answer:  # 503 still carries the status
            return dict(json.load(answer))
        except (OSError, ValueError):
            return None

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return None


class PatroniCluster:
    def __init__(self, base_port: int) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="careledger-patroni-"))
        self.etcd_port, self.etcd_peer_port = base_port, base_port + 1
        self.nodes = [
            Node(f"node{i}", base_port + 10 * i, base_port + 10 * i + 1, self.root / f"node{i}")
            for i in (1, 2)
        ]
        self.etcd: subprocess.Popen[bytes] | None = None
        self.as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        """Every node, and the one that takes writes: what the service is given."""
        hosts = ",".join(f"{HOST}:{node.pg_port}" for node in self.nodes)
        return f"postgresql://postgres@{hosts}/postgres?target_session_attrs=read-write"

    def start(self) -> PatroniCluster:
        self._start_etcd()
        first, second = self.nodes
        self.start_node(first)
        self.wait_for(lambda: self.primary() is first, 120, "the first node to bootstrap")
        self.start_node(second)
        self.wait_for(lambda: self.sync_standby() is second, 120, "the synchronous standby")
        return self

    def _start_etcd(self) -> None:
        data = self.root / "etcd"
        peer = f"http://{HOST}:{self.etcd_peer_port}"
        client = f"http://{HOST}:{self.etcd_port}"
        command = ["etcd", "--name", "drill", "--data-dir", str(data)]
        command += ["--listen-client-urls", client, "--advertise-client-urls", client]
        command += ["--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer]
        command += ["--initial-cluster", f"drill={peer}", "--unsafe-no-fsync"]
        with open(self.root / "etcd.log", "wb") as log:
            self.etcd = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.wait_for(self._etcd_answers, 30, "etcd")

    def _etcd_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.etcd_port}/health", timeout=1) as r:
                return b"true" in r.read()
        except OSError:
            return False

    def start_node(self, node: Node) -> None:
        node.root.mkdir(parents=True, exist_ok=True)
        config = node.root / "patroni.yml"
        config.write_text(json.dumps(self._config(node), indent=2))  # YAML reads JSON
        command = ["patroni", str(config)]
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(node.root, "postgres", "postgres")
            command = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
            command += ["patroni", str(config)]
        log = open(node.root / "patroni.log", "ab")  # noqa: SIM115  # the child keeps it
        env = {**os.environ, "HOME": str(node.root)}
        node.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()

    def _config(self, node: Node) -> dict[str, Any]:
        pg_hba = ["local all all trust", f"host all all {HOST}/32 trust"]
        pg_hba.append(f"host replication replicator {HOST}/32 trust")
        return {
            "scope": SCOPE,
            "namespace": "/careledger/",
            "name": node.name,
            "log": {"level": "INFO"},
            "restapi": {
                "listen": f"{HOST}:{node.api_port}",
                "connect_address": f"{HOST}:{node.api_port}",
            },
            "etcd3": {"hosts": [f"{HOST}:{self.etcd_port}"]},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL_S,
                    "loop_wait": LOOP_WAIT_S,
                    "retry_timeout": RETRY_TIMEOUT_S,
                    "maximum_lag_on_failover": 0,
                    "synchronous_mode": True,
                    "synchronous_mode_strict": self.strict,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "parameters": {
                            "synchronous_commit": "on",
                            "wal_log_hints": "on",
                            "max_connections": 200,
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "shared_buffers": "128MB",
                        },
                        "pg_hba": pg_hba,
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
            },
            "postgresql": {
                "listen": f"{HOST}:{node.pg_port}",
                "connect_address": f"{HOST}:{node.pg_port}",
                "data_dir": str(node.data),
                "bin_dir": str(find_bin()),
                "pgpass": str(node.root / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres", "password": "drill"},
                    "replication": {"username": "replicator", "password": "drill"},
                    "rewind": {"username": "postgres", "password": "drill"},
                },
                "parameters": {"unix_socket_directories": str(node.root)},
                "pg_hba": pg_hba,
            },
        }

    strict = False  # synchronous_mode_strict: with the standby gone, commits wait

    def primary(self) -> Node | None:
        leaders = [node for node in self.nodes if node.role() in ("primary", "master")]
        return leaders[0] if len(leaders) == 1 and self._writable(leaders[0]) else None

    def sync_standby(self) -> Node | None:
        """The node the primary names in synchronous_standby_names and streams to in sync."""
        primary = self.primary()
        if primary is None:
            return None
        try:
            with psycopg.connect(primary.url, autocommit=True, connect_timeout=2) as conn:
                rows = conn.execute(
                    "SELECT application_name FROM pg_stat_replication"
                    " WHERE state = 'streaming' AND sync_state = 'sync'"
                ).fetchall()
        except psycopg.OperationalError:
            return None
        names = {row[0] for row in rows}
        return next((node for node in self.nodes if node.name in names), None)

    def _writable(self, node: Node) -> bool:
        try:
            with psycopg.connect(node.url, autocommit=True, connect_timeout=2) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        except psycopg.OperationalError:
            return False
        return row is not None and row[0] is False

    def kill(self, node: Node, *, whole_node: bool = True) -> None:
        """SIGKILL to the node's postmaster; `whole_node`: the machine dies, its Patroni first
        (alive, Patroni restarts a killed postmaster where it stands instead of failing over)."""
        pid = node.postmaster_pid()
        if whole_node and node.process is not None:
            node.process.kill()
            node.process.wait(timeout=10)
            node.process = None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._reap_backends(node)

    def _reap_backends(self, node: Node, seconds: float = 10.0) -> None:
        """Backends outlive a killed postmaster until they notice: wait until the port is free."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                psycopg.connect(node.url, connect_timeout=1).close()
            except psycopg.OperationalError:
                return
            time.sleep(0.1)

    @staticmethod
    def wait_for(check: Any, seconds: float, what: str) -> float:
        started = time.monotonic()
        while not check():
            if time.monotonic() - started > seconds:
                raise TimeoutError(f"{what}: not within {seconds:.0f} s")
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                node.process.terminate()  # Patroni stops its PostgreSQL on SIGTERM
        for node in self.nodes:
            self._wait_or_kill(node)
        if self.etcd is not None:
            self.etcd.terminate()
            try:
                self.etcd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.etcd.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def _wait_or_kill(self, node: Node) -> None:
        if node.process is not None:
            try:
                node.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait(timeout=10)
            node.process = None
        pid = node.postmaster_pid()  # left by a SIGKILLed Patroni, or one that hung
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGKILL)

    def log_tail(self, node: Node, lines: int = 20) -> str:
        try:
            text = (node.root / "patroni.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
