"""Prometheus metrics of one service: requests, errors, commands, and how far each view lags."""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.http import Exchange, error_body
from api.services import Services
from projections.catalog import CATALOG
from projections.engine.read_routing import ReadRouting

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

VIEW_POSITIONS = (
    "SELECT g.projection, t.position FROM projection_generations g"
    " JOIN projection_tracking t ON t.projection = g.projection AND t.generation = g.active"
)


class Metrics:
    """One registry per app, so every app a process builds (tests build many) counts alone."""

    def __init__(self, services: Services) -> None:
        self.settings = services.settings
        self.registry = CollectorRegistry()
        labels = ["operation_type", "outcome"]
        self.requests = Counter(
            "careledger_graphql_requests",
            "GraphQL HTTP requests by operation type and outcome",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "careledger_graphql_request_seconds",
            "Time to answer a GraphQL HTTP request",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "careledger_graphql_errors",
            "Top-level GraphQL errors by code",
            ["code"],
            registry=self.registry,
        )
        self.commands = Counter(
            "careledger_commands",
            "Application commands by name and result (ok, replayed, or the problem's type)",
            ["command", "result"],
            registry=self.registry,
        )
        self.command_latency = Histogram(
            "careledger_command_seconds",
            "Time an application command took, in the thread pool",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(LogPositions(services))

    def request(self, exchange: Exchange, seconds: float) -> None:
        if exchange.outcome is None:
            return  # not a GraphQL request (the GraphiQL page)
        self.requests.labels(exchange.operation, exchange.outcome).inc()
        self.latency.labels(exchange.operation, exchange.outcome).observe(seconds)
        for code in exchange.codes:
            self.errors.labels(code).inc()

    def command(self, name: str, result: str, seconds: float) -> None:
        self.commands.labels(name, result).inc()
        self.command_latency.labels(name).observe(seconds)

    async def endpoint(self, request: Request) -> Response:
        refusal = self._refusal(request.headers.get("authorization"))
        if refusal is not None:
            return refusal
        body = await run_in_threadpool(generate_latest, self.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    def _refusal(self, header: str | None) -> Response | None:
        """Per-command counts are operational detail: in production only a scraper holding
        CARELEDGER_METRICS_TOKEN reads them."""
        settings = self.settings
        expected = settings.metrics_token
        if expected is None:
            return _metrics_refused(403, NO_METRICS_TOKEN) if settings.is_production else None
        offered = (header or "").removeprefix("Bearer ").strip()
        if hmac.compare_digest(offered.encode(), expected.encode()):
            return None
        return _metrics_refused(401, "send the metrics token as `Authorization: Bearer <token>`")


NO_METRICS_TOKEN = "set CARELEDGER_METRICS_TOKEN to scrape /metrics in production"


def _metrics_refused(status: int, message: str) -> Response:
    code = "UNAUTHENTICATED" if status == 401 else "FORBIDDEN"
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


class LogPositions(Collector):
    """Read at scrape time: the event log's head, and each view's position and lag behind it.
    A view the store has never seen stands at 0."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        head = self.services.ledger.recorder.max_notification_id() or 0
        with self.services.views.transaction() as tx:
            positions = {str(name): int(position) for name, position in tx.all(VIEW_POSITIONS)}
        yield GaugeMetricFamily(
            "careledger_event_log_head", "Position of the last event in the log", value=head
        )
        position = GaugeMetricFamily(
            "careledger_projection_position",
            "Last log position a view has applied",
            labels=["view"],
        )
        lag = GaugeMetricFamily(
            "careledger_projection_lag_events",
            "Log positions a view is behind the head",
            labels=["view"],
        )
        for name in sorted({*CATALOG, *positions}):
            at = positions.get(name, 0)
            position.add_metric([name], at)
            lag.add_metric([name], max(head - at, 0))
        yield position
        yield lag
        if isinstance(self.services.views, ReadRouting):
            yield from replica_metrics(self.services.views)


def replica_metrics(routing: ReadRouting) -> Iterator[Metric]:
    """The hot standby the queries read from: whether it serves, and how far behind it is."""
    health = routing.health
    yield GaugeMetricFamily(
        "careledger_read_replica_up", "Whether the read replica answers", value=int(health.up)
    )
    yield GaugeMetricFamily(
        "careledger_read_replica_serving",
        "Whether queries read from the replica now (reachable and within the allowed lag)",
        value=int(routing.serving()),
    )
    if health.lag_s is not None:
        yield GaugeMetricFamily(
            "careledger_read_replica_lag_seconds",
            "Age of the oldest primary WAL position the replica has not replayed",
            value=health.lag_s,
        )
    if health.lag_bytes is not None:
        yield GaugeMetricFamily(
            "careledger_read_replica_lag_bytes",
            "WAL bytes the replica has not replayed",
            value=health.lag_bytes,
        )
    reads = CounterMetricFamily(
        "careledger_view_reads",
        "View store transactions by the server that served them",
        labels=["target"],
    )
    for target, count in sorted(routing.reads.items()):
        reads.add_metric([target], count)
    yield reads
