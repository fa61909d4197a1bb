"""Trace requests: the inbox and the sent requests with what is owed first, asking for a
trace of an item, a request's page with its thread and the steps the workflow allows."""

from __future__ import annotations

from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from service.adapters.api.schemas.recoveries import recovery_public
from service.adapters.api.schemas.trace_requests import (
    AnswerIn,
    QuestionIn,
    ReasonIn,
    TraceRequestCreate,
)
from service.adapters.console.dependencies import ConsoleDeps, Holder, PostedForm
from service.adapters.console.forms import (
    form_text,
    model_problems,
    problems_by_field,
    whole_number,
)
from service.adapters.console.i18n import N_
from service.adapters.console.i18n import gettext_ as _
from service.adapters.console.labels import choices
from service.adapters.console.rendering import page
from service.adapters.cursors import decode_cursor, encode_cursor
from service.agency_directory import agencies, agency_names
from service.domain.access import Action, Actor, authorize
from service.domain.errors import InvalidValue, NotFound, ValidationFailed
from service.domain.ports.tracing import Box, TraceRequestCursor, TraceRequestFilter
from service.domain.trace_workflow import Priority, Side, TraceAction, TraceStatus
from service.recoveries import get_recovery
from service.trace_requests import (
    Acknowledge,
    Close,
    Decline,
    ProvideInformation,
    RequestInformation,
    Submit,
    TraceCommand,
    Withdraw,
    act_on_trace_request,
    actions_for,
    get_trace_request,
    list_trace_requests,
    owed_trace_requests,
    post_message,
    read_messages,
    request_trace,
)

router = APIRouter()
PAGE_SIZE: Final = 25
OWED_SHOWN: Final = 50
# Steps taken with a button on the request's page; `respond` has a page of its own.
_TEXT_OF_STEP: Final = {
    TraceAction.REQUEST_INFO: "question",
    TraceAction.PROVIDE_INFO: "answer",
    TraceAction.DECLINE: "reason",
    TraceAction.WITHDRAW: "reason",
}


def _boxes(actor: Actor) -> list[Box]:
    boxes = []
    if actor.may(Action.TRACE_READ) and actor.acts_for(Side.RESPONDER):
        boxes.append(Box.INBOX)
    if actor.may(Action.TRACE_READ) and actor.acts_for(Side.REQUESTER):
        boxes.append(Box.OUTBOX)
    return boxes


@router.get("/traces")
async def trace_requests(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    box: Annotated[str, Query(max_length=8)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    authorize(holder.actor, Action.TRACE_READ)
    boxes = _boxes(holder.actor)
    chosen = Box(box) if box in {b.value for b in boxes} else boxes[0] if boxes else Box.OUTBOX
    statuses = frozenset({TraceStatus(status)}) if status in set(TraceStatus) else frozenset()
    try:
        after = TraceRequestCursor(*decode_cursor(cursor)) if cursor else None
    except InvalidValue:
        after = None
    owed = await owed_trace_requests(deps=deps, actor=holder.actor, box=chosen, limit=OWED_SHOWN)
    listed = await list_trace_requests(
        deps=deps,
        actor=holder.actor,
        box=chosen,
        request_filter=TraceRequestFilter(statuses=statuses),
        after=after,
        limit=PAGE_SIZE,
    )
    next_cursor = listed.next_cursor
    return page(
        request,
        "traces/list.html",
        {
            "box": chosen.value,
            "boxes": [b.value for b in boxes],
            "owed": owed,
            "requests": listed.requests,
            "status": status,
            "statuses": choices(TraceStatus),
            "next_cursor": encode_cursor(next_cursor.created_at, next_cursor.request_id)
            if next_cursor
            else None,
            "first_page": not cursor,
            "agencies": await agency_names(deps=deps, actor=holder.actor),
            "now": deps.clock.now(),
        },
        block="requests",
    )


async def _ask_page(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    recovery_id: UUID,
    item_id: UUID,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    recovery = recovery_public(
        await get_recovery(deps=deps, actor=holder.actor, recovery_id=recovery_id)
    )
    item = next((i for i in recovery.items if i.id == item_id), None)
    if item is None:
        raise NotFound("item", str(item_id))
    return page(
        request,
        "traces/ask.html",
        {
            "recovery": recovery,
            "item": item,
            "values": values or {"priority": Priority.ROUTINE.value},
            "errors": errors or {},
            "addressees": [
                (str(a.id), a.name + (f" ({a.country})" if a.country else ""))
                for a in await agencies(deps=deps, actor=holder.actor)
            ],
            "priorities": choices(Priority),
        },
        status_code=status_code,
    )


@router.get("/recoveries/{recovery_id}/items/{item_id}/trace")
async def ask_form(
    request: Request, deps: ConsoleDeps, holder: Holder, recovery_id: UUID, item_id: UUID
) -> Response:
    authorize(holder.actor, Action.TRACE_REQUEST)
    return await _ask_page(request, deps, holder, recovery_id, item_id)


@router.post("/recoveries/{recovery_id}/items/{item_id}/trace")
async def ask(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    form: PostedForm,
    recovery_id: UUID,
    item_id: UUID,
) -> Response:
    authorize(holder.actor, Action.TRACE_REQUEST)
    values = {
        name: form_text(form, name)
        for name in ("addressee-agency_id", "legal_justification", "intended_use", "priority")
    }
    document: dict[str, Any] = {
        "recovery_id": str(recovery_id),
        "item_id": str(item_id),
        "addressee": {"agency_id": values["addressee-agency_id"]},
        "legal_justification": values["legal_justification"],
        "intended_use": values["intended_use"],
        "priority": values["priority"] or Priority.ROUTINE.value,
        "submit": form_text(form, "send") == "now",
    }
    try:
        command = TraceRequestCreate.model_validate(document).command()
        created = await request_trace(deps=deps, actor=holder.actor, command=command)
    except ValidationError as invalid:
        errors = model_problems(invalid)
    except ValidationFailed as refused:
        errors = problems_by_field(refused.problems)
    else:
        return RedirectResponse(f"/traces/{created.id}", status_code=303)
    return await _ask_page(
        request, deps, holder, recovery_id, item_id, values=values, errors=errors, status_code=422
    )


async def request_page(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    request_id: UUID,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = await get_trace_request(deps=deps, actor=holder.actor, request_id=request_id)
    thread = await read_messages(
        deps=deps, actor=holder.actor, request_id=request_id, after=None, limit=200
    )
    names = await agency_names(deps=deps, actor=holder.actor)
    allowed = actions_for(holder.actor, found)
    return page(
        request,
        "traces/detail.html",
        {
            "trace": found,
            "messages": thread.messages,
            "agencies": names,
            "steps": [step.value for step in allowed if step is not TraceAction.RESPOND],
            "may_respond": TraceAction.RESPOND in allowed,
            "text_of_step": {step.value: name for step, name in _TEXT_OF_STEP.items()},
            "may_write": found.thread_open and holder.actor.may(Action.TRACE_MESSAGE),
            "errors": errors or {},
            "values": values or {},
            "now": deps.clock.now(),
        },
        status_code=status_code,
    )


@router.get("/traces/{request_id}")
async def trace_request(
    request: Request, deps: ConsoleDeps, holder: Holder, request_id: UUID
) -> Response:
    return await request_page(request, deps, holder, request_id)


def _command(step: TraceAction, text: str) -> TraceCommand:
    """The workflow command of a step, its text checked by the API's own models."""
    if step is TraceAction.SUBMIT:
        return Submit()
    if step is TraceAction.ACKNOWLEDGE:
        return Acknowledge()
    if step is TraceAction.CLOSE:
        return Close()
    if step is TraceAction.REQUEST_INFO:
        return RequestInformation(QuestionIn.model_validate({"question": text}).question)
    if step is TraceAction.PROVIDE_INFO:
        return ProvideInformation(AnswerIn.model_validate({"answer": text}).answer)
    if step is TraceAction.DECLINE:
        return Decline(ReasonIn.model_validate({"reason": text}).reason)
    if step is TraceAction.WITHDRAW:
        return Withdraw(ReasonIn.model_validate({"reason": text}).reason)
    raise NotFound("step", step.value)  # responding has its own page


@router.post("/traces/{request_id}/steps/{step}")
async def take_step(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    form: PostedForm,
    request_id: UUID,
    step: TraceAction,
) -> Response:
    field = _TEXT_OF_STEP.get(step, "")
    text = form_text(form, f"{step.value}-{field}") if field else ""
    version = form_text(form, "version")
    try:
        if (expected := whole_number(version)) is None:
            raise InvalidValue("version", N_("the form is incomplete: open the request again"))
        await act_on_trace_request(
            deps=deps,
            actor=holder.actor,
            request_id=request_id,
            expected_version=expected,
            command=_command(step, text),
        )
    except ValidationError as invalid:
        errors = {f"{step.value}-{k}": v for k, v in model_problems(invalid).items()}
    except InvalidValue as refused:
        errors = {f"{step.value}-{field}" if field else "version": _(refused.detail)}
    except ValidationFailed as refused:
        errors = {f"{step.value}-{k}": v for k, v in problems_by_field(refused.problems).items()}
    else:
        return RedirectResponse(f"/traces/{request_id}", status_code=303)
    return await request_page(
        request,
        deps,
        holder,
        request_id,
        errors=errors,
        values={f"{step.value}-{field}": text} if field else {},
        status_code=422,
    )


@router.post("/traces/{request_id}/messages")
async def write(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm, request_id: UUID
) -> Response:
    body = form_text(form, "message-body")
    try:
        if not body.strip():
            raise InvalidValue("body", N_("write a message first"))
        await post_message(deps=deps, actor=holder.actor, request_id=request_id, body=body)
    except (InvalidValue, ValidationFailed) as refused:
        problems = refused.problems if isinstance(refused, ValidationFailed) else [refused]
        errors = {f"message-{k}": v for k, v in problems_by_field(problems).items()}
        return await request_page(
            request,
            deps,
            holder,
            request_id,
            errors=errors,
            values={"message-body": body},
            status_code=422,
        )
    return RedirectResponse(f"/traces/{request_id}#thread", status_code=303)
