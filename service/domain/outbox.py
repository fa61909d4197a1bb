"""The transactional outbox: work to do after a change, recorded with the change.

A message is written in the same unit of work as the change that calls for it, so it
exists if and only if the change does. Workers lease messages, do the work and mark them
done; work that fails is retried later with a growing, jittered delay. Delivery is at
least once: every handler must be idempotent.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

REGISTRY_CHECK: Final = "registry.check"
TRACE_DELIVERY: Final = "trace.deliver"
NETWORK_LINK: Final = "network.link"

# Topics whose ordering key keeps their work from running twice at once, not in an order
# its messages depend on: all linking is one key so that it never races itself, and each
# message links from the facts as they are. A message of theirs that fails steps aside,
# behind the others of its key, instead of holding every one of them up through all its
# retries (hours, with the backoff). Trace deliveries keep their place: a request's steps
# must reach the peer in order.
STEPS_ASIDE_ON_FAILURE: Final = frozenset({NETWORK_LINK})


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: UUID
    topic: str
    payload: Mapping[str, Any]
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    # Messages with the same key are handled one at a time, in the order they were
    # written (the steps of one trace request must reach the peer in order).
    ordering_key: str | None = None
    # What the work is about (`recovery:<id>`), to tell how that record's work is going.
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class HandlingFailed:
    """Why a message could not be handled, and whether trying later may help; when not,
    it is set aside at once for a person to look at."""

    reason: str
    permanent: bool = False


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A message as an operator sees it: waiting (maybe after failed attempts), done,
    or set aside as failed."""

    message: OutboxMessage
    available_at: datetime
    done_at: datetime | None
    failed_at: datetime | None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter; after `max_attempts` the message is set aside as
    failed (kept, visible, never silently dropped)."""

    first_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 20
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempts: int) -> timedelta:
        """The wait before attempt `attempts + 1`, `attempts` having failed."""
        doublings = min(max(attempts - 1, 0), 40)
        base = min(self.first_delay * (1 << doublings), self.max_delay)
        spread = 1 + self.rng.uniform(-self.jitter, self.jitter)
        return base * spread

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
