"""Signing in and out, the language before signing in, and one's own account: language,
time zone and password."""

from __future__ import annotations

from functools import cache
from typing import Final
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from service.adapters.console.dependencies import (
    ConsoleDeps,
    Holder,
    PostedForm,
    page_values,
    read_for,
)
from service.adapters.console.forms import form_text, problems_by_field
from service.adapters.console.i18n import N_
from service.adapters.console.i18n import gettext_ as _
from service.adapters.console.labels import label
from service.adapters.console.rendering import page
from service.adapters.console.sessions import (
    LANGUAGE_COOKIE,
    check_form_token,
    forget_session,
    form_token,
    keep_pre_session,
    keep_session,
    over_tls,
    pre_session_seed,
    session_secret,
)
from service.console_sessions import (
    SessionHolder,
    change_password,
    choose_preferences,
    end_session,
    start_session,
)
from service.domain.errors import InvalidValue, TooManyAttempts, Unauthenticated, ValidationFailed
from service.domain.identity import LANGUAGES

router = APIRouter()

# Each language named in itself, so that a reader finds their own in any page.
LANGUAGE_NAMES: Final = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}


def local_target(target: str | None) -> str:
    """Where to go after signing in: a path of this console only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _sign_in_page(
    request: Request,
    seed: str,
    *,
    next_path: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Response:
    page_values(request)
    response = page(
        request,
        "sign_in.html",
        {
            "form_token": form_token(seed),
            "next": next_path,
            "values": values or {},
            "errors": errors or {},
            "refusal": refusal,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        },
        status_code=status_code,
    )
    keep_pre_session(response, request, seed)
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    read_for(request, None, None)
    seed, _new = pre_session_seed(request)
    return _sign_in_page(request, seed, next_path=local_target(next))


@router.post("/sign-in")
async def sign_in(request: Request, deps: ConsoleDeps) -> Response:
    read_for(request, None, None)
    form = await request.form(max_files=0, max_fields=10)
    seed, _new = pre_session_seed(request)
    check_form_token(request, form, seed)
    username, password = form_text(form, "username"), form_text(form, "password")
    next_path = local_target(form_text(form, "next"))
    errors = {}
    if not username.strip():
        errors["username"] = _("Enter your username")
    if not password:
        errors["password"] = _("Enter your password")
    if errors:
        return _sign_in_page(
            request,
            seed,
            next_path=next_path,
            values={"username": username},
            errors=errors,
            status_code=422,
        )
    try:
        started = await start_session(deps=deps, username=username, password=password)
    except Unauthenticated:
        return _sign_in_page(
            request,
            seed,
            next_path=next_path,
            values={"username": username},
            errors={"username": _("The username or the password is not right")},
            status_code=401,
        )
    except TooManyAttempts as paused:
        return _sign_in_page(
            request,
            seed,
            next_path=next_path,
            values={"username": username},
            refusal=_(
                "Too many failed attempts. Signing in is paused; try again in %(seconds)s seconds."
            )
            % {"seconds": paused.retry_after_seconds},
            status_code=429,
        )
    response = RedirectResponse(next_path, status_code=303)
    keep_session(response, request, started.secret)
    return response


@router.post("/language")
async def choose_language(request: Request) -> Response:
    """Before signing in: the language of the sign-in page, kept in a cookie."""
    form = await request.form(max_files=0, max_fields=10)
    seed, _new = pre_session_seed(request)
    secret = session_secret(request)
    check_form_token(request, form, secret or seed)
    language = form_text(form, "language")
    response = RedirectResponse(local_target(form_text(form, "next")), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", secure=over_tls(request)
        )
    return response


@router.post("/sign-out")
async def sign_out(request: Request, deps: ConsoleDeps, form: PostedForm) -> Response:
    secret = session_secret(request)
    if secret is not None:
        await end_session(deps=deps, secret=secret)
    response = RedirectResponse("/sign-in", status_code=303)
    forget_session(response, request)
    return response


async def _account_page(
    request: Request,
    deps: ConsoleDeps,
    holder: SessionHolder,
    *,
    preferences: dict[str, str] | None = None,
    preference_errors: dict[str, str] | None = None,
    password_errors: dict[str, str] | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> Response:
    async with deps.unit_of_work() as uow:
        agency = await uow.agencies.get(holder.actor.agency_id)
    user = holder.user
    return page(
        request,
        "account.html",
        {
            "agency_name": agency.name if agency else "",
            "roles": sorted(label(role) for role in user.roles),
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            "time_zones": _time_zone_names(),
            "preferences": preferences
            or {"language": user.language or "", "time_zone": user.time_zone or ""},
            "preference_errors": preference_errors or {},
            "password_errors": password_errors or {},
            "saved": saved,
        },
        status_code=status_code,
    )


@cache
def _time_zone_names() -> list[str]:
    return sorted(
        name for name in available_timezones() if "/" in name and not name.startswith("Etc/")
    )


_SAVED: Final = {
    "preferences": N_("Your preferences are saved."),
    "password": N_("Your password is changed."),
}


@router.get("/account")
async def account(
    request: Request, deps: ConsoleDeps, holder: Holder, saved: str | None = None
) -> Response:
    message = _SAVED.get(saved or "")
    return await _account_page(request, deps, holder, saved=_(message) if message else None)


@router.post("/account/preferences")
async def save_preferences(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm
) -> Response:
    chosen = {"language": form_text(form, "language"), "time_zone": form_text(form, "time_zone")}
    try:
        await choose_preferences(
            deps=deps,
            holder=holder,
            language=chosen["language"] or None,
            time_zone=chosen["time_zone"].strip() or None,
        )
    except ValidationFailed as refused:
        return await _account_page(
            request,
            deps,
            holder,
            preferences=chosen,
            preference_errors=problems_by_field(refused.problems),
            status_code=422,
        )
    return RedirectResponse("/account?saved=preferences", status_code=303)


@router.post("/account/password")
async def new_password(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm
) -> Response:
    try:
        await change_password(
            deps=deps,
            holder=holder,
            current=form_text(form, "current_password"),
            new=form_text(form, "new_password"),
        )
    except InvalidValue as refused:
        return await _account_page(
            request,
            deps,
            holder,
            password_errors=problems_by_field([refused]),
            status_code=422,
        )
    return RedirectResponse("/account?saved=password", status_code=303)
