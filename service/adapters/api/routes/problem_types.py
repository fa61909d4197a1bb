"""The problem types this API answers with, so their URIs can be looked up."""

from __future__ import annotations

from pydantic import BaseModel

from service.adapters.api.problems import PROBLEM_TYPES, ProblemError
from service.adapters.api.routers import ApiRouter

router = ApiRouter(prefix="/problems", tags=["operations"])


class ProblemTypeDescription(BaseModel):
    type: str
    status: int
    title: str
    description: str


@router.get("/{slug}")
async def problem_type(slug: str) -> ProblemTypeDescription:
    """What a problem `type` means."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise ProblemError("not-found", f"no problem type {slug!r}")
    return ProblemTypeDescription(
        type=kind.uri, status=kind.status, title=kind.title, description=kind.description
    )
