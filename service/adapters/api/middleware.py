"""ASGI middleware written against the raw protocol: it runs on every request, and the
BaseHTTPMiddleware wrapper would cost more than the work it does."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any, Final, Protocol

import structlog
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import request_context
from service.adapters.api.problems import problem_bytes
from service.adapters.api.request_text import body_problems, query_problems, unprintable
from service.adapters.metrics import observe_request
from service.adapters.route_paths import route_path

REQUEST_ID_HEADER: Final = "x-request-id"
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = structlog.get_logger("tracedesk.access")


class RequestContext:
    """Gives every request an id (the caller's if it is sane, else a new one), puts it in
    the log context and on the response, and writes one access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        api = route_path(scope).startswith("/api/")

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message["headers"] = headers + _protective_headers(headers, api=api)
            await send(message)

        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        # For the audit trail. Behind a proxy this is the proxy's address unless uvicorn
        # is told to trust forwarded headers (--forwarded-allow-ips).
        client = scope.get("client")
        request_context.request_id.set(request_id)
        request_context.client_address.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )
            observe_request(scope["method"], _route_template(scope), status, seconds)
            structlog.contextvars.clear_contextvars()


def _protective_headers(
    headers: list[tuple[bytes, bytes]], *, api: bool
) -> list[tuple[bytes, bytes]]:
    """What every answer says unless it said otherwise: no type sniffing; and an API
    answer (tokens, case data, personal data) is not to be cached anywhere (RFC 6749
    5.1 asks it of the token endpoint). An answer that says how it may be cached (a
    photo) is left to say so."""
    names = {name.lower() for name, _value in headers}
    extra = [] if b"x-content-type-options" in names else [(b"x-content-type-options", b"nosniff")]
    if api and b"cache-control" not in names:
        extra += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
    return extra


def _route_template(scope: Scope) -> str | None:
    """The matched route's path template (`/api/v1/recoveries/{recovery_id}`); within
    the console, its own routes' templates. None when nothing matched."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    return template if isinstance(template, str) and template else None


def _route_pattern(path: str) -> re.Pattern[str]:
    """`/a/{id}/b` -> a pattern of the paths it names: each `{name}` is one segment."""
    parts = re.split(r"\{\w+\}", path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _ACCEPTABLE_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RefusalPages(Protocol):
    """Who answers the edge's refusals on the paths it serves as pages (the console)."""

    def owns(self, path: str) -> bool: ...

    def page(self, scope: Scope, status: int, problem: Mapping[str, Any]) -> Response: ...


# How long a body may stop arriving before the request is ended (408), as a reverse
# proxy's client_body_timeout would; the problem type's description says the same.
BODY_STALL_SECONDS: Final = 30.0


class BodySizeLimit:
    """Refuses bodies over the limit with 413 before the application reads them, whether
    the size is announced in Content-Length or only discovered while streaming.

    POSTs to the paths of `uploads` take files, each path with its own, larger limit: an
    exact path (`/api/v1/imports`), or a route's path whose `{name}` parts each stand for
    one segment (`/recoveries/{recovery_id}/items/{item_id}/photos`)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        uploads: Mapping[str, int] | None = None,
        pages: RefusalPages | None = None,
        stall_seconds: float | None = None,
    ) -> None:
        self.app = app
        self.pages = pages
        self.stall_seconds = BODY_STALL_SECONDS if stall_seconds is None else stall_seconds
        self.default_bytes = max_bytes
        given = dict(uploads or {})
        self.uploads = {path: limit for path, limit in given.items() if "{" not in path}
        self.upload_routes = [
            (_route_pattern(path), limit) for path, limit in given.items() if "{" in path
        ]

    def limit_for(self, method: str, path: str) -> int:
        """The largest body a request may send."""
        if method != "POST":
            return self.default_bytes
        exact = self.uploads.get(path)
        if exact is not None:
            return exact
        for pattern, limit in self.upload_routes:
            if pattern.fullmatch(path):
                return limit
        return self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], route_path(scope))
        for name, value in scope["headers"]:
            if name == b"content-length":
                # More than 18 digits is past any limit, and past what `int` reads quickly.
                if len(value) > 18 or not value.isdigit() or int(value) > limit:
                    await self._refuse(scope, send, limit)
                    return
                break
        received = 0
        too_large = stalled = body_read = refused = False

        async def limited_receive() -> Message:
            nonlocal received, too_large, stalled, body_read
            if too_large or stalled:
                return {"type": "http.disconnect"}
            if body_read:  # waiting for the client to leave, as streaming answers do
                return await receive()
            try:
                # A client that stops sending its body would hold its connection, and
                # what waits for the body, for good.
                async with asyncio.timeout(self.stall_seconds):
                    message = await receive()
            except TimeoutError:
                stalled = True
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_read = not message.get("more_body", False)
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        # A body cut short is told to the application as the client gone, never as a
        # body ended: what arrived of it may read as a whole request, which would be
        # stored while the answer says nothing was. The application's answer to the
        # disconnect, if it gives one, is replaced by the refusal.
        async def refuse() -> None:
            nonlocal refused
            refused = True
            if stalled:
                body = _problem(scope, "request-timeout")
                await _send_problem(scope, send, 408, body, self.pages, close=True)
            else:
                await self._refuse(scope, send, limit)

        async def guarded_send(message: Message) -> None:
            if not (too_large or stalled):
                await send(message)
            elif message["type"] == "http.response.start" and not refused:
                await refuse()

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not (too_large or stalled):
                raise
        if (too_large or stalled) and not refused:
            await refuse()

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        body = _problem(
            scope, "payload-too-large", detail=f"the request body exceeds {limit} bytes"
        )
        await _send_problem(scope, send, 413, body, self.pages, close=True)


_FORM = b"application/x-www-form-urlencoded"


class StorableText:
    """Refuses text that cannot be stored, or read one way only, before any of it reaches
    a use case, naming where it is (request_text): in the path, a control character (404:
    nothing has such a name); in a query parameter, bytes that are not UTF-8 or a control
    character (422); in a JSON or form body, bytes that are not UTF-8, NUL or a lone
    surrogate, or a JSON member named twice in one object (422)."""

    def __init__(self, app: ASGIApp, pages: RefusalPages | None = None) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if unprintable(scope["path"]):
            await _send_problem(scope, send, 404, _problem(scope, "not-found"), self.pages)
            return
        errors = query_problems(scope["query_string"])
        content_type = _content_type(scope)
        if not errors and scope["method"] in ("POST", "PUT", "PATCH") and _read_here(content_type):
            body, receive = await _buffered(receive)
            # The API's forms (signing in) take each field once; the console's forms
            # repeat some (a role for each box ticked).
            errors = body_problems(
                body, form=content_type == _FORM, fields_once=route_path(scope).startswith("/api/")
            )
        if errors:
            problem = _problem(scope, "validation-error", errors=errors)
            await _send_problem(scope, send, 422, problem, self.pages)
            return
        await self.app(scope, receive, send)


def _content_type(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower()
    return b""


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (BodySizeLimit bounds it), and a receive that hands it over again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", receive
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _read_here(content_type: bytes) -> bool:
    """Whether a body of this type is checked here: forms and JSON (a body without a
    type is read as JSON too, as FastAPI does). Other bodies (multipart forms, files) are
    checked where they are read, and not held in memory here first."""
    return content_type in (_FORM, b"", b"application/json") or content_type.endswith(b"+json")


def _problem(scope: Scope, slug: str, **fields: Any) -> bytes:
    """A problem about this request, naming it (its path and id)."""
    request_id = scope.get("state", {}).get("request_id")
    return problem_bytes(slug, instance=scope["path"], request_id=request_id, **fields)


async def _send_problem(
    scope: Scope,
    send: Send,
    status: int,
    problem: bytes,
    pages: RefusalPages | None,
    *,
    close: bool = False,
) -> None:
    """The problem document; or, on a path whose answers are pages (a console form sent
    with a control character, or too large), the page a person reads there."""
    if pages is not None and pages.owns(route_path(scope)):
        page = pages.page(scope, status, json.loads(problem))
        if close:
            page.headers["connection"] = "close"
        await page(scope, _nothing_more, send)
        return
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(problem)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": problem})


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}
