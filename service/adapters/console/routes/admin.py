"""Administration: agencies (the instance's administrators register them), an agency's
people with their roles, disabling them, its integrations with their keys (a new key's
secret shown once) and revoking keys."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from service import administration
from service.adapters.console.dependencies import ConsoleDeps, Holder, PostedForm
from service.adapters.console.forms import form_text, problems_by_field
from service.adapters.console.labels import choices, countries
from service.adapters.console.rendering import page
from service.domain.access import Action, Scope, authorize, grantable_roles
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.identity import AgencyKind

router = APIRouter()


@router.get("/admin")
async def administration_home(holder: Holder) -> Response:
    authorize(holder.actor, Action.ACCOUNTS_ADMINISTER)
    if holder.actor.may(Action.AGENCY_REGISTER):
        return RedirectResponse("/admin/agencies", status_code=303)
    return RedirectResponse(f"/admin/agencies/{holder.actor.agency_id}", status_code=303)


async def _agencies_page(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "admin/agencies.html",
        {
            "agencies": await administration.administered_agencies(deps=deps, actor=holder.actor),
            "may_register": holder.actor.may(Action.AGENCY_REGISTER),
            "values": values or {},
            "errors": errors or {},
            "countries": countries(),
            "kinds": choices(AgencyKind),
        },
        status_code=status_code,
    )


@router.get("/admin/agencies")
async def agencies(request: Request, deps: ConsoleDeps, holder: Holder) -> Response:
    return await _agencies_page(request, deps, holder)


@router.post("/admin/agencies")
async def register(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm
) -> Response:
    values = {name: form_text(form, name) for name in ("name", "country", "kind")}
    try:
        created = await administration.register_new_agency(deps=deps, actor=holder.actor, **values)
    except (ValidationFailed, InvalidValue) as refused:
        problems = refused.problems if isinstance(refused, ValidationFailed) else [refused]
        return await _agencies_page(
            request,
            deps,
            holder,
            values=values,
            errors=problems_by_field(problems),
            status_code=422,
        )
    return RedirectResponse(f"/admin/agencies/{created.id}", status_code=303)


async def agency_page(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    agency_id: UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    issued: administration.KeyOfAgency | None = None,
    status_code: int = 200,
) -> Response:
    kept = await administration.agency_accounts(deps=deps, actor=holder.actor, agency_id=agency_id)
    return page(
        request,
        "admin/agency.html",
        {
            "kept": kept,
            "values": values or {},
            "errors": errors or {},
            "issued": issued,
            "grantable": choices(sorted(grantable_roles(holder.actor))),
            "scopes": choices(sorted(Scope)),
            "now": deps.clock.now(),
        },
        status_code=status_code,
    )


@router.get("/admin/agencies/{agency_id}")
async def agency(request: Request, deps: ConsoleDeps, holder: Holder, agency_id: UUID) -> Response:
    return await agency_page(request, deps, holder, agency_id)


def _refusal(refused: ValidationFailed | InvalidValue, prefix: str) -> dict[str, str]:
    """Problems by the form's fields; a problem of one chosen role is the roles' field."""
    problems = refused.problems if isinstance(refused, ValidationFailed) else [refused]
    found: dict[str, str] = {}
    for name, message in problems_by_field(problems).items():
        found.setdefault(f"{prefix}-{re.sub(r'-[0-9]+$', '', name)}", message)
    return found


@router.post("/admin/agencies/{agency_id}/people")
async def add_person(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm, agency_id: UUID
) -> Response:
    username, display_name = (
        form_text(form, "person-username"),
        form_text(form, "person-display_name"),
    )
    chosen = [r for r in form.getlist("person-roles") if isinstance(r, str)]
    values: dict[str, Any] = {
        "person-username": username,
        "person-display_name": display_name,
        "person-roles": chosen,
    }
    try:
        await administration.add_person(
            deps=deps,
            actor=holder.actor,
            agency_id=agency_id,
            username=username,
            display_name=display_name,
            roles=chosen,
            password=form_text(form, "person-password"),
        )
    except (ValidationFailed, InvalidValue) as refused:
        return await agency_page(
            request,
            deps,
            holder,
            agency_id,
            values=values,
            errors=_refusal(refused, "person"),
            status_code=422,
        )
    return RedirectResponse(f"/admin/agencies/{agency_id}#people", status_code=303)


@router.post("/admin/people/{user_id}/roles")
async def roles(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm, user_id: UUID
) -> Response:
    chosen = [r for r in form.getlist(f"roles-{user_id}") if isinstance(r, str)]
    try:
        changed = await administration.change_roles(
            deps=deps, actor=holder.actor, user_id=user_id, roles=chosen
        )
    except (ValidationFailed, InvalidValue) as refused:
        try:
            agency_id = UUID(form_text(form, "agency_id"))
        except ValueError:
            raise refused from None  # not sent from the agency's page: shown on its own
        return await agency_page(
            request,
            deps,
            holder,
            agency_id,
            errors={f"roles-{user_id}": message for message in _refusal(refused, "x").values()},
            status_code=422,
        )
    return RedirectResponse(f"/admin/agencies/{changed.agency_id}#people", status_code=303)


@router.post("/admin/people/{user_id}/disable")
async def disable(deps: ConsoleDeps, holder: Holder, form: PostedForm, user_id: UUID) -> Response:
    reason = form_text(form, "reason").strip() or None
    user = await administration.disable_person(
        deps=deps, actor=holder.actor, user_id=user_id, reason=reason
    )
    return RedirectResponse(f"/admin/agencies/{user.agency_id}#people", status_code=303)


@router.post("/admin/agencies/{agency_id}/integrations")
async def add_integration(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm, agency_id: UUID
) -> Response:
    name = form_text(form, "integration-name")
    scopes = [s for s in form.getlist("integration-scopes") if isinstance(s, str)]
    values: dict[str, Any] = {"integration-name": name, "integration-scopes": scopes}
    try:
        await administration.add_integration(
            deps=deps, actor=holder.actor, agency_id=agency_id, name=name, scopes=scopes
        )
    except (ValidationFailed, InvalidValue) as refused:
        return await agency_page(
            request,
            deps,
            holder,
            agency_id,
            values=values,
            errors=_refusal(refused, "integration"),
            status_code=422,
        )
    return RedirectResponse(f"/admin/agencies/{agency_id}#integrations", status_code=303)


@router.post("/admin/integrations/{service_account_id}/keys")
async def issue_key(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    form: PostedForm,
    service_account_id: UUID,
) -> Response:
    """The new key's secret is on this answer and nowhere else, ever (no redirect: the
    page is not cached and cannot be reloaded to show it again)."""
    issued = await administration.issue_key(
        deps=deps, actor=holder.actor, service_account_id=service_account_id
    )
    return await agency_page(request, deps, holder, issued.agency_id, issued=issued)


@router.post("/admin/keys/{public_id}/revoke")
async def revoke_key(
    deps: ConsoleDeps, holder: Holder, form: PostedForm, public_id: str
) -> Response:
    revoked = await administration.revoke_key(
        deps=deps,
        actor=holder.actor,
        public_id=public_id,
        reason=form_text(form, "reason").strip() or None,
    )
    return RedirectResponse(f"/admin/agencies/{revoked.agency_id}#integrations", status_code=303)
