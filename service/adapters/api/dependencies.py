"""FastAPI dependencies: the ports, the authenticated actor, conditional headers."""

from __future__ import annotations

import re
from typing import Annotated, Any

import structlog
from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from service.accounts import actor_for_token
from service.adapters.api.problems import ProblemError
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.errors import Unauthenticated
from service.domain.recovery import Recovery

log = structlog.get_logger("tracedesk.auth")


# Dependencies are coroutines on purpose: FastAPI runs plain functions in a worker
# thread, a hand-off that costs more than the work they do.
async def get_dependencies(request: Request) -> Dependencies:
    deps: Dependencies = request.app.state.deps
    return deps


Deps = Annotated[Dependencies, Depends(get_dependencies)]


class BearerActor(OAuth2PasswordBearer):
    """The actor the request's bearer token speaks for, or 401.

    One dependency rather than a token dependency feeding an actor dependency: every
    authenticated request solves it, and FastAPI's cost is per dependency. Being the
    OAuth2 scheme itself, it still declares the scheme in the OpenAPI document."""

    async def __call__(self, request: Request) -> Actor:  # type: ignore[override]
        if len(request.headers.getlist("authorization")) > 1:
            # Which of them speaks for the request? Servers and proxies may not agree.
            raise ProblemError(
                "unauthenticated",
                "send one Authorization header",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = await super().__call__(request)
        if not token:
            raise ProblemError(
                "unauthenticated", "no bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            actor = await actor_for_token(deps=await get_dependencies(request), token=token)
        except Unauthenticated as refused:
            log.info("token refused", reason=refused.reason)
            raise ProblemError(
                "unauthenticated",
                "the token is invalid or expired, or the account is disabled",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None
        structlog.contextvars.bind_contextvars(actor_id=str(actor.id))
        # The role check before parameters and body are validated: a caller who may not
        # perform the route's action learns 403, not what the request should have been.
        performed = _declared_action(request)
        if performed is not None:
            authorize(actor, performed)
        return actor


def _declared_action(request: Request) -> Action | None:
    route = request.scope.get("route")
    declared = getattr(route, "openapi_extra", None) or {}
    value = declared.get(ACTION_KEY)
    return None if value is None else Action(value)


current_actor = BearerActor(
    tokenUrl="/api/v1/auth/token", scheme_name="OAuth2PasswordBearer", auto_error=False
)
CurrentActor = Annotated[Actor, Depends(current_actor)]


ACTION_KEY = "x-tracedesk-action"


def action(performed: Action) -> dict[str, Any]:
    """`openapi_extra` naming the action a route performs: the access-matrix test reads
    it, and the actor is refused it (403) before the request's body is validated."""
    return {ACTION_KEY: performed.value}


def etag(recovery: Recovery) -> str:
    return f'"v{recovery.version}"'


_STRONG_TAG = re.compile(r'^\s*"v(\d{1,9})"\s*$')


async def required_version(
    if_match: Annotated[
        str | None,
        Header(description='The ETag you read, e.g. "v3"; required for changes.'),
    ] = None,
) -> int:
    """The version a change is based on, from If-Match. Weak tags and `*` are refused:
    a change must name the exact version it was made against."""
    if if_match is None:
        raise ProblemError(
            "precondition-required", "send the ETag of the version you read in If-Match"
        )
    # One strong tag and nothing else: a list ("v2", W/"v9", *) could be read as more
    # than one version, and a change is made against exactly one.
    versions = [m.group(1) for m in [_STRONG_TAG.match(if_match)] if m]
    if len(versions) != 1:
        detail = 'must hold exactly one strong ETag of this resource, e.g. "v3"'
        raise ProblemError(
            "precondition-required",
            f"If-Match {detail}",
            errors=[{"header": "If-Match", "detail": detail}],
        )
    return int(versions[0])


RequiredVersion = Annotated[int, Depends(required_version)]
