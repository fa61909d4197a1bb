"""Signing in and out: OAuth2 password, refresh-token and client-credentials grants.

People sign in with a username and password and keep a session with refresh tokens.
Integrations exchange an API key (its id as client_id, its secret as client_secret) for
a short-lived access token; the key itself is never sent with every request.
"""

from __future__ import annotations

import typing
import unicodedata
from typing import Annotated, Literal

from fastapi import Form
from pydantic import AfterValidator, BaseModel, Field

from service.accounts import (
    SignedIn,
    exchange_client_credentials,
    refresh_access,
    revoke_refresh,
    sign_in,
)
from service.adapters.api.dependencies import Deps
from service.adapters.api.problems import ProblemError, problem_responses
from service.adapters.api.routers import ApiRouter
from service.domain.errors import Unauthenticated

router = ApiRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str | None = Field(
        default=None, description="Single-use; exchange it for the next pair (password grant)"
    )


Grant = Literal["password", "refresh_token", "client_credentials"]


def _printable(value: str) -> str:
    # Forms come urlencoded (checked before routing) or as multipart: the same rule.
    if not value.isprintable() and any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise ValueError("must not contain control characters or lone surrogates")
    return value


FormText = Annotated[str, AfterValidator(_printable)]


_GRANTS: tuple[Grant, ...] = typing.get_args(Grant)


@router.post("/token", responses=problem_responses(400, 401, 422, 429))
async def token(
    deps: Deps,
    # Checked below rather than by the type: an OAuth client expects 400 with
    # `unsupported_grant_type`, not a validation problem.
    grant_type: Annotated[
        FormText, Form(max_length=64, json_schema_extra={"enum": list(_GRANTS)})
    ] = "password",
    username: Annotated[FormText | None, Form(max_length=64)] = None,
    password: Annotated[FormText | None, Form(max_length=1024)] = None,
    refresh_token: Annotated[FormText | None, Form(max_length=200)] = None,
    client_id: Annotated[FormText | None, Form(max_length=64)] = None,
    client_secret: Annotated[FormText | None, Form(max_length=200)] = None,
) -> TokenResponse:
    """Get an access token: `password` (username, password), `refresh_token`
    (refresh_token), or `client_credentials` (an API key: client_id, client_secret)."""
    if grant_type not in _GRANTS:
        raise ProblemError(
            "invalid-token-request",
            f"grant_type must be one of {', '.join(_GRANTS)}",
            extensions={"error": "unsupported_grant_type"},
        )
    supplied = {
        "password": {"username": username, "password": password},
        "refresh_token": {"refresh_token": refresh_token},
        "client_credentials": {"client_id": client_id, "client_secret": client_secret},
    }[grant_type]
    missing = [name for name, value in supplied.items() if not value]
    if missing:
        raise ProblemError(
            "invalid-token-request",
            errors=[{"parameter": n, "detail": f"required for {grant_type}"} for n in missing],
            extensions={"error": "invalid_request"},
        )
    try:
        if grant_type == "password":
            signed_in = await sign_in(deps=deps, username=username or "", password=password or "")
        elif grant_type == "refresh_token":
            signed_in = await refresh_access(deps=deps, refresh_token=refresh_token or "")
        else:
            signed_in = await exchange_client_credentials(
                deps=deps, client_id=client_id or "", client_secret=client_secret or ""
            )
    except Unauthenticated:
        error = "invalid_client" if grant_type == "client_credentials" else "invalid_grant"
        raise ProblemError(
            "unauthenticated",
            "the credentials were not accepted",
            headers={"WWW-Authenticate": "Bearer"},
            extensions={"error": error},
        ) from None
    return _answer(deps, signed_in)


def _answer(deps: Deps, signed_in: SignedIn) -> TokenResponse:
    lifetime = signed_in.access.expires_at - deps.clock.now()
    return TokenResponse(
        access_token=signed_in.access.token,
        expires_in=max(0, int(lifetime.total_seconds())),
        refresh_token=signed_in.refresh,
    )


class Revoked(BaseModel):
    revoked: bool = True


@router.post("/revoke", responses=problem_responses(422))
async def revoke(deps: Deps, token: Annotated[FormText, Form(max_length=4096)]) -> Revoked:
    """Sign out: revoke a refresh token and every token issued from the same sign-in,
    access tokens included (refused from the next request on). Other sign-ins of the same
    person go on. Answers the same whether or not the token was known, and for an access
    token given instead (RFC 7009)."""
    await revoke_refresh(deps=deps, refresh_token=token)
    return Revoked()
