"""The problems a route answers because of its shape, declared by the route itself, so
that the OpenAPI document cannot forget one.

Routes list the problems of their use cases (403, 404, 409, 412, 429...). The edge
refuses requests before any use case runs, and which it refuses follows from what a
route takes: a body may be too large (413), not well-formed JSON or form (400), of a
type the route does not read (415), or stall before its end (408); anything it takes may
be invalid, and any query parameter holding control characters, or one of one value
given twice, is refused (422); a path parameter may name nothing, or hold characters no
name has (404); a bearer token may be missing or bad (401), or speak for someone whose
roles do not include the route's action (403); If-Match may be missing (428) or name a
version that is not the current one (412); the database may be unreachable (503).
"""

from __future__ import annotations

import types
import typing
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from service.adapters.api.dependencies import ACTION_KEY, get_dependencies, required_version
from service.adapters.api.problems import ProblemError, problem_responses


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
        statuses |= {400, 408, 413}
    if _reads_json(route):
        statuses.add(415)
    authenticated = any(isinstance(call, SecurityBase) for call in calls)
    if authenticated:
        statuses.add(401)
        if route.openapi_extra and ACTION_KEY in route.openapi_extra:
            statuses.add(403)
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

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        single = _single_valued_query_parameters(self)
        json_body = _reads_json(self)
        if not single and not json_body:
            return handler

        async def refusing_what_is_unclear(request: Request) -> Response:
            # FastAPI takes the last of a parameter given twice: which one was meant?
            counts = Counter(name for name, _ in request.query_params.multi_items())
            for name in sorted(single):
                if counts[name] > 1:
                    raise ProblemError.invalid_parameter(
                        name, f"is given {counts[name]} times: give one value"
                    )
            # And it validates a body of another type as bytes, answering that the body
            # is no object, when the client sent what this operation does not read.
            media_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
            if json_body and media_type and not _is_json(media_type.lower()) and _has_body(request):
                raise ProblemError(
                    "unsupported-media-type",
                    f"this operation reads application/json, not {media_type[:100]}",
                )
            return await handler(request)

        return refusing_what_is_unclear


def _reads_json(route: APIRoute) -> bool:
    """Whether the route reads a JSON body (not a form or files)."""
    return route.body_field is not None and not any(
        isinstance(field.field_info, params.Form)  # File is a Form
        for dependant in _dependants(route.dependant)
        for field in dependant.body_params
    )


def _has_body(request: Request) -> bool:
    """Whether the request sends a body (`curl -d ''` types an empty one as a form)."""
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in request.headers


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _single_valued_query_parameters(route: APIRoute) -> frozenset[str]:
    return frozenset(
        field.alias
        for dependant in _dependants(route.dependant)
        for field in dependant.query_params
        if not _takes_many(field.field_info.annotation)
    )


def _takes_many(annotation: Any) -> bool:
    """Whether a query parameter's type is a list of values (`status=a&status=b`)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_takes_many(arg) for arg in typing.get_args(annotation))
    return origin in (list, set, frozenset, tuple)
