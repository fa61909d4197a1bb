"""Use cases for agencies, users and signing in."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import structlog

from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.errors import Conflict, NotFound, Unauthenticated
from service.domain.identity import Agency, User, check_new_password, normalize_username
from service.domain.ports import IssuedToken

log = structlog.get_logger("tracedesk.accounts")


async def register_agency(*, deps: Dependencies, name: str, country: str, kind: str) -> Agency:
    """Create an agency (administration and bootstrap; not exposed to case users)."""
    agency = Agency.register(
        agency_id=deps.ids.new_id(), name=name, country=country, kind=kind, now=deps.clock.now()
    )
    async with deps.unit_of_work() as uow:
        if await uow.agencies.by_name(agency.name) is not None:
            raise Conflict(f"an agency named {agency.name!r} exists already")
        uow.agencies.add(agency)
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
        raise Unauthenticated("invalid username or password")
    return SignedIn(user=user, access=deps.tokens.issue(user.as_actor(), now=deps.clock.now()))


async def actor_for_token(*, deps: Dependencies, token: str) -> Actor:
    """The actor a bearer token speaks for, as they are now: a user disabled since the
    token was issued is refused at once, not when the token expires."""
    subject = deps.tokens.verify(token, now=deps.clock.now())
    actor = await deps.actors.active_actor(subject)
    if actor is None:
        raise Unauthenticated("account unknown or disabled")
    return actor


async def disable_user(*, deps: Dependencies, user_id: UUID) -> User:
    """Stop a user from signing in or acting, from their next request on."""
    async with deps.unit_of_work() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user", str(user_id))
        user.disable(deps.clock.now())
        uow.users.save(user)
        await uow.commit()
    deps.actors.forget(user_id)
    return user
