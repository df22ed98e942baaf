"""The probe of bench/live.py: complaints filed one at a time at a steady pace, and two watchers
noting when each one shows up, each on a thread of its own so that none waits for another: the
views' tracked positions read from the database, and the dashboard pushed over
graphql-transport-ws. Every time is `time.perf_counter()` in this process, in seconds.
"""

from __future__ import annotations

import bisect
import http.client
import json
import math
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Self

import psycopg
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.serving import HOST

TIMEOUT_S = 30.0
READ_WAIT_S = 2.0  # how long the service waits for atPosition before NOT_CAUGHT_UP
FILE = (
    "mutation Probe($input: FileComplaintInput!) { fileComplaint(input: $input)"
    " { __typename ... on ComplaintChanged { written { position } } } }"
)
REGISTER = (
    "mutation Caller($input: RegisterCustomerInput!) { registerCustomer(input: $input)"
    " { __typename ... on CustomerChanged { customer { customerId } } } }"
)
READ_AT = (
    "query Seen($from: DateTime!, $to: DateTime!, $at: Int)"
    " { complaintDashboard(from: $from, to: $to, atPosition: $at) { received } }"
)
WATCH = (
    "subscription Board($from: DateTime!, $to: DateTime!)"
    " { complaintDashboardUpdates(from: $from, to: $to) { received } }"
)
POSITIONS = (
    "SELECT t.projection, t.position FROM {schema}.projection_tracking t"
    " JOIN {schema}.projection_generations g"
    " ON g.projection = t.projection AND g.active = t.generation"
)


@dataclass
class Filed:
    """One probe: the n-th complaint filed, when it was sent and answered, and its position."""

    n: int
    sent: float
    acked: float  # the mutation's response received by the client
    position: int
    read_at: float | None = None  # complaintDashboard(atPosition) answered counting it


class Timeline:
    """A value that only grows, noted each time it grew: when it first reached a level."""

    def __init__(self) -> None:
        self.points: list[tuple[float, int]] = []  # appended whole: safe to read from a thread

    def add(self, at: float, value: int) -> None:
        if not self.points or value > self.points[-1][1]:
            self.points.append((at, value))

    def reached(self, level: int) -> float | None:
        i = bisect.bisect_left(self.points, level, key=lambda point: point[1])
        return self.points[i][0] if i < len(self.points) else None

    @property
    def last(self) -> int:
        return self.points[-1][1] if self.points else -1


def positions(connection: psycopg.Connection[Any], schema: str) -> dict[str, int]:
    """Each view's tracked position in its active generation."""
    rows = connection.execute(POSITIONS.format(schema=f'"{schema}"')).fetchall()
    return {str(name): int(position) for name, position in rows}


class Watcher:
    """A thread of its own until `close()`; an error in it is raised again by `check()`."""

    def __init__(self, name: str) -> None:
        self.stopped = threading.Event()
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._guarded, daemon=True, name=name)

    def _guarded(self) -> None:
        try:
            self.watch()
        except Exception as error:  # handed to the main thread by check()
            self.error = error

    def watch(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def check(self) -> None:
        if self.error is not None:
            raise RuntimeError(f"{self.thread.name} failed: {self.error!r}") from self.error

    def close(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(TIMEOUT_S)


class PositionWatch(Watcher):
    """Reads every view's tracked position every `interval` s, on a connection of its own."""

    def __init__(self, url: str, schema: str, interval: float) -> None:
        super().__init__("bench-positions")
        self.url, self.schema, self.interval = url, schema, interval
        self.views: defaultdict[str, Timeline] = defaultdict(Timeline)

    def watch(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self.stopped.is_set():
                found = positions(connection, self.schema)
                now = time.perf_counter()
                for name, position in found.items():
                    self.views[name].add(now, position)
                time.sleep(self.interval)


class BoardWatch(Watcher):
    """Subscribed to complaintDashboardUpdates: when each count of received complaints came."""

    def __init__(self, port: int, token: str, window: dict[str, str]) -> None:
        super().__init__("bench-dashboard-subscription")
        self.received = Timeline()
        self.socket: ClientConnection = connect(
            f"ws://{HOST}:{port}/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            open_timeout=TIMEOUT_S,
        )
        try:
            self.base = self._subscribe(token, window)  # the dashboard's count before any probe
        except BaseException:
            self.socket.close()
            raise

    def _subscribe(self, token: str, window: dict[str, str]) -> int:
        self._send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        self._expect("connection_ack")
        self._send(
            {"id": "1", "type": "subscribe", "payload": {"query": WATCH, "variables": window}}
        )
        return self._count(self._expect("next"))

    def _send(self, message: dict[str, Any]) -> None:
        self.socket.send(json.dumps(message))

    def _expect(self, kind: str) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.socket.recv(timeout=TIMEOUT_S))
        if message.get("type") != kind:
            raise RuntimeError(f"expected {kind!r} on the subscription, got {message}")
        return message

    @staticmethod
    def _count(message: dict[str, Any]) -> int:
        if message["payload"].get("errors"):
            raise RuntimeError(f"the subscription answered errors: {message['payload']['errors']}")
        return int(message["payload"]["data"]["complaintDashboardUpdates"]["received"])

    def watch(self) -> None:
        while not self.stopped.is_set():
            try:
                raw = self.socket.recv(timeout=0.2)
            except TimeoutError:
                continue
            now = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "next":
                raise RuntimeError(f"the subscription ended: {message}")
            self.received.add(now, self._count(message))

    def close(self) -> None:
        super().close()
        self.socket.close()


class Client:
    """GraphQL over one keep-alive HTTP connection; any answer but a 200 without errors (other
    than NOT_CAUGHT_UP) is an error."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_S)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def post(
        self, query: str, variables: dict[str, Any], *, reconnect: bool = False
    ) -> dict[str, Any]:
        """`reconnect`: a query, sent again once on a keep-alive connection the server closed
        while it was idle (never a mutation: it may have been recorded)."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        try:
            self.connection.request("POST", "/graphql", body=body, headers=self.headers)
            answer = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            if not reconnect:
                raise
            self.connection.close()
            self.connection.request("POST", "/graphql", body=body, headers=self.headers)
            answer = self.connection.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"unexpected answer {answer.status}: {data[:500]!r}")
        parsed: dict[str, Any] = json.loads(data)
        if "errors" in parsed and "NOT_CAUGHT_UP" not in str(parsed["errors"]):
            raise RuntimeError(f"unexpected errors: {parsed['errors']}")
        return parsed

    def close(self) -> None:
        self.connection.close()


class Prober:
    """Files a complaint every `interval` s, one at a time on one connection (so the n-th
    complaint is the n-th in the log), and after each answer reads the dashboard with
    atPosition on a connection of a reader thread, as a read-your-writes client would."""

    def __init__(self, port: int, token: str, window: dict[str, str], base: int) -> None:
        self.port, self.token, self.window, self.base = port, token, window, base
        self.client = Client(port, token)
        self.customer = self._register()
        self.local = threading.local()
        self.readers: list[Client] = []

    def run(self, seconds: float, interval: float, checks: list[Watcher]) -> list[Filed]:
        filed: list[Filed] = []
        pool = ThreadPoolExecutor(math.ceil(READ_WAIT_S / interval) + 2, "bench-read-at")
        reads: list[Future[None]] = []
        try:
            deadline = time.perf_counter() + seconds
            next_send = time.perf_counter()
            while next_send < deadline and len(filed) < seconds / interval + 1:
                time.sleep(max(0.0, next_send - time.perf_counter()))
                filed.append(self.file(len(filed) + 1))
                reads.append(pool.submit(self.read_at, filed[-1]))
                for watcher in checks:
                    watcher.check()
                next_send = max(filed[-1].sent + interval, time.perf_counter())
            for read in reads:
                read.result(timeout=TIMEOUT_S)
        finally:
            pool.shutdown(cancel_futures=True)
            for client in (self.client, *self.readers):
                client.close()
        return filed

    def _register(self) -> str:
        """The probe's caller, registered: a complaint names a registered customer."""
        contact = {"name": "Probe", "phone": "+86 138 0000 0000"}
        data = self.client.post(REGISTER, {"input": {"contact": contact}})
        answer = data["data"]["registerCustomer"]
        if answer["__typename"] != "CustomerChanged":
            raise RuntimeError(f"the probe's caller was not registered: {answer}")
        return str(answer["customer"]["customerId"])

    def file(self, n: int) -> Filed:
        variables = {
            "input": {"customerId": self.customer, "content": f"probe {n}", "channel": "PHONE"}
        }
        sent = time.perf_counter()
        data = self.client.post(FILE, variables)
        acked = time.perf_counter()
        answer = data["data"]["fileComplaint"]
        if answer["__typename"] != "ComplaintChanged":
            raise RuntimeError(f"probe {n} was refused: {answer}")
        return Filed(n, sent, acked, int(answer["written"]["position"]))

    def read_at(self, filed: Filed) -> None:
        variables = {**self.window, "at": filed.position}
        data = self._reader().post(READ_AT, variables, reconnect=True)
        answered = time.perf_counter()
        if "errors" in data:
            return  # NOT_CAUGHT_UP: the service gave up waiting, so missed
        received = int(data["data"]["complaintDashboard"]["received"])
        if received < self.base + filed.n:
            raise RuntimeError(f"atPosition {filed.position} answered without probe {filed.n}")
        filed.read_at = answered

    def _reader(self) -> Client:
        """This reader thread's own connection."""
        client: Client | None = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = Client(self.port, self.token)
            self.readers.append(client)
        return client
