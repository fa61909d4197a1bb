"""Use cases of administration: an agency's people, their roles and their access; its
integrations and their keys; and new agencies. An agency's administrators keep their
own agency; the instance's administrators keep every agency and register new ones.
Another agency's accounts are answered as absent, never as forbidden."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from service import accounts
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, Role, authorize, grantable_roles
from service.domain.errors import Conflict, Forbidden, InvalidValue, NotFound, ValidationFailed
from service.domain.identity import Agency, ApiKey, ServiceAccount, User, check_new_password


@dataclass(frozen=True, slots=True)
class AgencyAccounts:
    agency: Agency
    people: list[User]
    integrations: list[ServiceAccount]
    keys: dict[UUID, list[ApiKey]]  # by service account


def _administer(actor: Actor, agency_id: UUID) -> None:
    authorize(actor, Action.ACCOUNTS_ADMINISTER)
    if not actor.reaches(Action.ACCOUNTS_ADMINISTER, agency_id):
        raise NotFound("agency", str(agency_id))


def _ungrantable(actor: Actor, roles: list[str]) -> list[InvalidValue]:
    allowed = {role.value for role in grantable_roles(actor)}
    return [
        InvalidValue(f"roles.{index}", "is not a role you may give")
        for index, role in enumerate(roles)
        if role in {r.value for r in Role} and role not in allowed
    ]


def _check_grantable(actor: Actor, roles: list[str]) -> None:
    if refused := _ungrantable(actor, roles):
        raise ValidationFailed.of(*refused)


async def agency_accounts(*, deps: Dependencies, actor: Actor, agency_id: UUID) -> AgencyAccounts:
    _administer(actor, agency_id)
    async with deps.unit_of_work() as uow:
        agency = await uow.agencies.get(agency_id)
        if agency is None:
            raise NotFound("agency", str(agency_id))
        people = await uow.users.of_agency(agency_id)
        integrations = await uow.service_accounts.of_agency(agency_id)
        keys = await uow.api_keys.of_accounts([a.id for a in integrations])
    by_account: dict[UUID, list[ApiKey]] = {a.id: [] for a in integrations}
    for key in keys:
        by_account[key.service_account_id].append(key)
    return AgencyAccounts(agency, people, integrations, by_account)


async def administered_agencies(*, deps: Dependencies, actor: Actor) -> list[Agency]:
    """The agencies whose accounts the actor keeps."""
    authorize(actor, Action.ACCOUNTS_ADMINISTER)
    async with deps.unit_of_work() as uow:
        every = await uow.agencies.all()
    return [a for a in every if actor.reaches(Action.ACCOUNTS_ADMINISTER, a.id)]


async def add_person(
    *,
    deps: Dependencies,
    actor: Actor,
    agency_id: UUID,
    username: str,
    display_name: str,
    roles: list[str],
    password: str,
) -> User:
    _administer(actor, agency_id)
    # Every problem of the form at once: the names, the password, and the roles.
    problems = User.problems_of_new(username, display_name, roles) + _ungrantable(actor, roles)
    try:
        check_new_password(password)
    except InvalidValue as weak:
        problems.append(weak)
    if problems:
        raise ValidationFailed.of(*problems)
    return await accounts.register_user(
        deps=deps,
        agency_id=agency_id,
        username=username,
        display_name=display_name,
        roles=roles,
        password=password,
        actor=actor,
    )


async def _person(deps: Dependencies, actor: Actor, user_id: UUID) -> User:
    authorize(actor, Action.ACCOUNTS_ADMINISTER)
    async with deps.unit_of_work() as uow:
        user = await uow.users.get(user_id)
    if user is None or not actor.reaches(Action.ACCOUNTS_ADMINISTER, user.agency_id):
        raise NotFound("user", str(user_id))
    return user


async def change_roles(
    *, deps: Dependencies, actor: Actor, user_id: UUID, roles: list[str]
) -> User:
    """Give a person other roles. Administrators cannot take their own administration
    away (an agency would be left with nobody to keep it), nor take away a role they
    may not give."""
    user = await _person(deps, actor, user_id)
    _check_grantable(actor, roles)
    allowed = grantable_roles(actor)
    if any(role not in allowed for role in user.roles - {Role(r) for r in roles if r in set(Role)}):
        raise Forbidden(Action.ACCOUNTS_ADMINISTER.value)
    if user.id == actor.id and not {Role.ADMIN.value, Role.SYSTEM_ADMIN.value} & set(roles):
        raise Conflict("you cannot take away your own administration")
    async with deps.unit_of_work() as uow:
        stored = await uow.users.get(user_id)
        if stored is None:
            raise NotFound("user", str(user_id))
        stored.change_roles(roles, now=deps.clock.now(), by=actor)
        uow.users.save(stored)
        await uow.commit()
    deps.actors.forget(user_id)
    return stored


async def disable_person(
    *, deps: Dependencies, actor: Actor, user_id: UUID, reason: str | None
) -> User:
    user = await _person(deps, actor, user_id)
    if user.id == actor.id:
        raise Conflict("you cannot disable yourself")
    if any(role not in grantable_roles(actor) for role in user.roles):
        raise Forbidden(Action.ACCOUNTS_ADMINISTER.value)
    return await accounts.disable_user(deps=deps, user_id=user_id, actor=actor, reason=reason)


async def add_integration(
    *, deps: Dependencies, actor: Actor, agency_id: UUID, name: str, scopes: list[str]
) -> ServiceAccount:
    _administer(actor, agency_id)
    return await accounts.register_service_account(
        deps=deps, agency_id=agency_id, name=name, scopes=scopes, actor=actor
    )


@dataclass(frozen=True, slots=True)
class KeyOfAgency:
    agency_id: UUID
    key: ApiKey
    secret: str | None = None  # a new key's, shown once


async def issue_key(*, deps: Dependencies, actor: Actor, service_account_id: UUID) -> KeyOfAgency:
    """A new key; its secret is in the answer, once."""
    authorize(actor, Action.ACCOUNTS_ADMINISTER)
    async with deps.unit_of_work() as uow:
        account = await uow.service_accounts.get(service_account_id)
    if account is None or not actor.reaches(Action.ACCOUNTS_ADMINISTER, account.agency_id):
        raise NotFound("service account", str(service_account_id))
    issued = await accounts.issue_api_key(
        deps=deps, service_account_id=service_account_id, actor=actor
    )
    return KeyOfAgency(account.agency_id, issued.key, issued.secret)


async def revoke_key(
    *, deps: Dependencies, actor: Actor, public_id: str, reason: str | None
) -> KeyOfAgency:
    authorize(actor, Action.ACCOUNTS_ADMINISTER)
    async with deps.unit_of_work() as uow:
        key = await uow.api_keys.by_public_id(public_id)
        account = await uow.service_accounts.get(key.service_account_id) if key else None
    if account is None or not actor.reaches(Action.ACCOUNTS_ADMINISTER, account.agency_id):
        raise NotFound("api key", public_id)
    revoked = await accounts.revoke_api_key(
        deps=deps, public_id=public_id, actor=actor, reason=reason
    )
    return KeyOfAgency(account.agency_id, revoked)


async def register_new_agency(
    *, deps: Dependencies, actor: Actor, name: str, country: str, kind: str
) -> Agency:
    authorize(actor, Action.AGENCY_REGISTER)
    return await accounts.register_agency(
        deps=deps, name=name, country=country, kind=kind, actor=actor
    )
