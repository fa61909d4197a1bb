"""The problems a route answers because of its shape, declared by the route itself, so
that the OpenAPI document cannot forget one.

Routes list the problems of their use cases (403, 404, 409, 412, 429...). The edge
refuses requests before any use case runs, and which it refuses follows from what a
route takes: a body may be too large (413) or not well-formed JSON or form (400); anything
it takes may be invalid, and any query parameter holding control characters is refused
on every route (422); a path parameter may name nothing, or hold characters no name has
(404); a bearer token may be missing or bad (401); If-Match may be missing (428) or name a
version that is not the current one (412); the database may be unreachable (503).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from service.adapters.api.dependencies import get_dependencies, required_version
from service.adapters.api.problems import problem_responses


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for inner in dependant.dependencies:
        yield from _dependants(inner)


def _calls(route: APIRoute) -> list[Callable[..., Any]]:
    return [d.call for d in _dependants(route.dependant) if d.call is not None]


def edge_statuses(route: APIRoute) -> set[int]:
    """The statuses the edge may answer on `route` before its use case runs."""
    statuses = {422}
    calls = _calls(route)
    if any(d.path_params for d in _dependants(route.dependant)):
        statuses.add(404)
    if route.body_field is not None:
        statuses |= {400, 413}
    authenticated = any(isinstance(call, SecurityBase) for call in calls)
    if authenticated:
        statuses.add(401)
    if required_version in calls:
        statuses |= {412, 428}
    # The actor of a token is looked up in the database too.
    if authenticated or get_dependencies in calls:
        statuses.add(503)
    return statuses


class DeclaredRoute(APIRoute):
    """A route of the API whose `responses` list, besides the problems of its use case,
    those the edge may answer on it. It replaces FastAPI's own 422, which documents its
    validation errors as JSON: the answer is a problem. Every router of the API makes its
    routes with it."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        if self.include_in_schema:
            declared = {int(status) for status in self.responses if str(status).isdigit()}
            missing = sorted(edge_statuses(self) - declared)
            self.responses = {**self.responses, **problem_responses(*missing)}
