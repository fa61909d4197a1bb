"""What the application knows about the request it is serving, for the audit trail.

The HTTP edge sets these for each request; commands run elsewhere (the CLI) leave them
empty. Context variables keep concurrent requests apart."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("tracedesk_request_id", default=None)
client_address: ContextVar[str | None] = ContextVar("tracedesk_client_address", default=None)
