"""Console sessions, the same on every storage: found by their digest, touched, ended,
listed per person while they have not ended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

from service.domain.console_sessions import ConsoleSession
from service.domain.identity import Agency, User
from service.domain.ports.unit_of_work import UnitOfWork
from tests.fakes import NOW, new_id


async def _person(unit_of_work: Callable[[], UnitOfWork]) -> UUID:
    agency = Agency.register(
        agency_id=new_id(), name=f"Agency {new_id()}", country="FR", kind="police", now=NOW
    )
    user = User.register(
        user_id=new_id(),
        agency_id=agency.id,
        username=f"u{new_id().hex[:12]}",
        display_name="A. Person",
        roles=["investigator"],
        password_hash="not a hash",
        now=NOW,
    )
    async with unit_of_work() as uow:
        uow.agencies.add(agency)
        uow.users.add(user)
        await uow.commit()
    return user.id


def _session(user_id: UUID, digest: str) -> ConsoleSession:
    return ConsoleSession(
        id=new_id(),
        user_id=user_id,
        digest=digest,
        started_at=NOW,
        last_seen_at=NOW,
        address="10.1.2.3",
    )


async def test_a_session_is_found_by_its_digest_only_once_committed(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    person = await _person(unit_of_work)
    session = _session(person, "a" * 64)
    async with unit_of_work() as uow:
        uow.console_sessions.add(session)  # not committed: rolled back
    async with unit_of_work() as uow:
        assert await uow.console_sessions.by_digest("a" * 64) is None
        uow.console_sessions.add(session)
        await uow.commit()
    async with unit_of_work() as uow:
        assert await uow.console_sessions.by_digest("a" * 64) == session
        assert await uow.console_sessions.by_digest("b" * 64) is None


async def test_touching_and_ending_change_only_that_session(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    person = await _person(unit_of_work)
    desk, laptop = _session(person, "d" * 64), _session(person, "e" * 64)
    later = NOW + timedelta(minutes=5)
    async with unit_of_work() as uow:
        uow.console_sessions.add(desk)
        uow.console_sessions.add(laptop)
        await uow.commit()
    async with unit_of_work() as uow:
        uow.console_sessions.touch(desk.id, at=later)
        uow.console_sessions.end(laptop.id, at=later)
        await uow.commit()
    async with unit_of_work() as uow:
        uow.console_sessions.end(laptop.id, at=later + timedelta(hours=1))  # ended once only
        await uow.commit()
    async with unit_of_work() as uow:
        touched = await uow.console_sessions.by_digest("d" * 64)
        ended = await uow.console_sessions.by_digest("e" * 64)
        live = await uow.console_sessions.live_of_user(person)
    assert touched is not None and touched.last_seen_at == later and touched.ended_at is None
    assert ended is not None and ended.ended_at == later and ended.last_seen_at == NOW
    assert [s.id for s in live] == [desk.id]


async def test_a_persons_preferences_and_networks_mark_are_kept(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    person = await _person(unit_of_work)
    async with unit_of_work() as uow:
        user = await uow.users.get(person)
        assert user is not None and (user.language, user.time_zone) == (None, None)
        user.choose_preferences(language="ar", time_zone="Asia/Amman", now=NOW)
        user.looked_at_networks(NOW + timedelta(minutes=1))
        uow.users.save(user)
        await uow.commit()
    async with unit_of_work() as uow:
        stored = await uow.users.get(person)
    assert stored is not None
    assert (stored.language, stored.time_zone) == ("ar", "Asia/Amman")
    assert stored.networks_seen_at == NOW + timedelta(minutes=1)
