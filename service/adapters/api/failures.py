"""The one place an error no handler took becomes an answer.

Starlette's own catch-all (an exception handler for `Exception`) runs in its outermost
middleware, which answers and then raises again: uvicorn logs a second traceback and
drops the connection without saying so, and a client that sent a POST cannot tell
whether it landed. Caught here instead, inside the middleware stack, every such error is
logged once and answered, on a connection that stays usable.
"""

from __future__ import annotations

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.adapters.api.problems import problem_bytes
from service.adapters.availability import unavailability

log = structlog.get_logger("tracedesk.api")


class UnexpectedErrors:
    """A database that cannot serve now (down, restarting, failing over, read-only) is a
    503 with Retry-After, logged as one line; anything else a 500 with its traceback.
    Neither says more than the problem type and the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
                    "database unavailable",
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
            request_id = scope.get("state", {}).get("request_id")
            headers = [(b"content-type", b"application/problem+json")]
            if unavailable is not None:
                status = 503
                body = problem_bytes(
                    "service-unavailable",
                    detail=unavailable.detail,
                    instance=scope["path"],
                    request_id=request_id,
                )
                headers.append((b"retry-after", str(unavailable.retry_after_seconds).encode()))
            else:
                status = 500
                body = problem_bytes(
                    "internal-error", instance=scope["path"], request_id=request_id
                )
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
