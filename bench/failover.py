"""Failover drill: no acknowledged command lost or applied twice when a node of a two-node
Patroni cluster (primary + synchronous standby) dies under load.

    .venv/bin/python -m bench.failover [--kill primary|standby|postmaster] [--strict]

Starts etcd and the cluster (bench/patroni_cluster.py), `careledger serve --workers 2` and
`careledger project run` on the multi-host URL (target_session_attrs=read-write), and a closed
loop of `updateEta` commands, each with a unique command id, retried with the same id after an
UNAVAILABLE or OUTCOME_UNKNOWN answer, as a client should. Mid-load it SIGKILLs the chosen
node (its Patroni, then its postmaster; `--kill postmaster`: the primary's postmaster alone),
waits for the promotion (primary), the restart in place (postmaster) or for the cluster to
settle (standby), lets the load run on, then prints: commands acknowledged, found after
the failover, lost, duplicated, seconds from the kill until commands succeed again, what the
clients received meanwhile, and whether every view equals a rebuild. The killed node then
rejoins as a standby. Everything started is stopped, also on failure; the whole drill is
bounded by --timeout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from types import FrameType
from uuid import UUID, uuid4

import psycopg

from api.auth import Role, issue_token
from application.app import CareLedger
from application.settings import Settings
from bench.commands import AGENT, prepare
from bench.cpu import tree_cpu
from bench.machine import describe
from bench.patroni_cluster import Node, PatroniCluster, missing_binaries
from bench.serving import (
    HOST,
    Process,
    Server,
    bench_settings,
    careledger_command,
    careledger_serve,
    percentile,
    service_env,
)
from projections.catalog import projections
from projections.engine import tracking
from projections.engine.projection import Projection
from projections.engine.runner import Runner
from projections.engine.store import Row, Tx, ViewStore, open_view_store

QUERY = (
    "mutation Drill($input: UpdateEtaInput!) { updateEta(input: $input)"
    " { __typename ... on OrderChanged { written { position } } } }"
)
RETRY_PAUSE_S = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--kill",
        choices=("primary", "standby", "postmaster"),
        default="primary",
        help="the primary's node (Patroni and postmaster), the standby's, or the primary's"
        " postmaster alone (its Patroni restarts it in place)",
    )
    parser.add_argument("--strict", action="store_true", help="synchronous_mode_strict")
    parser.add_argument("--base-port", type=int, default=21800)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--orders", type=int, default=64)
    parser.add_argument("--before", type=float, default=8.0, help="seconds of load before")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of load once back")
    parser.add_argument("--standby-away", type=float, default=15.0, help="(standby kill)")
    parser.add_argument("--timeout", type=float, default=600.0, help="the whole drill")
    args = parser.parse_args()
    missing = missing_binaries()
    if missing:
        sys.exit(f"not installed: {', '.join(missing)} (apt-get install -y patroni etcd-server)")
    print(describe())
    with bounded(args.timeout):
        cluster = PatroniCluster(args.base_port)
        cluster.strict = args.strict
        try:
            cluster.start()
            drill(cluster, args)
        finally:
            cluster.stop()


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """SIGALRM after `seconds`: the drill stops as if interrupted, cleaning up on the way."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"the drill took longer than {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(int(seconds))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Attempt:
    started: float
    ended: float
    outcome: str  # "ok", an error code, "HTTP 503", or the socket error's class


@dataclass
class Tally:
    """Every attempt of every command, and the commands acknowledged (by id)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    sent: set[str] = field(default_factory=set)

    def record(self, command_id: str, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)
            self.sent.add(command_id)
            if attempt.outcome == "ok":
                self.acknowledged.add(command_id)


def drill(cluster: PatroniCluster, args: argparse.Namespace) -> None:
    settings = replace(bench_settings(cluster.url, "drill"), db_pool_size=6)
    print(f"cluster up: {cluster.url}; recording {args.orders} confirmed orders ...")
    order_ids, events_table = prepare(settings, args.orders)
    token = issue_token(settings, Role.AGENT, AGENT.id)
    env = service_env(settings)
    serve = partial(careledger_serve, workers=2)
    projector = Process("projections", careledger_command("project", "run"), env)
    projector.ready = lambda: "following" in projector.log.read_text(errors="replace")
    with Server("careledger", serve, env, ready_path="/readyz") as server, projector:
        tally, stop = Tally(), threading.Event()
        clients = [
            threading.Thread(target=client, args=(server.port, token, order_ids, i, tally, stop))
            for i in range(args.clients)
        ]
        for thread in clients:
            thread.start()
        try:
            table = f'"{settings.db_schema}"."{events_table}"'
            roots = {"service (2 workers)": pid(server), "projections": pid(projector)}
            killed_at = outage(cluster, args, tally, table, roots)
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=30)
        wait_projected(settings)
        show_bugs(server, tally)
    report(cluster, settings, events_table, tally, killed_at, args)


@dataclass(frozen=True)
class Steady:
    """The healthy cluster under the load, before the kill."""

    seconds: float
    events: int
    wal_bytes: int
    lag_bytes: list[int]  # the sync standby's replay position behind the primary's WAL
    lag_ms: list[float]  # its replay_lag (write, flush and apply of the last commits)
    cpu_s: dict[str, float]  # CPU seconds of each process tree over the window

    def line(self) -> str:
        lag_b, lag_ms = sorted(self.lag_bytes) or [0], sorted(self.lag_ms) or [0.0]
        return (
            f"before the kill: {self.events / self.seconds:.0f} events/s,"
            f" {self.wal_bytes / max(self.events, 1):,.0f} WAL bytes per event;"
            f" standby replay behind by p50 {percentile(lag_b, 50):,.0f} /"
            f" max {lag_b[-1]:,} bytes, replay_lag p50 {percentile(lag_ms, 50):.1f} /"
            f" max {lag_ms[-1]:.1f} ms ({len(self.lag_bytes)} samples)\n"
            "CPU ms per event over the window: "
            + ", ".join(
                f"{name} {1000 * spent / max(self.events, 1):.2f}"
                for name, spent in self.cpu_s.items()
            )
        )


def steady(
    cluster: PatroniCluster, table: str, seconds: float, roots: dict[str, int | None]
) -> Steady:
    primary, standby = cluster.primary(), cluster.sync_standby()
    assert primary is not None and standby is not None
    roots = {
        **roots,
        "primary PostgreSQL": primary.postmaster_pid(),
        "standby PostgreSQL": standby.postmaster_pid(),
    }
    cpu_before = tree_cpu(roots)
    lag_bytes: list[int] = []
    lag_ms: list[float] = []
    with psycopg.connect(primary.url, autocommit=True) as conn:
        head = f"SELECT pg_current_wal_lsn()::text, (SELECT max(notification_id) FROM {table})"
        lag = (
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn),"
            " coalesce(extract(epoch FROM replay_lag), 0) * 1000"
            " FROM pg_stat_replication WHERE sync_state = 'sync'"
        )
        started, first = time.monotonic(), conn.execute(head).fetchone()
        while time.monotonic() - started < seconds:
            time.sleep(0.5)
            for behind_bytes, behind_ms in conn.execute(lag).fetchall():
                lag_bytes.append(int(behind_bytes))
                lag_ms.append(float(behind_ms))
        last = conn.execute(head).fetchone()
        assert first is not None and last is not None
        wal = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)", (last[0], first[0])).fetchone()
    assert wal is not None
    events = int(last[1] or 0) - int(first[1] or 0)
    cpu = {name: spent - cpu_before[name] for name, spent in tree_cpu(roots).items()}
    return Steady(time.monotonic() - started, events, int(wal[0]), lag_bytes, lag_ms, cpu)


def outage(
    cluster: PatroniCluster,
    args: argparse.Namespace,
    tally: Tally,
    table: str,
    roots: dict[str, int | None],
) -> float:
    """Kills the node, waits for the cluster and the commands to come back; the kill's time."""
    time.sleep(2)  # the service's pools warm
    print(steady(cluster, table, args.before, roots).line())
    victim = cluster.sync_standby() if args.kill == "standby" else cluster.primary()
    assert victim is not None, f"no {args.kill} to kill"
    print(f"{len(tally.acknowledged)} acknowledged; SIGKILL {victim.name} ({args.kill}) ...")
    killed_at = time.monotonic()
    cluster.kill(victim, whole_node=args.kill != "postmaster")
    recover(cluster, args, victim)
    cluster.wait_for(lambda: succeeded_since(tally, killed_at) is not None, 180, "commands")
    time.sleep(args.after)
    if victim.process is None:
        print(f"{victim.name} rejoins ...")
        cluster.start_node(victim)
    waited = cluster.wait_for(lambda: cluster.sync_standby() is not None, 180, "the rejoin")
    print(f"{name(cluster.sync_standby())} streams as the synchronous standby after {waited:.1f} s")
    time.sleep(2)  # a little load on the healed cluster
    return killed_at


def recover(cluster: PatroniCluster, args: argparse.Namespace, victim: Node) -> None:
    """Until the cluster has a primary again (a promotion, or a restart in place)."""
    if args.kill == "primary":
        waited = cluster.wait_for(lambda: cluster.primary() not in (None, victim), 120, "promotion")
        print(f"promoted after {waited:.1f} s: {name(cluster.primary())}")
    elif args.kill == "postmaster":
        waited = cluster.wait_for(lambda: cluster.primary() is not None, 120, "a primary")
        print(f"primary again after {waited:.1f} s: {name(cluster.primary())}")
    else:
        time.sleep(args.standby_away)
        if args.strict:
            print(f"{victim.name} comes back (strict: commits wait for a synchronous standby) ...")
            cluster.start_node(victim)


def name(node: Node | None) -> str:
    return "none" if node is None else node.name


def pid(process: Process) -> int | None:
    return None if process.process is None else process.process.pid


def show_bugs(server: Server, tally: Tally) -> None:
    """An INTERNAL answer is a bug masked to the client: print what the service logged of it."""
    if any(a.outcome == "INTERNAL" for a in tally.attempts):
        text = server.log.read_text(errors="replace")
        print("INTERNAL answers; the service's log around its tracebacks:")
        for chunk in text.split("Traceback (most recent call last):")[1:4]:
            print("Traceback (most recent call last):" + chunk[:3000])


def succeeded_since(tally: Tally, moment: float) -> float | None:
    with tally.lock:
        ends = [a.ended for a in tally.attempts if a.outcome == "ok" and a.started >= moment]
    return min(ends) if ends else None


def client(
    port: int, token: str, orders: list[UUID], index: int, tally: Tally, stop: threading.Event
) -> None:
    """Closed loop: one command at a time, each retried with its id until acknowledged (or a
    definite refusal), through outages, until `stop`."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    turn = index
    while not stop.is_set():
        command_id, order_id = str(uuid4()), orders[turn % len(orders)]
        turn += 1
        body = json.dumps(
            {
                "query": QUERY,
                "variables": {
                    "input": {"orderId": str(order_id), "commandId": command_id, "eta": eta(turn)}
                },
            }
        )
        while True:
            started = time.monotonic()
            outcome = send(connection, body, headers)
            tally.record(command_id, Attempt(started, time.monotonic(), outcome))
            definite = outcome not in RETRIED and not outcome.startswith("HTTP 5")
            if definite or stop.is_set():
                break
            if outcome in SOCKET_ERRORS:
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
            time.sleep(RETRY_PAUSE_S)
    connection.close()


RETRIED = {"UNAVAILABLE", "OUTCOME_UNKNOWN", "socket"}
SOCKET_ERRORS = {"socket"}


def eta(turn: int) -> str:
    return f"2035-01-01T{turn // 3600 % 24:02d}:{turn // 60 % 60:02d}:{turn % 60:02d}+00:00"


def send(connection: http.client.HTTPConnection, body: str, headers: dict[str, str]) -> str:
    try:
        connection.request("POST", "/graphql", body, headers)
        answer = connection.getresponse()
        data = answer.read()
    except (OSError, http.client.HTTPException):
        return "socket"
    try:
        parsed = json.loads(data)
    except ValueError:
        return f"HTTP {answer.status}"
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    if errors:
        return str(errors[0].get("extensions", {}).get("code", f"HTTP {answer.status}"))
    result = (parsed.get("data") or {}).get("updateEta") or {}
    if answer.status == 200 and result.get("__typename") == "OrderChanged":
        return "ok"
    return str(result.get("__typename") or f"HTTP {answer.status}")


def wait_projected(settings: Settings, seconds: float = 120.0) -> None:
    """Until every view has applied the whole log (the runner keeps following it)."""
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        try:
            head = app.recorder.max_notification_id() or 0
            PatroniCluster.wait_for(lambda: behind(store, head) == [], seconds, "the views")
        finally:
            store.close()


def behind(store: ViewStore, head: int) -> list[str]:
    late = []
    with store.transaction() as tx:
        for projection in projections():
            generation = tracking.active_generation(tx, projection.name)
            if generation is None or tracking.position(tx, projection.name, generation) < head:
                late.append(projection.name)
    return late


def report(
    cluster: PatroniCluster,
    settings: Settings,
    events_table: str,
    tally: Tally,
    killed_at: float,
    args: argparse.Namespace,
) -> None:
    acked = sorted(tally.acknowledged)
    counts = stored_counts(settings, events_table, acked)
    found = sum(1 for c in acked if counts[c][0] >= 1 and counts[c][1] == 1)
    duplicated = sum(1 for c in acked if counts[c][0] > 1 or counts[c][1] > 1)
    back_at = succeeded_since(tally, killed_at)
    meanwhile = Counter(
        a.outcome
        for a in tally.attempts
        if killed_at <= a.ended and (back_at is None or a.started < back_at)
    )
    views = compare_views(settings)
    print()
    print(f"## Failover drill: kill the {args.kill}" + (" (strict)" if args.strict else ""))
    print()
    print("| figure | value |")
    print("|---|---|")
    print(f"| commands sent (distinct ids) | {len(tally.sent):,} |")
    print(f"| attempts | {len(tally.attempts):,} |")
    print(f"| acknowledged | {len(acked):,} |")
    print(f"| found after the failover | {found:,} |")
    print(f"| lost | {len(acked) - found} |")
    print(f"| duplicated | {duplicated} |")
    recovery = "never" if back_at is None else f"{back_at - killed_at:.1f} s"
    print(f"| kill → commands succeed again | {recovery} |")
    print(f"| answers meanwhile | {', '.join(f'{k} {v}' for k, v in meanwhile.most_common())} |")
    print(f"| views equal to a rebuild | {views} |")
    print(f"| old node rejoined | {cluster.sync_standby() is not None} |")


def stored_counts(
    settings: Settings, events_table: str, command_ids: list[str]
) -> dict[str, tuple[int, int]]:
    """Per command id: its events (the audit trail has a row for every stored event), and its
    receipts in the event store."""
    receipts = f'"{settings.db_schema}"."{events_table.removesuffix("_events")}_receipts"'
    store = open_view_store(settings)
    try:
        with store.transaction() as tx:
            generation = tracking.active_generation(tx, "audit_trail")
            assert generation is not None
            trail = tracking.prefix("audit_trail", generation) + "events"
            events = count_by_id(tx, trail, command_ids)
            claimed = count_by_id(tx, receipts, command_ids)
    finally:
        store.close()
    return {c: (events.get(c, 0), claimed.get(c, 0)) for c in command_ids}


def count_by_id(tx: Tx, table: str, command_ids: list[str]) -> dict[str, int]:
    rows = tx.all(
        f"SELECT command_id, count(*) FROM {table} WHERE command_id = ANY(?) GROUP BY command_id",
        (command_ids,),
    )
    return {str(row[0]): int(row[1]) for row in rows}


def compare_views(settings: Settings) -> str:
    """Every view's live tables against a generation built afresh from the whole log."""
    differing = []
    with CareLedger(settings) as app:
        store = open_view_store(settings)
        try:
            for projection in projections():
                if not same_as_rebuilt(app, store, projection):
                    differing.append(projection.name)
        finally:
            store.close()
    return "yes, all" if not differing else f"NO: {', '.join(differing)}"


def same_as_rebuilt(app: CareLedger, store: ViewStore, projection: Projection) -> bool:
    with store.transaction() as tx:
        live = tracking.active_generation(tx, projection.name)
        assert live is not None
        tracking.start_generation(tx, projection, live + 1)
    Runner(app, store, projection, generation=live + 1).catch_up()
    return dump(store, projection, live) == dump(store, projection, live + 1)


def dump(store: ViewStore, projection: Projection, generation: int) -> dict[str, list[Row]]:
    prefix = tracking.prefix(projection.name, generation)
    with store.transaction() as tx:
        return {
            table: sorted(tx.all(f"SELECT * FROM {prefix}{table}"), key=repr)
            for table in projection.tables()
        }


if __name__ == "__main__":
    main()
