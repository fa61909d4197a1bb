"""Use cases of a person's console session: signing in and out, who a session speaks
for at each request, changing one's password and preferences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service import request_context
from service.accounts import signed_in_user
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.console_sessions import ConsoleSession
from service.domain.errors import InvalidValue, Unauthenticated
from service.domain.events import ConsoleSessionEnded, SignInAttempted
from service.domain.identity import User, check_new_password, secret_digest
from service.sign_in_throttle import ThrottledAttempt


@dataclass(frozen=True, slots=True)
class StartedSession:
    session: ConsoleSession
    secret: str  # for the cookie; stored only as its digest
    user: User


@dataclass(frozen=True, slots=True)
class SessionHolder:
    """Who a live session speaks for, as they are now."""

    session: ConsoleSession
    actor: Actor
    user: User


async def start_session(*, deps: Dependencies, username: str, password: str) -> StartedSession:
    """Sign a person in to the console: throttled and audited exactly as the API's
    password grant."""
    user = await signed_in_user(deps=deps, username=username, password=password)
    secret = deps.secrets.secret()
    now = deps.clock.now()
    session = ConsoleSession(
        id=deps.ids.new_id(),
        user_id=user.id,
        digest=secret_digest(secret),
        started_at=now,
        last_seen_at=now,
        address=request_context.client_address.get(),
    )
    async with deps.unit_of_work() as uow:
        uow.console_sessions.add(session)
        uow.record(SignInAttempted(user.username, user, succeeded=True, address=session.address))
        await uow.commit()
    return StartedSession(session=session, secret=secret, user=user)


async def session_holder(*, deps: Dependencies, secret: str) -> SessionHolder:
    """The person a session cookie speaks for. A session that ended, idled out or
    outlived its lifetime is refused, and so is one of a person disabled since: at the
    very next request, not when the session would have expired."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        session = await uow.console_sessions.by_digest(secret_digest(secret))
        if session is None or not session.live(now, deps.security):
            raise Unauthenticated("no live console session")
        # The person is read fresh at every request (their roles, whether disabled):
        # nothing remembered can outlive a change.
        user = await uow.users.get(session.user_id)
        if user is None or user.disabled:
            uow.console_sessions.end(session.id, at=now)
            await uow.commit()
            raise Unauthenticated("account unknown or disabled")
        if session.due_for_touch(now):
            uow.console_sessions.touch(session.id, at=now)
            await uow.commit()
    return SessionHolder(session=session, actor=user.as_actor(), user=user)


async def end_session(*, deps: Dependencies, secret: str) -> None:
    """Sign out. An unknown or ended session is ignored: signing out twice is harmless."""
    async with deps.unit_of_work() as uow:
        session = await uow.console_sessions.by_digest(secret_digest(secret))
        if session is None or session.ended_at is not None:
            return
        user = await uow.users.get(session.user_id)
        uow.console_sessions.end(session.id, at=deps.clock.now())
        actor = user.as_actor() if user is not None else None
        uow.record(ConsoleSessionEnded(session.user_id, session.id, actor))
        await uow.commit()


async def change_password(
    *, deps: Dependencies, holder: SessionHolder, current: str, new: str
) -> None:
    """A person replaces their password, proving the current one (throttled as a
    sign-in). Every other console session and every refresh token of theirs ends: a
    password changed because it leaked must lock out whoever holds it."""
    try:
        check_new_password(new)
    except InvalidValue as error:
        raise InvalidValue("new_password", error.detail) from None
    user = holder.user
    limits = {f"account:{user.username}": deps.security.throttle.account_limit}
    async with ThrottledAttempt(deps, limits) as attempt:
        if not await deps.passwords.verify(user.password_hash, current):
            async with deps.unit_of_work() as uow:
                address = request_context.client_address.get()
                uow.record(SignInAttempted(user.username, user, succeeded=False, address=address))
                await uow.commit()
            raise InvalidValue("current_password", "is not your current password")
        await attempt.succeeded(forget=f"account:{user.username}")
    new_hash = await deps.passwords.hash(new)
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        stored = await uow.users.get(user.id)
        if stored is None or stored.disabled:
            raise Unauthenticated("account unknown or disabled")
        stored.change_password(new_hash, now)
        uow.users.save(stored)
        uow.refresh_tokens.revoke_user(user.id, at=now)
        for other in await uow.console_sessions.live_of_user(user.id):
            if other.id != holder.session.id:
                uow.console_sessions.end(other.id, at=now)
                uow.record(ConsoleSessionEnded(user.id, other.id, None))
        await uow.commit()
    deps.actors.forget(user.id)  # the access tokens of the sign-ins just ended


async def choose_preferences(
    *, deps: Dependencies, holder: SessionHolder, language: str | None, time_zone: str | None
) -> User:
    async with deps.unit_of_work() as uow:
        user = await uow.users.get(holder.user.id)
        if user is None:
            raise Unauthenticated("account unknown")
        user.choose_preferences(language=language, time_zone=time_zone, now=deps.clock.now())
        uow.users.save(user)
        await uow.commit()
    return user


async def mark_networks_seen(
    *, deps: Dependencies, user: User, newest_growth: datetime | None
) -> None:
    """Remembers that the person looked at their networks, for the dashboard's 'grew
    since you last looked'. Nothing is written while no network grew since the last look:
    the answer would be the same, and a page view need not be a write."""
    seen = user.networks_seen_at
    if newest_growth is None or (seen is not None and newest_growth <= seen):
        return
    async with deps.unit_of_work() as uow:
        stored = await uow.users.get(user.id)
        if stored is None:
            return
        stored.looked_at_networks(deps.clock.now())
        uow.users.save(stored)
        await uow.commit()
