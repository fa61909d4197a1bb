"""Liveness and readiness for orchestrators and load balancers."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel, Field

from service.adapters.api.problems import ProblemError, problem_responses
from service.adapters.api.routers import ApiRouter

router = ApiRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    schema_revision: str
    replica: str | None = Field(
        default=None,
        description="The read replica, when one is configured: `answering`, or away "
        "(searches and listings then read from the primary, and the server stays ready).",
    )


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive (it does not touch the database)."""
    return Health(status="ok")


@router.get("/readyz", responses=problem_responses(503))
async def readyz(request: Request) -> Readiness:
    """The database answers and its schema is the one this release needs. A read replica
    that is away does not make the server unready: its reads go to the primary."""
    # The app factory says how to ask the database: routes do not reach storage.
    try:
        schema = await request.app.state.schema_status()
    except Exception as error:  # noqa: BLE001 - any failure to ask the database means not ready
        raise ProblemError(
            "service-unavailable", f"database unreachable: {type(error).__name__}"
        ) from None
    if not schema.is_current:
        raise ProblemError("service-unavailable", schema.explain())
    routing = getattr(request.app.state, "replica", None)
    return Readiness(
        status="ready",
        schema_revision=schema.head,
        replica=routing.state() if routing is not None else None,
    )
