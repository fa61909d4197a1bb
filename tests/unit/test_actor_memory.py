"""Remembering who may act, and forgetting them when told."""

from __future__ import annotations

from uuid import UUID

from service.adapters.persistence.actors import RememberingActorDirectory
from service.domain.access import Actor, ActorKind, Role
from service.domain.ports.identity import TokenSubject
from tests.builders import AGENCY_A, new_id
from tests.fakes import MonotonicClock


class CountingSource:
    def __init__(self) -> None:
        self.asked = 0
        self.disabled: set[UUID] = set()

    async def active_actor(self, subject: TokenSubject) -> Actor | None:
        self.asked += 1
        if subject.actor_id in self.disabled:
            return None
        return Actor(subject.actor_id, ActorKind.USER, AGENCY_A, frozenset({Role.INVESTIGATOR}))

    def forget(self, actor_id: UUID) -> None:
        pass


def subject() -> TokenSubject:
    return TokenSubject(new_id(), ActorKind.USER)


async def test_nothing_is_remembered_until_the_change_feed_is_connected() -> None:
    source = CountingSource()
    directory = RememberingActorDirectory(source)
    who = subject()
    await directory.active_actor(who)
    await directory.active_actor(who)
    assert source.asked == 2
    directory.informed_of_changes(True)
    await directory.active_actor(who)
    await directory.active_actor(who)
    assert source.asked == 3


async def test_a_forgotten_actor_is_read_again_and_a_disabled_one_refused() -> None:
    source = CountingSource()
    directory = RememberingActorDirectory(source)
    directory.informed_of_changes(True)
    who = subject()
    assert await directory.active_actor(who) is not None
    source.disabled.add(who.actor_id)
    directory.forget(who.actor_id)
    assert await directory.active_actor(who) is None


async def test_losing_the_feed_forgets_everyone_and_stops_remembering() -> None:
    source = CountingSource()
    directory = RememberingActorDirectory(source)
    directory.informed_of_changes(True)
    who = subject()
    await directory.active_actor(who)
    directory.informed_of_changes(False)
    await directory.active_actor(who)
    await directory.active_actor(who)
    assert source.asked == 3


async def test_entries_expire_even_without_an_announcement() -> None:
    source, clock = CountingSource(), MonotonicClock()
    directory = RememberingActorDirectory(source, ttl_seconds=30, now=clock)
    directory.informed_of_changes(True)
    who = subject()
    await directory.active_actor(who)
    clock.now = 29.0
    await directory.active_actor(who)
    clock.now = 31.0
    await directory.active_actor(who)
    assert source.asked == 2
