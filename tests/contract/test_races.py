"""Check-then-insert races: two commands that both find a name or an id free, and both
write it. The database keeps one; the other is told it lost (Conflict, 409), never an
internal error."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import pytest

from service import accounts
from service.adapters.exchange import TraceExchangeMessage
from service.adapters.persistence.database import Database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.dependencies import Dependencies
from service.domain.access import Actor, ActorKind, Scope
from service.domain.errors import Conflict
from service.domain.ports.unit_of_work import Reaction
from service.trace_federation import receive_trace_exchange
from tests.api.exchanges import submission
from tests.builders import dependencies_for_tests, new_id
from tests.databases import AGENCIES


class _CommitTogether:
    """A unit of work whose commit waits until the other racer is ready to commit too:
    both have made their checks by then, whatever the scheduling."""

    def __init__(self, inner: SqlUnitOfWork, barrier: asyncio.Barrier) -> None:
        self._inner = inner
        self._barrier = barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, traceback)

    def reacting_with(self, reaction: Reaction) -> Self:
        self._inner.reacting_with(reaction)
        return self

    async def commit(self) -> None:
        await self._barrier.wait()
        await self._inner.commit()


def racing(database: Database) -> Dependencies:
    barrier = asyncio.Barrier(2)
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database))
    return dataclasses.replace(
        deps, storage=lambda: _CommitTogether(SqlUnitOfWork(database), barrier)
    )


async def one_wins(first: Awaitable[Any], second: Awaitable[Any]) -> Conflict:
    outcomes = await asyncio.gather(first, second, return_exceptions=True)
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(lost) == 1, outcomes
    assert isinstance(lost[0], Conflict), repr(lost[0])
    return lost[0]


Race = Callable[[Dependencies, int], Awaitable[Any]]

RACES: dict[str, Race] = {
    "username": lambda deps, n: accounts.register_user(
        deps=deps,
        agency_id=AGENCIES["a"][0],
        username="Twice",
        display_name=f"Twice {n}",
        roles=["investigator"],
        password="a long enough password",
    ),
    "agency name": lambda deps, n: accounts.register_agency(
        deps=deps, name="Twin Agency", country="FR", kind="police"
    ),
    "service account name": lambda deps, n: accounts.register_service_account(
        deps=deps, agency_id=AGENCIES["a"][0], name="lab", scopes=["recoveries:read"]
    ),
}


TAKEN = {
    "username": "the username is taken",
    "agency name": "an agency with this name or id exists already",
    "service account name": "the agency has a service account of this name already",
}


@pytest.mark.parametrize("race", list(RACES))
async def test_two_registrations_of_one_name_give_one_and_a_conflict(
    database: Database, race: str
) -> None:
    deps = racing(database)
    conflict = await one_wins(RACES[race](deps, 1), RACES[race](deps, 2))
    assert str(conflict) == TAKEN[race]


async def test_one_message_delivered_twice_at_once_is_taken_once(database: Database) -> None:
    """A peer retrying while its first delivery is still being taken."""
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database))
    peer = await accounts.register_agency(
        deps=deps, name="Politie NL", country="NL", kind="police", peer="peer-nl"
    )
    integration = Actor(
        new_id(), ActorKind.SERVICE_ACCOUNT, peer.id, scopes=frozenset({Scope.FEDERATION_EXCHANGE})
    )
    exchange = TraceExchangeMessage(**submission(peer.id)).exchange()
    racers = racing(database)
    taken = [
        receive_trace_exchange(deps=racers, actor=integration, exchange=exchange) for _ in "ab"
    ]
    receipts = await asyncio.gather(*taken)
    # The copy that lost the race is told it was a duplicate, not refused: a peer would
    # set a refused message aside.
    assert sorted(r.duplicate for r in receipts) == [False, True]
    async with deps.unit_of_work() as uow:
        stored = await uow.trace_requests.get(exchange.request_id)
    assert stored is not None and stored.version == 2
