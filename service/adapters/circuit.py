"""A circuit breaker: after repeated failures a peer is left alone for a while, so a dead
peer costs one fast refusal instead of a timeout on every call."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls are refused at once
    HALF_OPEN = "half_open"  # one trial call decides


class CircuitBreaker:
    def __init__(
        self,
        *,
        failures_to_open: int = 5,
        open_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._failures_to_open = failures_to_open
        self._open_seconds = open_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self._open_seconds:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def allows(self) -> bool:
        """Whether a call may go out now. In half-open state only one trial at a time."""
        state = self.state
        if state is CircuitState.CLOSED:
            return True
        if state is CircuitState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def probe_succeeded(self) -> None:
        """The peer's health check answered while the circuit was open: the next call is
        the trial, now rather than at the end of the open period."""
        if self._opened_at is not None:
            self._opened_at = self._clock() - self._open_seconds

    def succeeded(self) -> None:
        self._failures, self._opened_at, self._trial_running = 0, None, False

    def failed(self) -> None:
        self._trial_running = False
        if self._opened_at is not None:  # the trial failed: stay open for another period
            self._opened_at = self._clock()
            return
        self._failures += 1
        if self._failures >= self._failures_to_open:
            self._opened_at = self._clock()
