"""Use cases for agencies, users and signing in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

import structlog

from service import request_context
from service.auditing import audit_event
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.errors import Conflict, NotFound, Unauthenticated
from service.domain.identity import Agency, User, check_new_password, normalize_username
from service.domain.ports import IssuedToken

log = structlog.get_logger("tracedesk.accounts")


async def register_agency(
    *, deps: Dependencies, name: str, country: str, kind: str, actor: Actor | None = None
) -> Agency:
    """Create an agency. `actor` is None for an operator at the console (bootstrap)."""
    agency = Agency.register(
        agency_id=deps.ids.new_id(), name=name, country=country, kind=kind, now=deps.clock.now()
    )
    async with deps.unit_of_work() as uow:
        if await uow.agencies.by_name(agency.name) is not None:
            raise Conflict(f"an agency named {agency.name!r} exists already")
        uow.agencies.add(agency)
        uow.audit.append(
            audit_event(
                deps,
                actor=actor,
                action="agency.created",
                entity_type="agency",
                entity_id=agency.id,
                changes={"name": agency.name, "country": agency.country, "kind": agency.kind},
            )
        )
        await uow.commit()
    return agency


async def register_user(
    *,
    deps: Dependencies,
    agency_id: UUID,
    username: str,
    display_name: str,
    roles: list[str],
    password: str,
    actor: Actor | None = None,
) -> User:
    check_new_password(password)
    user = User.register(
        user_id=deps.ids.new_id(),
        agency_id=agency_id,
        username=username,
        display_name=display_name,
        roles=roles,
        password_hash=await deps.passwords.hash(password),
        now=deps.clock.now(),
    )
    async with deps.unit_of_work() as uow:
        if await uow.agencies.get(agency_id) is None:
            raise NotFound("agency", str(agency_id))
        if await uow.users.by_username(user.username) is not None:
            raise Conflict(f"the username {user.username!r} is taken")
        uow.users.add(user)
        uow.audit.append(
            audit_event(
                deps,
                actor=actor,
                action="user.created",
                entity_type="user",
                entity_id=user.id,
                changes={
                    "agency_id": user.agency_id,
                    "username": user.username,
                    "display_name": user.display_name,
                    "roles": user.roles,
                },
            )
        )
        await uow.commit()
    return user


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    access: IssuedToken


async def sign_in(*, deps: Dependencies, username: str, password: str) -> SignedIn:
    """Exchange a username and password for an access token. Every failure is the same
    Unauthenticated, whatever went wrong, so the answer does not reveal which names exist."""
    login = normalize_username(username)
    async with deps.unit_of_work() as uow:
        user = await uow.users.by_username(login)
    # An unknown name is checked against a decoy hash: same time, same answer.
    password_ok = await deps.passwords.verify(user.password_hash if user else None, password)
    if user is None or not password_ok or user.disabled:
        log.info("sign-in refused", known_user=user is not None)
        await _record_sign_in(deps, login, user, succeeded=False)
        raise Unauthenticated("invalid username or password")
    await _record_sign_in(deps, login, user, succeeded=True)
    return SignedIn(user=user, access=deps.tokens.issue(user.as_actor(), now=deps.clock.now()))


async def _record_sign_in(
    deps: Dependencies, login: str, user: User | None, *, succeeded: bool
) -> None:
    # A name that matches no account may be a password typed in the wrong field: only a
    # fingerprint of it is kept, enough to see repeated attempts with the same text.
    attempted = (
        {"username": login}
        if user is not None
        else {"username_fingerprint": hashlib.sha256(login.encode()).hexdigest()[:16]}
    )
    async with deps.unit_of_work() as uow:
        uow.audit.append(
            audit_event(
                deps,
                actor=user.as_actor() if user is not None and succeeded else None,
                action="auth.login_succeeded" if succeeded else "auth.login_failed",
                entity_type="user",
                entity_id=user.id if user is not None else "unknown",
                changes={**attempted, "address": request_context.client_address.get()},
            )
        )
        await uow.commit()


async def actor_for_token(*, deps: Dependencies, token: str) -> Actor:
    """The actor a bearer token speaks for, as they are now: a user disabled since the
    token was issued is refused at once, not when the token expires."""
    subject = deps.tokens.verify(token, now=deps.clock.now())
    actor = await deps.actors.active_actor(subject)
    if actor is None:
        raise Unauthenticated("account unknown or disabled")
    return actor


async def disable_user(
    *, deps: Dependencies, user_id: UUID, actor: Actor | None = None, reason: str | None = None
) -> User:
    """Stop a user from signing in or acting, from their next request on."""
    async with deps.unit_of_work() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user", str(user_id))
        user.disable(deps.clock.now())
        uow.users.save(user)
        uow.audit.append(
            audit_event(
                deps,
                actor=actor,
                action="user.disabled",
                entity_type="user",
                entity_id=user.id,
                changes={"disabled": {"before": False, "after": True}},
                reason=reason,
            )
        )
        await uow.commit()
    deps.actors.forget(user_id)
    return user
