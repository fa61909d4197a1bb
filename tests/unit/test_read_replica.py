"""With a read replica, searches and listings read from it, and may miss the latest write;
a recovery read by its id (what a client does right after recording it) never does."""

from __future__ import annotations

import dataclasses

import pytest

from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.dependencies import Dependencies
from service.domain.ports.recoveries import RecoveryFilter
from service.recoveries import get_recovery, list_recoveries, record_recovery
from service.serial_search import search_serials
from tests.builders import actor, dependencies_for_tests, record_command
from tests.fakes import Clock


@pytest.fixture
def primary() -> Dependencies:
    store = InMemoryStore()
    return dependencies_for_tests(lambda: InMemoryUnitOfWork(store), clock=Clock())


@pytest.fixture
def behind(primary: Dependencies) -> Dependencies:
    """The same dependencies with a replica that has not caught up with anything yet."""
    lagging = InMemoryStore()
    return dataclasses.replace(primary, replica=lambda: InMemoryUnitOfWork(lagging))


async def test_listings_and_searches_read_from_the_replica(
    primary: Dependencies, behind: Dependencies
) -> None:
    investigator = actor()
    recorded = await record_recovery(
        deps=behind, actor=investigator, command=record_command("GLK-778")
    )

    listed = await list_recoveries(
        deps=behind, actor=investigator, recovery_filter=RecoveryFilter(), after=None, limit=10
    )
    searched = await search_serials(deps=behind, actor=investigator, serial="GLK-778")
    assert listed.recoveries == [] and searched.matches == []

    # Written to the primary all the same, and read from it by its id.
    assert await get_recovery(deps=behind, actor=investigator, recovery_id=recorded.id) == recorded
    listed = await list_recoveries(
        deps=primary, actor=investigator, recovery_filter=RecoveryFilter(), after=None, limit=10
    )
    assert [r.id for r in listed.recoveries] == [recorded.id]
