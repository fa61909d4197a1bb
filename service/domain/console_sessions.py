"""A person's session in the web console: kept on the server, named by a random secret
in a cookie (only its digest is stored), ended by signing out, by idleness, by its
lifetime, or when the person is disabled or changes their password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from service.domain.identity import SecurityPolicy

# A session's last use is written at most this often: a page that makes five requests
# does not make five writes, and idleness is still measured to the minute.
TOUCH_EVERY: Final = timedelta(minutes=1)


@dataclass
class ConsoleSession:
    id: UUID
    user_id: UUID
    digest: str
    started_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None = None
    address: str | None = None

    def live(self, now: datetime, policy: SecurityPolicy) -> bool:
        return (
            self.ended_at is None
            and now - self.last_seen_at < policy.session_idle
            and now - self.started_at < policy.session_lifetime
        )

    def due_for_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY
