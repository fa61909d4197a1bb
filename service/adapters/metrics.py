"""Prometheus metrics: what operators watch and alert on.

Requests by route template (never the raw path, whose ids would make every request a
series of its own), sign-in failures, calls to registries and peers by outcome, the
database pool, and, read when scraped, the outbox backlog per topic and the audit
chain's head. With several server processes (`--processes`), each writes its figures
to PROMETHEUS_MULTIPROC_DIR and a scrape adds them up, whichever process answers it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service.domain.ports.background import OutboxBacklog

MULTIPROCESS_DIRECTORY: Final = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

REQUESTS: Final = Histogram(
    "tracedesk_http_request_duration_seconds",
    "Time to answer a request, by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SIGN_IN_FAILURES: Final = Counter(
    "tracedesk_sign_in_failures_total",
    "Sign-ins refused (wrong credentials) or paused (too many attempts)",
    ["channel", "status"],
)
REMOTE_CALLS: Final = Counter(
    "tracedesk_remote_calls_total",
    "Calls to registries and peers, by their configured name and outcome",
    ["remote", "outcome"],
)
POOL_CONNECTIONS: Final = Gauge(
    "tracedesk_db_pool_connections",
    "PostgreSQL connections of the serving pools, open and idle",
    ["state"],
    multiprocess_mode="livesum",
)
# Sign-in routes: the API's token endpoint and the console's form.
_SIGN_IN_ROUTES: Final = {"/api/v1/auth/token": "api", "/sign-in": "console"}


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route or "unmatched", str(status)).observe(seconds)
    channel = _SIGN_IN_ROUTES.get(route or "")
    if channel is not None and method == "POST" and status in (401, 429):
        SIGN_IN_FAILURES.labels(channel, str(status)).inc()


def observe_pool(size: int, idle: int) -> None:
    POOL_CONNECTIONS.labels("open").set(size)
    POOL_CONNECTIONS.labels("idle").set(idle)


def observe_remote_call(remote: str, outcome: str) -> None:
    REMOTE_CALLS.labels(remote, outcome).inc()


class StoredState(Collector):
    """Figures read from the database when scraped: the same in every process."""

    def __init__(
        self, backlog: Iterable[OutboxBacklog], audit_head: int, now: datetime | None = None
    ) -> None:
        self._backlog = list(backlog)
        self._audit_head = audit_head
        self._now = now or datetime.now(UTC)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "tracedesk_outbox_waiting", "Outbox messages still to be handled", labels=["topic"]
        )
        failed = GaugeMetricFamily(
            "tracedesk_outbox_failed", "Outbox messages set aside for good", labels=["topic"]
        )
        oldest = GaugeMetricFamily(
            "tracedesk_outbox_oldest_waiting_seconds",
            "Age of the oldest outbox message still to be handled",
            labels=["topic"],
        )
        for topic in self._backlog:
            waiting.add_metric([topic.topic], topic.waiting)
            failed.add_metric([topic.topic], topic.failed)
            age = (
                (self._now - topic.oldest_waiting).total_seconds()
                if topic.oldest_waiting is not None
                else 0.0
            )
            oldest.add_metric([topic.topic], max(age, 0.0))
        yield waiting
        yield failed
        yield oldest
        yield GaugeMetricFamily(
            "tracedesk_audit_chain_head",
            "Sequence number of the newest audit event",
            value=self._audit_head,
        )


def exposition(stored: StoredState) -> bytes:
    """The text a scrape reads: this process's figures, or every process's when
    several share the port, and the stored state."""
    if MULTIPROCESS_DIRECTORY in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY as registry
    scrape = CollectorRegistry()
    scrape.register(stored)
    return generate_latest(registry) + generate_latest(scrape)
