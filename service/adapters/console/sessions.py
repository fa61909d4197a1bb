"""The console's cookies: the session (a random secret naming a server-side session)
and the protection of every form against cross-site request forgery.

A form carries a token derived from the session's secret (HMAC), which a page of another
site cannot read; htmx sends it as a header. Before signing in, the token is derived
from a random pre-session cookie instead (a forged sign-in would sign the victim in as
the attacker). Cross-site requests that announce themselves (`Sec-Fetch-Site`) and
foreign `Origin`s are refused before the token is even looked at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE: Final = "tracedesk_session"
# Over TLS the cookie is `__Host-` prefixed: Secure, this host only, path /.
SECURE_SESSION_COOKIE: Final = "__Host-tracedesk_session"
PRE_SESSION_COOKIE: Final = "tracedesk_form"
LANGUAGE_COOKIE: Final = "tracedesk_language"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"


class SignInRequired(Exception):
    """No live session: the person is sent to the sign-in page, then back."""


class ForgedRequest(Exception):
    """A state-changing request without this console's form token."""


def over_tls(request: Request) -> bool:
    return request.url.scheme == "https"


def session_secret(request: Request) -> str | None:
    name = SECURE_SESSION_COOKIE if over_tls(request) else SESSION_COOKIE
    secret = request.cookies.get(name)
    return secret if secret and len(secret) <= 128 else None


def keep_session(response: Response, request: Request, secret: str) -> None:
    """The session cookie: a browser-session cookie (gone when the browser closes), never
    readable by scripts, not sent with cross-site sub-requests or posts."""
    response.set_cookie(
        SECURE_SESSION_COOKIE if over_tls(request) else SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=over_tls(request),
        path="/",
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")


def forget_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        SECURE_SESSION_COOKIE if over_tls(request) else SESSION_COOKIE,
        path="/",
        secure=over_tls(request),
        httponly=True,
        samesite="lax",
    )


def pre_session_seed(request: Request) -> tuple[str, bool]:
    """The pre-session secret of this browser, and whether it is new (to be set)."""
    seed = request.cookies.get(PRE_SESSION_COOKIE)
    if seed and 20 <= len(seed) <= 128:
        return seed, False
    return secrets.token_urlsafe(32), True


def keep_pre_session(response: Response, request: Request, seed: str) -> None:
    response.set_cookie(
        PRE_SESSION_COOKIE, seed, httponly=True, samesite="lax", secure=over_tls(request), path="/"
    )


def form_token(seed: str) -> str:
    digest = hmac.new(seed.encode(), b"tracedesk console form", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def check_origin(request: Request) -> None:
    """Refuse a request a browser says came from another site."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise ForgedRequest("cross-site request")
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if origin == "null" or urlsplit(origin).netloc != request.url.netloc:
        raise ForgedRequest("foreign origin")


def check_form_token(request: Request, form: FormData, seed: str) -> None:
    check_origin(request)
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, form_token(seed)):
        raise ForgedRequest("missing or wrong form token")
