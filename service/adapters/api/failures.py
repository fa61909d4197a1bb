"""Errors no handler takes, answered as problem documents (see error_boundary.py)."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from service.adapters.api.problems import problem_bytes
from service.adapters.availability import Unavailable
from service.adapters.error_boundary import ErrorBoundary


class UnexpectedErrors(ErrorBoundary):
    """503 problem with Retry-After for a database that cannot serve now, 500 problem
    for anything else; neither says more than the problem type and the request id."""

    async def answer(
        self, scope: Scope, receive: Receive, send: Send, unavailable: Unavailable | None
    ) -> None:
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
            body = problem_bytes("internal-error", instance=scope["path"], request_id=request_id)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
