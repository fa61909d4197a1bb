"""Liveness and readiness for orchestrators and load balancers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from service.adapters.api.edge_problems import DeclaredRoute
from service.adapters.api.problems import ProblemError, problem_responses

router = APIRouter(tags=["operations"], route_class=DeclaredRoute)


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    schema_revision: str


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive (it does not touch the database)."""
    return Health(status="ok")


@router.get("/readyz", responses=problem_responses(503))
async def readyz(request: Request) -> Readiness:
    """The database answers and its schema is the one this release needs."""
    # The app factory says how to ask the database: routes do not reach storage.
    try:
        schema = await request.app.state.schema_status()
    except Exception as error:  # noqa: BLE001 - any failure to ask the database means not ready
        raise ProblemError(
            "service-unavailable", f"database unreachable: {type(error).__name__}"
        ) from None
    if not schema.is_current:
        raise ProblemError("service-unavailable", schema.explain())
    return Readiness(status="ready", schema_revision=schema.head)
