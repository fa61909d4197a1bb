"""The one place an error no handler took becomes an answer, for the API and the console.

Starlette's own catch-all (an exception handler for `Exception`) runs in its outermost
middleware, which answers and then raises again: uvicorn logs a second traceback and
drops the connection without saying so, and a client that sent a POST cannot tell
whether it landed. Caught inside the middleware stack instead, every such error is
logged once and answered on a connection that stays usable: a database that cannot
serve now (down, restarting, failing over, read-only) with 503 and Retry-After, logged
as one line; anything else with 500 and its traceback. What the answer looks like (a
problem document, a page) is the adapter's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.adapters.availability import Unavailable, unavailability

log = structlog.get_logger("tracedesk.errors")


class ErrorBoundary(ABC):
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @abstractmethod
    async def answer(
        self, scope: Scope, receive: Receive, send: Send, unavailable: Unavailable | None
    ) -> None:
        """Send the 503 (`unavailable`) or the 500 answer; the error is logged already."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:
            unavailable = unavailability(error)
            if unavailable is not None:
                log.warning(
                    f"{unavailable.what.removeprefix('the ')} unavailable",
                    reason=unavailable.reason,
                    error_type=type(error).__name__,
                )
            else:
                log.exception("unhandled error", error_type=type(error).__name__)
            if started:
                # Half an answer is out: only ending the connection says it failed, which
                # the server does when the application returns with the answer unfinished
                # (one line, not the second traceback raising again would log).
                return
            await self.answer(scope, receive, send, unavailable)
