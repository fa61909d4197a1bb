"""Which methods a resource of the API has: what a 405's `Allow` lists, and fixed paths
kept from the routes whose parameter would read their fixed segment as an identifier.

Starlette answers a method a path lacks from the first route of that path it meets, so
`Allow` named that route's methods alone (`OPTIONS /api/v1/recoveries`: `GET`, not `GET,
POST`). And a method the fixed path `/api/v1/recoveries/export` lacks went on to
`/api/v1/recoveries/{recovery_id}`, which has it: `PATCH .../export` was a change of the
recovery "export", refused for its If-Match (428), where it is a method export lacks (405).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send


def _api_routes(routes: Iterable[BaseRoute]) -> list[RouteContext]:
    """The API's routes as they are served: each with the prefix of its router."""
    return [r for r in iter_route_contexts(list(routes)) if isinstance(r.original_route, APIRoute)]


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> list[str]:
    """The methods of the resource at `path`: those of the fixed routes of that path if
    it has any (a parameter never takes a fixed segment), else those of the routes whose
    parameters match it."""
    fixed: set[str] = set()
    parameterised: set[str] = set()
    for route in _api_routes(routes):
        if route.path_regex.fullmatch(path):
            (parameterised if route.param_convertors else fixed).update(route.methods or ())
    return sorted(fixed or parameterised)


class _FixedPath(BaseRoute):
    """A fixed path for the methods none of its routes has: refused with 405 here, ahead
    of every route, before a route with a parameter can take the path."""

    def __init__(self, path: str, methods: frozenset[str]) -> None:
        self.path = path
        self.methods = methods

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] == "http"
            and scope["path"] == self.path
            and scope["method"] not in self.methods
        ):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The problem handlers answer it, with Allow (see allowed_methods).
        raise HTTPException(status_code=405)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NotImplementedError  # never named: it only refuses


def keep_fixed_paths(app: FastAPI) -> None:
    """Reserve, ahead of every route, each fixed path of the API that a route with a
    parameter also matches, for the methods its own routes do not have. Run once every
    router is included."""
    routes = _api_routes(app.router.routes)
    reserved = []
    for path in sorted({r.path for r in routes if r.path and not r.param_convertors}):
        if any(r.param_convertors and r.path_regex.fullmatch(path) for r in routes):
            methods = frozenset(m for r in routes if r.path == path for m in r.methods or ())
            reserved.append(_FixedPath(path, methods))
    app.router.routes[:0] = reserved
