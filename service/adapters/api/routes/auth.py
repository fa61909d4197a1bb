"""Signing in: the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from pydantic import BaseModel, Field

from service.accounts import sign_in
from service.adapters.api.dependencies import Deps
from service.adapters.api.problems import ProblemError, problem_responses
from service.domain.errors import Unauthenticated

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")


@router.post("/token", responses=problem_responses(401, 422))
async def token(
    deps: Deps,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    grant_type: Annotated[Literal["password"], Form()] = "password",
) -> TokenResponse:
    """Exchange a username and password for a short-lived bearer token."""
    try:
        signed_in = await sign_in(deps=deps, username=username, password=password)
    except Unauthenticated:
        raise ProblemError(
            "unauthenticated",
            "invalid username or password",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    lifetime = signed_in.access.expires_at - deps.clock.now()
    return TokenResponse(
        access_token=signed_in.access.token, expires_in=max(0, int(lifetime.total_seconds()))
    )
