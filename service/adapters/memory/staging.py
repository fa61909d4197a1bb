"""What an in-memory unit of work writes at commit: every repository stages the same way."""

from __future__ import annotations

from collections.abc import Callable

from service.domain.events import DomainEvent
from service.domain.ports.unit_of_work import EventSource, take_events

Change = Callable[[], None]


class Staging:
    """Checks that may refuse the commit (stale versions, taken keys), run before any
    write; writes, applied in order; and the aggregates whose events are collected."""

    def __init__(self) -> None:
        self.checks: list[Change] = []
        self.writes: list[Change] = []
        self.seen: list[EventSource] = []
        self.recorded: list[DomainEvent] = []

    def check(self, check: Change) -> None:
        self.checks.append(check)

    def write(self, change: Change) -> None:
        self.writes.append(change)

    def saw(self, aggregate: EventSource) -> None:
        self.seen.append(aggregate)

    def events(self) -> list[DomainEvent]:
        events = take_events(self.seen, self.recorded)
        self.seen.clear()
        return events

    def apply(self) -> None:
        checks, writes = self.checks, self.writes
        self.clear()
        for check in checks:
            check()
        for write in writes:
            write()

    def clear(self) -> None:
        self.checks, self.writes = [], []
        self.seen.clear()
        self.recorded.clear()
