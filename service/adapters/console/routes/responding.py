"""Answering a trace request: the outcome, notes, and a chain of custody edited row by
row (add, move up or down, remove), all of it with plain form posts; htmx redraws only
the chain when a row button is pressed."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from service.adapters.api.schemas.trace_requests import ResponseIn
from service.adapters.console.custody_forms import (
    ResponseForm,
    blank_response,
    event_fields,
    read_response_form,
)
from service.adapters.console.dependencies import ConsoleDeps, Holder, PostedForm
from service.adapters.console.forms import (
    form_text,
    model_problems,
    problems_by_field,
    whole_number,
)
from service.adapters.console.i18n import N_
from service.adapters.console.labels import choices, countries
from service.adapters.console.rendering import page
from service.agency_directory import agency_names
from service.domain.access import authorize, step_permission
from service.domain.custody import CustodyEventKind, PartyRole
from service.domain.errors import IllegalTransition, InvalidValue, ValidationFailed
from service.domain.trace_workflow import Outcome, TraceAction
from service.trace_requests import Respond, act_on_trace_request, actions_for, get_trace_request

router = APIRouter()


async def _respond_page(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    request_id: UUID,
    response_form: ResponseForm,
    *,
    version: str | None = None,
    errors: dict[str, str] | None = None,
    focus: str | None = None,
    status_code: int = 200,
) -> Response:
    found = await get_trace_request(deps=deps, actor=holder.actor, request_id=request_id)
    if TraceAction.RESPOND not in actions_for(holder.actor, found):
        allowed = tuple(a.value for a in actions_for(holder.actor, found))
        raise IllegalTransition("trace request", found.status.value, "respond", allowed)
    return page(
        request,
        "traces/respond.html",
        {
            "trace": found,
            "form": response_form,
            "version": version or str(found.version),
            "errors": errors or {},
            "focus": focus,
            "agencies": await agency_names(deps=deps, actor=holder.actor),
            "outcomes": choices(o for o in Outcome if o is not Outcome.DECLINED),
            "event_kinds": choices(CustodyEventKind),
            "party_roles": choices(PartyRole),
            "countries": countries(),
            "today": date.today().isoformat(),
        },
        block="chain" if focus is not None else None,
        status_code=status_code,
    )


@router.get("/traces/{request_id}/respond")
async def respond_form(
    request: Request, deps: ConsoleDeps, holder: Holder, request_id: UUID
) -> Response:
    authorize(holder.actor, step_permission(TraceAction.RESPOND))
    return await _respond_page(request, deps, holder, request_id, blank_response())


@router.post("/traces/{request_id}/respond")
async def respond(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm, request_id: UUID
) -> Response:
    authorize(holder.actor, step_permission(TraceAction.RESPOND))
    response_form = read_response_form(form)
    version = form_text(form, "version")
    if (focus := response_form.edit(form)) is not None:
        return await _respond_page(
            request, deps, holder, request_id, response_form, version=version, focus=focus
        )
    positions = response_form.positions()
    try:
        if (expected := whole_number(version)) is None:
            raise ValidationFailed.of(InvalidValue("version", N_("open the request again")))
        answer = ResponseIn.model_validate(response_form.document())
        await act_on_trace_request(
            deps=deps,
            actor=holder.actor,
            request_id=request_id,
            expected_version=expected,
            command=Respond(
                outcome=answer.outcome,
                chain_of_custody=[event.report() for event in answer.chain_of_custody],
                notes=answer.notes,
            ),
        )
    except ValidationError as invalid:
        errors = event_fields(model_problems(invalid), positions)
    except ValidationFailed as refused:
        errors = event_fields(problems_by_field(refused.problems), positions)
    else:
        return RedirectResponse(f"/traces/{request_id}", status_code=303)
    return await _respond_page(
        request,
        deps,
        holder,
        request_id,
        response_form,
        version=version,
        errors=errors,
        status_code=422,
    )
