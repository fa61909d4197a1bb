"""What console handlers are given: the ports, the person signed in (or a redirect to
the sign-in page), and posted forms whose token has been checked."""

from __future__ import annotations

from typing import Annotated, Any, Final

import structlog
from fastapi import Depends, Request
from starlette.datastructures import FormData

from service.adapters.console import i18n
from service.adapters.console.navigation import navigation
from service.adapters.console.sessions import (
    LANGUAGE_COOKIE,
    SignInRequired,
    check_form_token,
    form_token,
    session_secret,
)
from service.console_sessions import SessionHolder, session_holder
from service.dependencies import Dependencies
from service.domain.errors import Unauthenticated

# A form has a few dozen fields (items of a recovery, events of a chain of custody);
# Starlette's default (1000) is more than any page needs. A form takes one file at most:
# one more is read, so that a second photo is refused beside its field, not as a form
# that could not be read.
MAX_FORM_FIELDS: Final = 600
MAX_FORM_FILES: Final = 2


async def console_dependencies(request: Request) -> Dependencies:
    deps: Dependencies = request.app.state.deps
    return deps


ConsoleDeps = Annotated[Dependencies, Depends(console_dependencies)]


def read_for(request: Request, chosen_language: str | None, time_zone: str | None) -> None:
    language = i18n.negotiate(
        chosen_language or request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("Accept-Language"),
    )
    i18n.read_as(language, i18n.zone(time_zone))


def page_values(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = request.state.console if hasattr(request.state, "console") else {}
    request.state.console = values
    return values


async def signed_in(request: Request, deps: ConsoleDeps) -> SessionHolder:
    secret = session_secret(request)
    if secret is None:
        raise SignInRequired()
    try:
        holder = await session_holder(deps=deps, secret=secret)
    except Unauthenticated:
        raise SignInRequired() from None
    structlog.contextvars.bind_contextvars(actor_id=str(holder.actor.id))
    read_for(request, holder.user.language, holder.user.time_zone)
    page_values(request).update(
        holder=holder,
        csrf=form_token(secret),
        navigation=navigation(holder.actor, request.url.path),
    )
    return holder


Holder = Annotated[SessionHolder, Depends(signed_in)]


async def posted_form(request: Request, holder: Holder) -> FormData:
    """The posted form, once its token proves it came from one of our pages."""
    form = await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
    secret = session_secret(request)
    if secret is None:  # signed_in found it a moment ago
        raise SignInRequired()
    check_form_token(request, form, secret)
    return form


PostedForm = Annotated[FormData, Depends(posted_form)]
