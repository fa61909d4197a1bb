"""GET /metrics: Prometheus's text format, for scrapers (not in the OpenAPI document)."""

from __future__ import annotations

import hmac

from fastapi import Request, Response

from service.adapters.api.dependencies import Deps
from service.adapters.api.problems import ProblemError
from service.adapters.api.routers import ApiRouter
from service.adapters.metrics import CONTENT_TYPE, StoredState, exposition
from service.outbox_operations import stored_figures

router = ApiRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, deps: Deps) -> Response:
    token = request.app.state.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise ProblemError("unauthenticated", "send the metrics token as a bearer token")
    figures = await stored_figures(deps=deps)
    body = exposition(StoredState(figures.backlog, figures.audit_head))
    return Response(body, media_type=CONTENT_TYPE)
