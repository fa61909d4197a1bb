"""The dashboard: what needs the person's attention now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.adapters.console.dependencies import ConsoleDeps, Holder
from service.adapters.console.rendering import page
from service.agency_directory import agency_names
from service.dashboard import dashboard as attention

router = APIRouter()


@router.get("/")
async def dashboard(request: Request, deps: ConsoleDeps, holder: Holder) -> Response:
    return page(
        request,
        "dashboard.html",
        {
            "board": await attention(deps=deps, actor=holder.actor, user=holder.user),
            "agencies": await agency_names(deps=deps, actor=holder.actor),
        },
    )
