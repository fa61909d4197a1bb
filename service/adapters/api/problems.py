"""RFC 9457 problem details: one registry of problem types, one place that maps errors.

Each type has a stable URI `/problems/<slug>`, served by the API itself with its
description, so a client can both switch on it and read what it means.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from service.adapters.api.methods import allowed_methods
from service.domain.errors import (
    Conflict,
    DatedAhead,
    FieldProblem,
    Forbidden,
    IllegalTransition,
    InvalidValue,
    NotFound,
    StaleVersion,
    TooManyAttempts,
    ValidationFailed,
)

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
log = structlog.get_logger("tracedesk.problems")


@dataclass(frozen=True, slots=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.slug}"


PROBLEM_TYPES: Final = {
    p.slug: p
    for p in [
        ProblemType(
            "validation-error",
            422,
            "The request has invalid values",
            "One or more values break a rule. `errors` lists each with its location: "
            "`pointer` (a JSON Pointer into the body), `parameter` or `header`.",
        ),
        ProblemType(
            "malformed-http",
            400,
            "The request is not well-formed HTTP",
            "The request line or a header could not be parsed, so the request never "
            "reached a route; the connection is closed and nothing was stored.",
        ),
        ProblemType(
            "malformed-request",
            400,
            "The request body is not well-formed",
            "The body could not be parsed as the JSON or the form its Content-Type names "
            "(a multipart form needs its boundary); nothing was stored.",
        ),
        ProblemType(
            "invalid-token-request",
            400,
            "The token request is not one this server takes",
            "As OAuth 2.0 says (RFC 6749, section 5.2), its `error` member says why: "
            "`unsupported_grant_type` (use password, refresh_token or client_credentials) "
            "or `invalid_request` (a parameter the grant needs is missing).",
        ),
        ProblemType(
            "request-timeout",
            408,
            "The request body stopped arriving",
            "No part of the body arrived for 30 seconds, so the request was ended and the "
            "connection closed; nothing was stored. Send it again.",
        ),
        ProblemType(
            "payload-too-large",
            413,
            "The request body is too large",
            "The body exceeds the configured limit (TRACEDESK_MAX_BODY_BYTES).",
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "The body is not of a type this operation reads",
            "The Content-Type names a type the operation does not read: send "
            "`application/json` (or a `+json` type); nothing was stored.",
        ),
        ProblemType(
            "unauthenticated",
            401,
            "Authentication is required",
            "Send a valid bearer token, obtained from POST /api/v1/auth/token.",
        ),
        ProblemType(
            "forbidden",
            403,
            "Your role does not allow this action",
            "The action is outside the permissions of your roles or the key's scopes.",
        ),
        ProblemType(
            "not-found",
            404,
            "The resource does not exist",
            "Nothing with this identifier exists that you are allowed to know about.",
        ),
        ProblemType(
            "method-not-allowed",
            405,
            "The method is not allowed on this resource",
            "See the OpenAPI document for the methods this path accepts.",
        ),
        ProblemType(
            "precondition-required",
            428,
            "An If-Match header is required",
            "Changes need the ETag of the version you read, in If-Match, so that "
            "concurrent changes are never silently overwritten.",
        ),
        ProblemType(
            "precondition-failed",
            412,
            "The resource changed since you read it",
            "Another change was made first. Read the resource again, check the "
            "difference and repeat your change with the new ETag.",
        ),
        ProblemType(
            "illegal-transition",
            409,
            "The action is not possible in the current state",
            "The workflow does not allow this action now. `current_status` is the state "
            "the resource is in and `allowed_actions` the actions the workflow allows from it.",
        ),
        ProblemType(
            "conflict",
            409,
            "This contradicts what is stored",
            "The request would create what exists already (a name, a link, a message "
            "received before under another id). `detail` says what.",
        ),
        ProblemType(
            "too-many-attempts",
            429,
            "Too many failed attempts",
            "Sign-in is paused for this account or address; retry after the given time.",
        ),
        ProblemType(
            "clock-ahead",
            503,
            "The step is dated ahead of this instance's clock",
            "The sending instance's clock runs ahead of this one's by more than the skew "
            "allowed. Nothing was taken; send it again after the seconds in Retry-After, "
            "and set the sender's clock right.",
        ),
        ProblemType(
            "service-unavailable",
            503,
            "The service cannot serve this now",
            "The database is unreachable, restarting, read-only (a failover in progress, a "
            "full disk) or its schema is not current. Repeat the request after the seconds "
            "in Retry-After. A write whose connection was lost while it committed may have "
            "been stored: read before you write again.",
        ),
        ProblemType(
            "internal-error",
            500,
            "Internal error",
            "An unexpected error; it was logged with the request id.",
        ),
    ]
}


class ProblemLocation(BaseModel):
    """Where a rejected value is: exactly one of pointer, parameter or header."""

    model_config = ConfigDict(extra="forbid")
    detail: str
    pointer: str | None = Field(
        default=None, description="JSON Pointer into the body, e.g. #/items/0/serial"
    )
    parameter: str | None = Field(default=None, description="Name of the query or path parameter")
    header: str | None = Field(default=None, description="Name of the header")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI of the problem type, stable; GET it for its description")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemLocation] | None = None


class ProblemError(Exception):
    """Raised by the HTTP edge for problems that are not domain errors (auth, headers)."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or slug)
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors
        self.extensions = extensions or {}

    @classmethod
    def invalid_parameter(cls, name: str, detail: str) -> ProblemError:
        return cls("validation-error", errors=[{"parameter": name, "detail": detail}])


def problem_document(
    slug: str,
    *,
    detail: str | None = None,
    instance: str | None = None,
    request_id: str | None = None,
    errors: list[dict[str, str]] | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    kind = PROBLEM_TYPES[slug]
    # Extensions never override the members RFC 9457 defines.
    document: dict[str, Any] = dict(extensions or {})
    document |= {"type": kind.uri, "title": kind.title, "status": kind.status}
    for key, value in (
        ("detail", detail),
        ("instance", instance),
        ("request_id", request_id),
        ("errors", errors),
    ):
        if value is not None:
            document[key] = value
    return document


def problem_bytes(slug: str, **fields: Any) -> bytes:
    return json.dumps(problem_document(slug, **fields), ensure_ascii=False).encode()


def problem_response(
    request: Request,
    slug: str,
    *,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    body = problem_document(
        slug,
        detail=detail,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        errors=errors,
        extensions=extensions,
    )
    return Response(
        content=json.dumps(body, ensure_ascii=False),
        status_code=PROBLEM_TYPES[slug].status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def json_pointer(path: str) -> str:
    """`items.0.serial` -> `#/items/0/serial` (RFC 6901 escaping of `~` and `/`)."""
    if not path:
        return "#"
    parts = [p.replace("~", "~0").replace("/", "~1") for p in path.split(".")]
    return "#/" + "/".join(parts)


def _domain_errors(problems: list[FieldProblem]) -> list[dict[str, str]]:
    return [{"pointer": json_pointer(p.field), "detail": p.detail} for p in problems]


def _request_errors(
    error: RequestValidationError, union_tags: frozenset[str]
) -> tuple[str, list[dict[str, str]]]:
    """FastAPI's validation errors as locations; malformed JSON is its own problem."""
    located: list[dict[str, str]] = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            return "malformed-request", [{"pointer": "#", "detail": str(item.get("msg"))}]
        where, *path = item["loc"]
        # Pydantic puts the tag of a tagged union in the location (items/0/firearm/type);
        # the body has no such level.
        path = [
            p
            for i, p in enumerate(path)
            if not (p in union_tags and i and isinstance(path[i - 1], int))
        ]
        # Pydantic names its own kind of error first ("Value error, ..."): the reader needs
        # only what is wrong.
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        if where == "body":
            located.append(
                {"pointer": json_pointer(".".join(str(p) for p in path)), "detail": message}
            )
        elif where == "header":
            located.append({"header": str(path[0]) if path else "", "detail": message})
        else:
            located.append({"parameter": str(path[0]) if path else str(where), "detail": message})
    return "validation-error", located


def install_problem_handlers(app: FastAPI, *, union_tags: frozenset[str] = frozenset()) -> None:
    """Map every error to a problem in one place. `union_tags` are the discriminator
    values of tagged unions in request bodies, left out of error pointers."""

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: RequestValidationError) -> Response:
        slug, errors = _request_errors(error, union_tags)
        return problem_response(request, slug, errors=errors)

    @app.exception_handler(ValidationFailed)
    async def domain_invalid(request: Request, error: ValidationFailed) -> Response:
        return problem_response(request, "validation-error", errors=_domain_errors(error.problems))

    @app.exception_handler(InvalidValue)
    async def value_invalid(request: Request, error: InvalidValue) -> Response:
        # Domain rules see the body; routes turn errors in parameters into ProblemError.
        errors = [{"pointer": json_pointer(error.field), "detail": error.detail}]
        return problem_response(request, "validation-error", errors=errors)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return problem_response(request, "not-found", detail=str(error))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return problem_response(request, "forbidden", detail=f"your role may not {error.action}")

    @app.exception_handler(IllegalTransition)
    async def illegal(request: Request, error: IllegalTransition) -> Response:
        return problem_response(
            request,
            "illegal-transition",
            detail=str(error),
            extensions={"current_status": error.status, "allowed_actions": list(error.allowed)},
        )

    @app.exception_handler(Conflict)
    async def conflict(request: Request, error: Conflict) -> Response:
        return problem_response(request, "conflict", detail=str(error))

    @app.exception_handler(StaleVersion)
    async def stale(request: Request, error: StaleVersion) -> Response:
        return problem_response(request, "precondition-failed", detail=str(error))

    @app.exception_handler(ProblemError)
    async def edge_problem(request: Request, error: ProblemError) -> Response:
        return problem_response(
            request,
            error.slug,
            detail=error.detail,
            headers=error.headers,
            errors=error.errors,
            extensions=error.extensions,
        )

    @app.exception_handler(TooManyAttempts)
    async def too_many(request: Request, error: TooManyAttempts) -> Response:
        return problem_response(
            request,
            "too-many-attempts",
            detail=f"too many failed attempts; retry in {error.retry_after_seconds} s",
            headers={"Retry-After": str(error.retry_after_seconds)},
        )

    @app.exception_handler(DatedAhead)
    async def dated_ahead(request: Request, error: DatedAhead) -> Response:
        return problem_response(
            request,
            "clock-ahead",
            detail=str(error),
            headers={"Retry-After": str(error.retry_after_seconds)},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, error: StarletteHTTPException) -> Response:
        # 400 is a body the framework could not parse: a form without its boundary.
        slug = {
            400: "malformed-request",
            404: "not-found",
            405: "method-not-allowed",
            413: "payload-too-large",
        }.get(error.status_code)
        if slug is None:
            log.warning("unmapped http error", status=error.status_code)
            slug = "internal-error" if error.status_code >= 500 else "validation-error"
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Every method of the resource, not only those of the route that refused.
            allowed = allowed_methods(request.app.routes, request.scope["path"])
            headers["Allow"] = ", ".join(allowed) or headers.get("Allow", "")
        return problem_response(request, slug, detail=str(error.detail), headers=headers)

    # Errors no handler here takes are answered by failures.UnexpectedErrors, inside the
    # middleware stack rather than in Starlette's outermost one.


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems a route can answer with."""
    by_status: dict[int, list[ProblemType]] = {}
    for kind in PROBLEM_TYPES.values():
        by_status.setdefault(kind.status, []).append(kind)
    return {
        status: {
            "model": Problem,
            "description": "; ".join(k.title for k in by_status[status]),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def document_problems_alone(app: FastAPI) -> None:
    """Problems are documented as `application/problem+json` only. FastAPI adds the
    route's own media type (JSON) beside every response given a model, and a problem is
    never sent as `application/json`."""
    make = app.openapi

    def openapi() -> dict[str, Any]:
        document = make()  # made once, then kept by FastAPI
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    if PROBLEM_MEDIA_TYPE in content:
                        content.pop("application/json", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
