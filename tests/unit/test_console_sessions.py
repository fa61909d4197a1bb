"""Console sessions as people live them: signed in, kept while used, ended by signing
out, by idleness, by their lifetime, by being disabled, by a new password elsewhere."""

from __future__ import annotations

import pytest

from service import accounts
from service.adapters.memory import InMemoryActorDirectory, InMemoryStore, InMemoryUnitOfWork
from service.console_sessions import (
    change_password,
    choose_preferences,
    end_session,
    session_holder,
    start_session,
)
from service.dependencies import Dependencies
from service.domain.errors import InvalidValue, TooManyAttempts, Unauthenticated, ValidationFailed
from service.domain.identity import User
from service.domain.ports.audit import AuditFilter
from tests.builders import dependencies_for_tests
from tests.fakes import Clock

PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def deps(clock: Clock) -> Dependencies:
    store = InMemoryStore()
    deps = dependencies_for_tests(
        lambda: InMemoryUnitOfWork(store), clock=clock, actors=InMemoryActorDirectory(store)
    )
    agency = await accounts.register_agency(deps=deps, name="PJ", country="FR", kind="police")
    await accounts.register_user(
        deps=deps,
        agency_id=agency.id,
        username="inv",
        display_name="Inv",
        roles=["investigator"],
        password=PASSWORD,
    )
    return deps


async def _actions(deps: Dependencies) -> list[str]:
    async with deps.unit_of_work() as uow:
        stored = await uow.audit.events(AuditFilter(), after_seq=None, limit=100)
    return [e.event.action for e in sorted(stored, key=lambda e: e.seq)]


async def test_a_session_speaks_for_its_person_until_they_sign_out(deps: Dependencies) -> None:
    started = await start_session(deps=deps, username=" INV ", password=PASSWORD)
    holder = await session_holder(deps=deps, secret=started.secret)
    assert holder.user.username == "inv" and holder.actor.id == started.user.id
    await end_session(deps=deps, secret=started.secret)
    await end_session(deps=deps, secret=started.secret)  # twice: harmless, audited once
    with pytest.raises(Unauthenticated, match="no live console session"):
        await session_holder(deps=deps, secret=started.secret)
    assert (await _actions(deps))[-2:] == ["auth.login_succeeded", "auth.signed_out"]


async def test_a_wrong_password_is_refused_and_throttled_like_the_api(deps: Dependencies) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated, match="invalid username or password"):
            await start_session(deps=deps, username="inv", password="wrong password!!")
    with pytest.raises(TooManyAttempts):
        await start_session(deps=deps, username="inv", password=PASSWORD)


async def test_an_idle_session_ends_and_a_used_one_lasts_until_its_lifetime(
    deps: Dependencies, clock: Clock
) -> None:
    idle = await start_session(deps=deps, username="inv", password=PASSWORD)
    used = await start_session(deps=deps, username="inv", password=PASSWORD)
    for _ in range(23):  # every 29 minutes, for 11 hours 7 minutes
        clock.advance(minutes=29)
        await session_holder(deps=deps, secret=used.secret)
    with pytest.raises(Unauthenticated):
        await session_holder(deps=deps, secret=idle.secret)
    clock.advance(minutes=29)  # 11 h 36 min: still within the 12 hours
    await session_holder(deps=deps, secret=used.secret)
    clock.advance(minutes=29)
    with pytest.raises(Unauthenticated):
        await session_holder(deps=deps, secret=used.secret)


async def test_disabling_a_person_ends_their_session_at_the_next_request(
    deps: Dependencies,
) -> None:
    started = await start_session(deps=deps, username="inv", password=PASSWORD)
    await accounts.disable_user(deps=deps, user_id=started.user.id, reason="left")
    with pytest.raises(Unauthenticated, match="account unknown or disabled"):
        await session_holder(deps=deps, secret=started.secret)
    async with deps.unit_of_work() as uow:
        session = await uow.console_sessions.by_digest(started.session.digest)
    assert session is not None and session.ended_at is not None


async def test_a_new_password_ends_every_other_session_and_refresh_token(
    deps: Dependencies,
) -> None:
    desk = await start_session(deps=deps, username="inv", password=PASSWORD)
    laptop = await start_session(deps=deps, username="inv", password=PASSWORD)
    api = await accounts.sign_in(deps=deps, username="inv", password=PASSWORD)
    holder = await session_holder(deps=deps, secret=desk.secret)
    await change_password(deps=deps, holder=holder, current=PASSWORD, new="a new long passphrase")
    await session_holder(deps=deps, secret=desk.secret)
    with pytest.raises(Unauthenticated):
        await session_holder(deps=deps, secret=laptop.secret)
    assert api.refresh is not None
    with pytest.raises(Unauthenticated):
        await accounts.refresh_access(deps=deps, refresh_token=api.refresh)
    with pytest.raises(Unauthenticated):
        await start_session(deps=deps, username="inv", password=PASSWORD)
    await start_session(deps=deps, username="inv", password="a new long passphrase")


async def test_a_new_password_needs_the_current_one_and_enough_length(
    deps: Dependencies,
) -> None:
    started = await start_session(deps=deps, username="inv", password=PASSWORD)
    holder = await session_holder(deps=deps, secret=started.secret)
    with pytest.raises(InvalidValue, match="is not your current password") as wrong:
        await change_password(deps=deps, holder=holder, current="nope", new="a new long passphrase")
    assert wrong.value.field == "current_password"
    with pytest.raises(InvalidValue, match="at least 12 characters") as short:
        await change_password(deps=deps, holder=holder, current=PASSWORD, new="short")
    assert short.value.field == "new_password"
    await start_session(deps=deps, username="inv", password=PASSWORD)  # unchanged


async def test_preferences_are_checked_and_kept(deps: Dependencies) -> None:
    started = await start_session(deps=deps, username="inv", password=PASSWORD)
    holder = await session_holder(deps=deps, secret=started.secret)
    with pytest.raises(ValidationFailed) as refused:
        await choose_preferences(deps=deps, holder=holder, language="de", time_zone="Mars/Base")
    assert [p.field for p in refused.value.problems] == ["language", "time_zone"]
    chosen: User = await choose_preferences(
        deps=deps, holder=holder, language="ar", time_zone="Asia/Amman"
    )
    assert (chosen.language, chosen.time_zone) == ("ar", "Asia/Amman")
    assert (await _actions(deps))[-1] == "user.preferences_changed"
