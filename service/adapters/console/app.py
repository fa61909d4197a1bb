"""The web console: an application of its own, mounted under `/` beside the API.

It has its own error pages (HTML, with the request id) and its own security headers;
the API keeps its problem documents, its 404s and its 405s: the console is never asked
about a path the API owns (ConsoleMount).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.adapters.availability import FILE_STORE, Unavailable
from service.adapters.console.dependencies import page_values, read_for
from service.adapters.console.domain_messages import said_to_reader
from service.adapters.console.i18n import gettext_ as _
from service.adapters.console.rendering import is_htmx, page
from service.adapters.console.routes import (
    account,
    admin,
    dashboard,
    networks,
    photos,
    recording,
    recoveries,
    responding,
    statistics,
    traces,
)
from service.adapters.console.sessions import ForgedRequest, SignInRequired
from service.adapters.error_boundary import ErrorBoundary
from service.adapters.route_paths import route_path
from service.domain.errors import (
    Conflict,
    Forbidden,
    IllegalTransition,
    InvalidValue,
    NotFound,
    StaleVersion,
    TooManyAttempts,
    ValidationFailed,
)

STATIC_DIR: Final = Path(__file__).with_name("static")
log = structlog.get_logger("tracedesk.console")

# Only this service's own origin, for everything; no inline script or style at all.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS: Final = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Every console answer carries the policy; pages (not static files) are not cached:
    they hold case data, and a shared computer's back button must not show them. An
    answer that says how it may be cached (a photo) is left to say so."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *_SECURITY_HEADERS]
                if not static and all(name != b"cache-control" for name, _value in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UnexpectedErrors(ErrorBoundary):
    """The console's answers to errors no page handles (see error_boundary.py): the 503
    page for a database that cannot serve now, the 500 page for anything else, both
    with the request id."""

    async def answer(
        self, scope: Scope, receive: Receive, send: Send, unavailable: Unavailable | None
    ) -> None:
        request = Request(scope)
        read_for(request, None, None)  # the reader's language, before any text is chosen
        if unavailable is FILE_STORE:
            response = _error_page(
                request,
                503,
                _("tracedesk cannot store files now"),
                _(
                    "Its file store is full or cannot be written to; the logs tell its "
                    "administrators. Nothing was saved: send it again later."
                ),
            )
        elif unavailable is not None:
            response = _error_page(
                request,
                503,
                _("tracedesk cannot reach its database"),
                _(
                    "This is usually over in seconds (a restart or a failover). What "
                    "you sent may not have been saved: look before you send it again."
                ),
            )
        if unavailable is not None:
            response.headers["Retry-After"] = str(unavailable.retry_after_seconds)
        else:
            response = _error_page(
                request,
                500,
                _("Something went wrong on our side"),
                _(
                    "Nothing you did caused this. If it happens again, give the request "
                    "id below to your administrator."
                ),
            )
        await response(scope, receive, send)


class ConsoleMount(Mount):
    """Mounted at the root, but blind to the paths of the application it sits in, so
    that those keep their own not-found and method-not-allowed answers."""

    def __init__(self, app: ASGIApp, reserved: Iterable[str]) -> None:
        super().__init__("", app=app)
        self._reserved = tuple(reserved)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.owns(route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)

    def owns(self, path: str) -> bool:
        return not any(path == prefix or path.startswith(prefix + "/") for prefix in self._reserved)


class ConsoleRefusals:
    """The console's pages for what the edge refuses before any page runs (a control
    character in a form or an address, a body too large): the page a person reads
    anywhere else in the console, in their language, not a problem document."""

    def __init__(self, mount: ConsoleMount) -> None:
        self._mount = mount

    def owns(self, path: str) -> bool:
        return self._mount.owns(path)

    def page(self, scope: Scope, status: int, problem: Mapping[str, Any]) -> Response:
        request = Request(scope)
        read_for(request, None, None)  # the reader's language, before any text is chosen
        if status == 404:
            return _not_found(request)
        if status == 413:
            return _error_page(
                request,
                413,
                _("What you sent is too large"),
                _("Nothing was saved. Send less at a time: a smaller photo, or shorter values."),
            )
        if status == 408:
            return _error_page(
                request,
                408,
                _("What you sent stopped arriving"),
                _("Nothing was saved. Check your connection and send it again."),
            )
        errors = problem.get("errors") or []
        if errors and all("parameter" in error for error in errors):
            return _error_page(
                request,
                422,
                _("This address has values that are not right"),
                _("Go back and use the page's own links and forms."),
            )
        fields = "; ".join(
            f"{str(error.get('pointer', '')).removeprefix('#/')}: "
            f"{said_to_reader(str(error.get('detail', '')))}"
            for error in errors
        )
        return _error_page(
            request,
            422,
            _("Some of the values sent are not right"),
            f"{fields} {_('Go back, correct them and send the form again.')}".strip(),
        )


# The recording forms before the recoveries: /recoveries/new is not a recovery's id.
ROUTERS: Final = tuple(
    module.router
    for module in (
        account,
        dashboard,
        recording,
        recoveries,
        photos,
        traces,
        responding,
        networks,
        statistics,
        admin,
    )
)


def console_app() -> FastAPI:
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for router in ROUTERS:
        console.include_router(router)
    console.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_pages(console)
    console.add_middleware(UnexpectedErrors)
    console.add_middleware(SecurityHeaders)
    return console


def mount_console(app: FastAPI, console: FastAPI, routers: Iterable[APIRouter]) -> ConsoleRefusals:
    """Serve the console under `/`, after every route of `app`: the paths of `routers`
    and of the API's own documents stay the API's. The edge's refusals on the console's
    paths are its pages."""
    paths = [app.docs_url, app.openapi_url, app.swagger_ui_oauth2_redirect_url]
    for router in routers:
        paths += [router.prefix] if router.prefix else [r.path for r in router.routes]  # type: ignore[attr-defined]
    reserved = {"/" + path.strip("/").split("/")[0] for path in paths if path}
    reserved.discard("/")
    mount = ConsoleMount(console, sorted(reserved))
    app.router.routes.append(mount)
    return ConsoleRefusals(mount)


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    if not hasattr(request.state, "console"):
        read_for(request, None, None)
    page_values(request)
    return page(
        request,
        "error.html",
        {
            "status": status,
            "title": title,
            "detail": detail,
            "request_id": getattr(request.state, "request_id", None),
        },
        status_code=status,
    )


def _install_error_pages(console: FastAPI) -> None:
    @console.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, error: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = "/sign-in" if target == "/" else f"/sign-in?next={quote(target, safe='')}"
        if is_htmx(request):  # htmx follows a redirect inside the page; send the page away
            return Response(status_code=200, headers={"HX-Redirect": location})
        return RedirectResponse(location, status_code=303)

    @console.exception_handler(ForgedRequest)
    async def forged(request: Request, error: ForgedRequest) -> Response:
        log.warning("form refused", reason=str(error))
        return _error_page(
            request,
            403,
            _("This form could not be accepted"),
            _(
                "It was not sent from this console, or it expired. Go back, reload the page "
                "and send it again."
            ),
        )

    @console.exception_handler(RequestValidationError)
    async def invalid_address(request: Request, error: RequestValidationError) -> Response:
        if any(problem["loc"][0] == "path" for problem in error.errors()):
            return _not_found(request)  # /recoveries/not-an-id names nothing
        return _error_page(
            request,
            422,
            _("This address has values that are not right"),
            _("Go back and use the page's own links and forms."),
        )

    # A form's own handler shows its problems beside their fields; one it did not expect
    # (a value no field of the page holds, or one a page's own links never send) is
    # still the person's to correct, never a server error.
    @console.exception_handler(ValidationFailed)
    @console.exception_handler(InvalidValue)
    async def invalid_values(request: Request, error: ValidationFailed | InvalidValue) -> Response:
        problems = error.problems if isinstance(error, ValidationFailed) else [error]
        return _error_page(
            request,
            422,
            _("Some of the values sent are not right"),
            "; ".join(f"{p.field}: {said_to_reader(p.detail)}" for p in problems)
            + " "
            + _("Go back, correct them and send the form again."),
        )

    @console.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return _not_found(request)

    @console.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return _error_page(
            request,
            403,
            _("Your role does not allow this"),
            _("Ask an administrator of your agency if you need to do this."),
        )

    @console.exception_handler(IllegalTransition)
    async def illegal(request: Request, error: IllegalTransition) -> Response:
        return _error_page(
            request,
            409,
            _("This step is not possible now"),
            _(
                "Someone may have moved this request on since you opened it. Open it again "
                "to see where it stands."
            ),
        )

    @console.exception_handler(StaleVersion)
    async def stale(request: Request, error: StaleVersion) -> Response:
        return _error_page(
            request,
            409,
            _("Someone changed this in the meantime"),
            _("Nothing was saved. Open it again, check what changed and make your change again."),
        )

    @console.exception_handler(Conflict)
    async def conflict(request: Request, error: Conflict) -> Response:
        return _error_page(request, 409, _("This contradicts what is stored"), str(error))

    @console.exception_handler(TooManyAttempts)
    async def too_many(request: Request, error: TooManyAttempts) -> Response:
        return _error_page(
            request,
            429,
            _("Too many failed attempts"),
            _("Try again in %(seconds)s seconds.") % {"seconds": error.retry_after_seconds},
        )

    @console.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return _not_found(request)
        if error.status_code == 405:
            return _error_page(
                request, 405, _("This page cannot be used that way"), _("Go back and try again.")
            )
        return _error_page(request, error.status_code, _("The request was refused"), "")


def _not_found(request: Request) -> Response:
    return _error_page(
        request,
        404,
        _("Page not found"),
        _(
            "There is nothing here that you are allowed to see. Check the address, or go "
            "back to the dashboard."
        ),
    )
