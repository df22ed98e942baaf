"""Latency of one request at a time: over HTTP on one keep-alive connection, or in-process."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from dataclasses import dataclass
from statistics import fmean
from time import perf_counter

from bench.serving import percentile

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Latencies:
    values: list[float]  # milliseconds, sorted
    last_body: str = ""

    @property
    def p50(self) -> float:
        return percentile(self.values, 50)

    @property
    def p99(self) -> float:
        return percentile(self.values, 99)

    @property
    def mean(self) -> float:
        return fmean(self.values) if self.values else float("nan")


def time_http(
    host: str, port: int, body: str | None, headers: dict[str, str], warmup: int, count: int
) -> Latencies:
    """POSTs `body` to /graphql (GETs /healthz when None) warmup + count times; every answer
    must be a 200 without GraphQL errors."""
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
    values: list[float] = []
    data = b""
    try:
        for turn in range(warmup + count):
            started = perf_counter()
            if body is None:
                connection.request("GET", "/healthz")
            else:
                connection.request("POST", "/graphql", body=body.encode(), headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            elapsed = perf_counter() - started
            if answer.status != 200 or b'"errors"' in data:
                raise RuntimeError(f"unexpected answer {answer.status}: {data[:500]!r}")
            if turn >= warmup:
                values.append(elapsed * 1e3)
    finally:
        connection.close()
    return Latencies(sorted(values), data.decode())


def time_local(read: Callable[[], object], warmup: int, count: int) -> Latencies:
    values: list[float] = []
    for turn in range(warmup + count):
        started = perf_counter()
        read()
        if turn >= warmup:
            values.append((perf_counter() - started) * 1e3)
    return Latencies(sorted(values))
