"""Recording a recovery and correcting one: plain forms that work without JavaScript,
where htmx only adds and removes items in place and shows serial matches while typing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from service.adapters.api.schemas.recoveries import (
    RecoveryCreate,
    RecoveryUpdate,
    recovery_public,
)
from service.adapters.console import i18n
from service.adapters.console.dependencies import ConsoleDeps, Holder, PostedForm
from service.adapters.console.forms import (
    form_text,
    model_problems,
    problems_by_field,
    whole_number,
)
from service.adapters.console.i18n import N_
from service.adapters.console.labels import choices, countries
from service.adapters.console.recovery_forms import (
    UNION_TAGS,
    RecoveryForm,
    blank_form,
    correction_document,
    correction_fields,
    read_form,
    recovery_as_form,
    recovery_document,
    to_form_fields,
)
from service.adapters.console.rendering import page
from service.domain.access import Action, authorize
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.items import ComponentCategory, FirearmType, ItemKind, SerialState
from service.domain.recovery import Circumstances
from service.recoveries import correct_recovery, get_recovery, record_recovery

router = APIRouter()


def _form_page(
    request: Request,
    recovery_form: RecoveryForm,
    *,
    errors: dict[str, str] | None = None,
    correcting: UUID | None = None,
    status_code: int = 200,
    focus: str | None = None,
) -> Response:
    return page(
        request,
        "recoveries/form.html",
        {
            "form": recovery_form,
            "values": recovery_form.values,
            "errors": errors or {},
            "correcting": correcting,
            "action": f"/recoveries/{correcting}/correct" if correcting else "/recoveries/new",
            "focus": focus,
            "countries": countries(),
            "circumstances": choices(Circumstances),
            "firearm_types": choices(FirearmType),
            "serial_states": choices(SerialState),
            "component_categories": choices(ComponentCategory),
            "item_kinds": choices(ItemKind),
        },
        block="items" if focus is not None else None,
        status_code=status_code,
    )


def _changed_items(recovery_form: RecoveryForm, form: FormData) -> str | None:
    """Adds or removes an item when one of those buttons sent the form; returns the
    field to focus then, or None when the form was sent to be saved."""
    if added := form_text(form, "add_item"):
        recovery_form.item(added)
        return f"{recovery_form.items[-1].prefix}-kind"
    if removed := form_text(form, "remove_item"):
        if (index := whole_number(removed)) is not None:
            recovery_form.without_item(index)
        return "add-item"
    return None


@router.get("/recoveries/new")
async def new_recovery(request: Request, holder: Holder) -> Response:
    authorize(holder.actor, Action.RECOVERY_RECORD)
    return _form_page(request, blank_form())


@router.post("/recoveries/new")
async def record(request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm) -> Response:
    authorize(holder.actor, Action.RECOVERY_RECORD)
    recovery_form = read_form(form)
    if (focus := _changed_items(recovery_form, form)) is not None:
        return _form_page(request, recovery_form, focus=focus)
    positions: Sequence[int] = ()
    try:
        document, positions = recovery_document(recovery_form, i18n.reading().time_zone)
        command = RecoveryCreate.model_validate(document).command()
        recovery = await record_recovery(deps=deps, actor=holder.actor, command=command)
    except ValidationError as invalid:
        errors = to_form_fields(model_problems(invalid, union_tags=UNION_TAGS), positions)
        return _form_page(request, recovery_form, errors=errors, status_code=422)
    except (ValidationFailed, InvalidValue) as refused:
        problems = refused.problems if isinstance(refused, ValidationFailed) else [refused]
        errors = to_form_fields(problems_by_field(problems), positions)
        return _form_page(request, recovery_form, errors=errors, status_code=422)
    return RedirectResponse(f"/recoveries/{recovery.id}?recorded=true", status_code=303)


async def _stored_form(deps: ConsoleDeps, holder: Holder, recovery_id: UUID) -> RecoveryForm:
    recovery = await get_recovery(deps=deps, actor=holder.actor, recovery_id=recovery_id)
    document: dict[str, Any] = recovery_public(recovery).model_dump(mode="json")
    return recovery_as_form(recovery, document, i18n.reading().time_zone)


@router.get("/recoveries/{recovery_id}/correct")
async def correction_form(
    request: Request, deps: ConsoleDeps, holder: Holder, recovery_id: UUID
) -> Response:
    authorize(holder.actor, Action.RECOVERY_CORRECT)
    stored = await _stored_form(deps, holder, recovery_id)
    return _form_page(request, stored, correcting=recovery_id)


@router.post("/recoveries/{recovery_id}/correct")
async def correct(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm, recovery_id: UUID
) -> Response:
    authorize(holder.actor, Action.RECOVERY_CORRECT)
    stored = await _stored_form(deps, holder, recovery_id)
    submitted = read_form(form)
    if (focus := _changed_items(submitted, form)) is not None:
        return _form_page(request, submitted, correcting=recovery_id, focus=focus)
    version = form_text(form, "version")
    try:
        correction = correction_document(
            stored, submitted, i18n.reading().time_zone, form_text(form, "reason")
        )
    except InvalidValue as refused:
        errors = problems_by_field([refused])
        return _form_page(
            request, submitted, errors=errors, correcting=recovery_id, status_code=422
        )
    try:
        if (expected := whole_number(version)) is None:
            raise InvalidValue("version", N_("the form is incomplete: open it again"))
        body = RecoveryUpdate.model_validate(correction.document)
        await correct_recovery(
            deps=deps,
            actor=holder.actor,
            recovery_id=recovery_id,
            expected_version=expected,
            correction=body.correction(),
            reason=body.reason,
        )
    except ValidationError as invalid:
        errors = correction_fields(model_problems(invalid, union_tags=UNION_TAGS), correction)
        return _form_page(
            request, submitted, errors=errors, correcting=recovery_id, status_code=422
        )
    except (ValidationFailed, InvalidValue) as refused:
        problems = refused.problems if isinstance(refused, ValidationFailed) else [refused]
        errors = correction_fields(problems_by_field(problems), correction)
        return _form_page(
            request, submitted, errors=errors, correcting=recovery_id, status_code=422
        )
    return RedirectResponse(f"/recoveries/{recovery_id}", status_code=303)
