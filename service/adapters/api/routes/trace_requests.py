"""Trace requests: ask, answer, follow the exchange, read the inbox and the outbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Query, Response

from service.adapters.api.cursors import decode_cursor, encode_cursor
from service.adapters.api.dependencies import CurrentActor, Deps, RequiredVersion, action
from service.adapters.api.problems import problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.api.schemas.trace_requests import (
    AnswerIn,
    DeliveryOut,
    MessageIn,
    MessageOut,
    MessagePage,
    QuestionIn,
    ReasonIn,
    ResponseIn,
    TraceRequestCreate,
    TraceRequestPage,
    TraceRequestPublic,
    message_out,
    trace_request_public,
    trace_request_summary,
)
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, step_permission
from service.domain.ports.tracing import Box, MessageCursor, TraceRequestCursor, TraceRequestFilter
from service.domain.trace_request import TraceRequest
from service.domain.trace_workflow import Priority, TraceAction, TraceStatus
from service.trace_federation import delivery_state
from service.trace_requests import (
    Acknowledge,
    Close,
    Decline,
    ProvideInformation,
    RequestInformation,
    Respond,
    Submit,
    TraceCommand,
    Withdraw,
    act_on_trace_request,
    actions_for,
    get_trace_request,
    list_trace_requests,
    post_message,
    read_messages,
    request_trace,
)

router = ApiRouter(prefix="/api/v1/trace-requests", tags=["trace requests"])
# Workflow actions: the version read goes in If-Match; the answer is the request after it.
_ACTION_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 412, 413, 422, 428)


def _etag(request: TraceRequest) -> str:
    return f'"v{request.version}"'


def _public(
    deps: Dependencies, actor: Actor, request: TraceRequest, response: Response
) -> TraceRequestPublic:
    response.headers["ETag"] = _etag(request)
    return trace_request_public(request, deps.clock.now(), actions_for(actor, request))


@router.post(
    "",
    status_code=201,
    responses=problem_responses(400, 401, 403, 413, 422),
    openapi_extra=action(Action.TRACE_REQUEST),
)
async def create_trace_request(
    body: TraceRequestCreate, deps: Deps, actor: CurrentActor, response: Response
) -> TraceRequestPublic:
    """Ask the agency able to follow an item's history. The request carries the item as
    it is now; later corrections of your recovery do not change what was asked. A draft
    is seen only by your agency until you submit it (or send `"submit": true`)."""
    request = await request_trace(deps=deps, actor=actor, command=body.command())
    response.headers["Location"] = f"{router.prefix}/{request.id}"
    return _public(deps, actor, request, response)


@router.get(
    "",
    responses=problem_responses(401, 403, 422),
    openapi_extra=action(Action.TRACE_READ),
)
async def list_requests(
    deps: Deps,
    actor: CurrentActor,
    box: Annotated[
        Literal["outbox", "inbox"],
        Query(description="outbox: what your agency asked; inbox: what it is asked"),
    ],
    status: Annotated[list[TraceStatus] | None, Query(description="any of these")] = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="true: requests owing a step whose due time has passed (an answer "
            "that came late is not overdue any more: see `answered_late`); false: the rest"
        ),
    ] = None,
    priority: Priority | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TraceRequestPage:
    """Your agency's outbox or inbox, newest first. Investigators have an outbox, tracing
    officers an inbox, supervisors both."""
    after = None
    if cursor:
        moment, identifier = decode_cursor(cursor)
        after = TraceRequestCursor(moment, identifier)
    page = await list_trace_requests(
        deps=deps,
        actor=actor,
        box=Box(box),
        request_filter=TraceRequestFilter(
            statuses=frozenset(status or ()), priority=priority, overdue=overdue
        ),
        after=after,
        limit=limit,
    )
    now = deps.clock.now()
    return TraceRequestPage(
        requests=[trace_request_summary(r, now, actions_for(actor, r)) for r in page.requests],
        next_cursor=encode_cursor(page.next_cursor.created_at, page.next_cursor.request_id)
        if page.next_cursor
        else None,
    )


@router.get(
    "/{request_id}",
    responses=problem_responses(401, 403, 404),
    openapi_extra=action(Action.TRACE_READ),
)
async def read_trace_request(
    request_id: UUID, deps: Deps, actor: CurrentActor, response: Response
) -> TraceRequestPublic:
    """A request with the item data it carries, its history and its answers; for the
    requesting and the addressed agency only."""
    request = await get_trace_request(deps=deps, actor=actor, request_id=request_id)
    public = _public(deps, actor, request, response)
    delivery = await delivery_state(deps=deps, request=request)
    if delivery is not None:
        public.delivery = DeliveryOut.model_validate(delivery, from_attributes=True)
    return public


def _workflow_route(
    path: str, step: TraceAction, summary: str
) -> Callable[
    [Callable[..., Awaitable[TraceRequestPublic]]], Callable[..., Awaitable[TraceRequestPublic]]
]:
    """A step's route, declaring the permission the access policy names for the step."""
    return router.post(
        f"/{{request_id}}/{path}",
        responses=_ACTION_PROBLEMS,
        openapi_extra=action(step_permission(step)),
        summary=summary,
    )


async def _act(
    deps: Dependencies,
    actor: Actor,
    request_id: UUID,
    version: int,
    command: TraceCommand,
    response: Response,
) -> TraceRequestPublic:
    request = await act_on_trace_request(
        deps=deps, actor=actor, request_id=request_id, expected_version=version, command=command
    )
    return _public(deps, actor, request, response)


@_workflow_route("submit", TraceAction.SUBMIT, "Submit a draft")
async def submit(
    request_id: UUID, deps: Deps, actor: CurrentActor, version: RequiredVersion, response: Response
) -> TraceRequestPublic:
    """Send the draft to the addressed agency; due times start now."""
    return await _act(deps, actor, request_id, version, Submit(), response)


@_workflow_route("acknowledge", TraceAction.ACKNOWLEDGE, "Acknowledge receipt")
async def acknowledge(
    request_id: UUID, deps: Deps, actor: CurrentActor, version: RequiredVersion, response: Response
) -> TraceRequestPublic:
    return await _act(deps, actor, request_id, version, Acknowledge(), response)


@_workflow_route("request-info", TraceAction.REQUEST_INFO, "Ask the requester for information")
async def request_info(
    request_id: UUID,
    body: QuestionIn,
    deps: Deps,
    actor: CurrentActor,
    version: RequiredVersion,
    response: Response,
) -> TraceRequestPublic:
    """The question goes into the thread; the answer's clock stops until it is answered."""
    command = RequestInformation(body.question)
    return await _act(deps, actor, request_id, version, command, response)


@_workflow_route("provide-info", TraceAction.PROVIDE_INFO, "Answer the responder's question")
async def provide_info(
    request_id: UUID,
    body: AnswerIn,
    deps: Deps,
    actor: CurrentActor,
    version: RequiredVersion,
    response: Response,
) -> TraceRequestPublic:
    command = ProvideInformation(body.answer)
    return await _act(deps, actor, request_id, version, command, response)


@_workflow_route("respond", TraceAction.RESPOND, "Answer, or add a supplementary answer")
async def respond(
    request_id: UUID,
    body: ResponseIn,
    deps: Deps,
    actor: CurrentActor,
    version: RequiredVersion,
    response: Response,
) -> TraceRequestPublic:
    """The outcome and the chain of custody: dates in order and not after the recovery,
    parties in roles that fit each event. Time-to-crime is derived."""
    command = Respond(body.outcome, [e.report() for e in body.chain_of_custody], body.notes)
    return await _act(deps, actor, request_id, version, command, response)


@_workflow_route("decline", TraceAction.DECLINE, "Decline to answer, with the reason")
async def decline(
    request_id: UUID,
    body: ReasonIn,
    deps: Deps,
    actor: CurrentActor,
    version: RequiredVersion,
    response: Response,
) -> TraceRequestPublic:
    return await _act(deps, actor, request_id, version, Decline(body.reason), response)


@_workflow_route("withdraw", TraceAction.WITHDRAW, "Withdraw the request, with the reason")
async def withdraw(
    request_id: UUID,
    body: ReasonIn,
    deps: Deps,
    actor: CurrentActor,
    version: RequiredVersion,
    response: Response,
) -> TraceRequestPublic:
    return await _act(deps, actor, request_id, version, Withdraw(body.reason), response)


@_workflow_route("close", TraceAction.CLOSE, "Close an answered request")
async def close(
    request_id: UUID, deps: Deps, actor: CurrentActor, version: RequiredVersion, response: Response
) -> TraceRequestPublic:
    return await _act(deps, actor, request_id, version, Close(), response)


@router.get(
    "/{request_id}/messages",
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=action(Action.TRACE_READ),
)
async def list_messages(
    request_id: UUID,
    deps: Deps,
    actor: CurrentActor,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    """The thread between the two sides, oldest first."""
    after = None
    if cursor:
        moment, identifier = decode_cursor(cursor)
        after = MessageCursor(moment, identifier)
    page = await read_messages(
        deps=deps, actor=actor, request_id=request_id, after=after, limit=limit
    )
    return MessagePage(
        messages=[message_out(m) for m in page.messages],
        next_cursor=encode_cursor(page.next_cursor.posted_at, page.next_cursor.message_id)
        if page.next_cursor
        else None,
    )


@router.post(
    "/{request_id}/messages",
    status_code=201,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
    openapi_extra=action(Action.TRACE_MESSAGE),
)
async def write_message(
    request_id: UUID, body: MessageIn, deps: Deps, actor: CurrentActor
) -> MessageOut:
    """Write to the other side. Attachments are described (name, type, size, SHA-256);
    the files themselves travel by other means."""
    message = await post_message(
        deps=deps,
        actor=actor,
        request_id=request_id,
        body=body.body,
        attachments=[a.report() for a in body.attachments],
    )
    return message_out(message)
