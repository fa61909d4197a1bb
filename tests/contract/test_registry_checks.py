"""Registry checks through the outbox, on memory, SQLite and PostgreSQL: recorded with the
change, run by the worker, retried when a registry is down, never lost, idempotent."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from service.adapters.registries.memory import InMemoryRegistry
from service.dependencies import Dependencies
from service.domain.access import Role
from service.domain.matching import SerialQuery
from service.domain.outbox import OutboxMessage, RetryPolicy
from service.domain.ports.audit import AuditFilter
from service.domain.ports.background import OutboxBacklog
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import RecoveryCorrection
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import (
    RegistryMatch,
    RegistryRecord,
    RegistryRecordReport,
    RegistryUnavailable,
)
from service.outbox_worker import OutboxWorker
from service.recoveries import correct_recovery, record_recovery
from service.registry_checks import RegistryCheckHandler, registry_hits
from tests.builders import AGENCY_B, NOW, actor, dependencies_for_tests, record_command
from tests.fakes import Clock

INVESTIGATOR = actor(Role.INVESTIGATOR)


class Switchable:
    """A registry that can be made to fail, as a peer that goes down and comes back."""

    def __init__(self, inner: InMemoryRegistry) -> None:
        self.inner = inner
        self.down = False
        self.calls = 0

    @property
    def name(self) -> str:
        return self.inner.name

    async def search(self, query: SerialQuery) -> list[RegistryMatch]:
        self.calls += 1
        if self.down:
            raise RegistryUnavailable(self.name, "connection refused")
        return await self.inner.search(query)

    async def search_many(self, queries: Sequence[SerialQuery]) -> list[list[RegistryMatch]]:
        return [await self.search(query) for query in queries]


def iarms(catalogue: ReferenceCatalogue) -> InMemoryRegistry:
    reports = [
        RegistryRecordReport("IA-7", "stolen", "ABC 123", make="Glock", country="DE"),
        RegistryRecordReport("IA-8", "registered", "ABC 128", make="Glock"),
    ]
    return InMemoryRegistry(
        "iarms",
        [RegistryRecord.read(r, registry="iarms", catalogue=catalogue) for r in reports],
        catalogue,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(
    unit_of_work: Callable[[], UnitOfWork], catalogue: ReferenceCatalogue, clock: Clock
) -> Dependencies:
    base = dependencies_for_tests(unit_of_work, clock=clock, catalogue=catalogue)
    registries = {"iarms": Switchable(iarms(catalogue)), "national": Switchable(iarms(catalogue))}
    return dataclasses.replace(base, registries=registries)  # type: ignore[arg-type]


def worker(deps: Dependencies) -> OutboxWorker:
    return OutboxWorker(
        deps, [RegistryCheckHandler(deps)], policy=RetryPolicy(jitter=0, max_attempts=3)
    )


async def registry_backlog(uow: UnitOfWork) -> list[OutboxBacklog]:
    """The backlog of registry checks (recording a recovery also asks for its linking)."""
    return [b for b in await uow.outbox.backlog() if b.topic == "registry.check"]


async def hit_table(deps: Dependencies, recovery_id: UUID) -> list[tuple[str, str, str, bool]]:
    hits = (await registry_hits(deps=deps, actor=INVESTIGATOR, recovery_id=recovery_id)).hits
    return sorted((h.registry, h.reference, h.match_kind.value, h.cleared_at is None) for h in hits)


async def check_table(
    deps: Dependencies, recovery_id: UUID
) -> list[tuple[str, str, int | None, datetime | None]]:
    checks = (await registry_hits(deps=deps, actor=INVESTIGATOR, recovery_id=recovery_id)).checks
    return [(c.registry, c.state.value, c.checked_version, c.next_attempt_at) for c in checks]


async def test_a_recorded_recovery_is_checked_against_every_registry(deps: Dependencies) -> None:
    recovered = await record_recovery(
        deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123")
    )
    assert await hit_table(deps, recovered.id) == []  # not checked yet: the outbox holds it
    async with deps.unit_of_work() as uow:
        (backlog,) = await registry_backlog(uow)
    assert (backlog.topic, backlog.waiting) == ("registry.check", 2)

    assert await worker(deps).run_once() == 2
    assert await hit_table(deps, recovered.id) == [
        ("iarms", "IA-7", "exact", True),
        ("iarms", "IA-8", "edit", True),
        ("national", "IA-7", "exact", True),
        ("national", "IA-8", "edit", True),
    ]
    hits = (await registry_hits(deps=deps, actor=INVESTIGATOR, recovery_id=recovered.id)).hits
    stolen = next(h for h in hits if h.reference == "IA-7")
    assert stolen.alerting and stolen.record["country"] == "DE"
    assert await worker(deps).run_once() == 0
    async with deps.unit_of_work() as uow:
        assert await registry_backlog(uow) == []
        events = await uow.audit.events(
            AuditFilter(action="registry_hits.changed"), after_seq=None, limit=10
        )
    assert len(events) == 2 and events[0].event.actor_id is None


async def test_a_correction_clears_what_no_longer_matches(deps: Dependencies) -> None:
    recovered = await record_recovery(
        deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123")
    )
    await worker(deps).run_once()
    await correct_recovery(
        deps=deps,
        actor=INVESTIGATOR,
        recovery_id=recovered.id,
        expected_version=1,
        correction=RecoveryCorrection(item_changes={recovered.items[0].id: {"serial": "XYZ 999"}}),
        reason="re-read under magnification",
    )
    await worker(deps).run_once()
    assert {row[3] for row in await hit_table(deps, recovered.id)} == {False}  # all cleared
    # Checking again changes nothing, and writes nothing to the audit trail.
    async with deps.unit_of_work() as uow:
        before = (await uow.audit.head())[0]
    await correct_recovery(
        deps=deps,
        actor=INVESTIGATOR,
        recovery_id=recovered.id,
        expected_version=2,
        correction=RecoveryCorrection(case_reference="CASE-2"),
        reason="case renumbered",
    )
    await worker(deps).run_once()
    async with deps.unit_of_work() as uow:
        assert (await uow.audit.head())[0] == before + 1  # the correction only


async def test_a_registry_that_is_down_is_retried_later_and_nothing_is_lost(
    deps: Dependencies, clock: Clock
) -> None:
    iarms_registry = deps.registries["iarms"]
    assert isinstance(iarms_registry, Switchable)
    iarms_registry.down = True
    recovered = await record_recovery(
        deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123")
    )
    assert await worker(deps).run_once() == 2
    assert [h[0] for h in await hit_table(deps, recovered.id)] == ["national", "national"]
    async with deps.unit_of_work() as uow:
        (backlog,) = await registry_backlog(uow)
    assert backlog.waiting == 1 and backlog.failed == 0
    assert await check_table(deps, recovered.id) == [
        ("iarms", "retrying", None, clock.moment + timedelta(seconds=2)),
        ("national", "checked", 1, None),
    ]
    assert await worker(deps).run_once() == 0  # not due yet: backing off

    iarms_registry.down = False
    clock.moment += timedelta(seconds=3)
    assert await worker(deps).run_once() == 1
    assert [h[0] for h in await hit_table(deps, recovered.id)].count("iarms") == 2


async def test_a_registry_that_stays_down_fails_visibly(deps: Dependencies, clock: Clock) -> None:
    iarms_registry = deps.registries["iarms"]
    assert isinstance(iarms_registry, Switchable)
    iarms_registry.down = True
    recovered = await record_recovery(
        deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123")
    )
    for _ in range(3):
        await worker(deps).run_once()
        clock.moment += timedelta(hours=1)
    async with deps.unit_of_work() as uow:
        (backlog,) = await registry_backlog(uow)
    assert (backlog.waiting, backlog.failed) == (0, 1)
    assert await check_table(deps, recovered.id) == [
        ("iarms", "failed", None, None),
        ("national", "checked", 1, None),
    ]


async def test_a_lease_that_expires_lets_another_worker_finish(
    deps: Dependencies, clock: Clock
) -> None:
    recovered = await record_recovery(
        deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123")
    )
    async with deps.unit_of_work() as uow:  # a worker that claims, then dies
        assert (
            len(
                await uow.outbox.claim(
                    topics=["registry.check"], now=NOW, lease=timedelta(minutes=2), limit=10
                )
            )
            == 2
        )
    assert await worker(deps).run_once() == 0  # leased to the dead worker
    clock.moment += timedelta(minutes=3)
    assert await worker(deps).run_once() == 2
    assert len(await hit_table(deps, recovered.id)) == 4


async def test_concurrent_workers_share_the_work_without_overlap(
    unit_of_work: Callable[[], UnitOfWork], catalogue: ReferenceCatalogue, deps: Dependencies
) -> None:
    for n in range(30):
        await record_recovery(deps=deps, actor=INVESTIGATOR, command=record_command(f"SER {n:04d}"))

    async def drain(w: OutboxWorker) -> int:
        total = 0
        while handled := await w.run_once():
            total += handled
        return total

    # Two claims while the first lease holds get different messages.
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        first = await uow.outbox.claim(
            topics=["registry.check"], now=now, lease=timedelta(seconds=1), limit=7
        )
    async with deps.unit_of_work() as uow:
        second = await uow.outbox.claim(
            topics=["registry.check"], now=now, lease=timedelta(seconds=1), limit=7
        )
    assert len(first) == len(second) == 7
    assert not {m.id for m in first} & {m.id for m in second}
    clock_after_leases = now + timedelta(seconds=2)
    workers = [
        OutboxWorker(
            dataclasses.replace(deps, clock=Clock(clock_after_leases)),
            [RegistryCheckHandler(deps)],
            batch=7,
        )
        for _ in range(3)
    ]
    counts = await asyncio.gather(*(drain(w) for w in workers))
    assert sum(counts) == 60  # every message once, however the workers shared them


async def test_an_agencys_recent_hits_come_newest_first_and_only_its_own(
    deps: Dependencies, clock: Clock
) -> None:
    first = await record_recovery(deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123"))
    await worker(deps).run_once()
    clock.advance(hours=2)
    second = await record_recovery(deps=deps, actor=INVESTIGATOR, command=record_command("ABC 128"))
    await worker(deps).run_once()
    async with deps.unit_of_work() as uow:
        recent = await uow.registry_hits.recent_of_agency(
            INVESTIGATOR.agency_id, since=clock.now() - timedelta(hours=1), limit=10
        )
        everything = await uow.registry_hits.recent_of_agency(
            INVESTIGATOR.agency_id, since=clock.now() - timedelta(days=1), limit=100
        )
        capped = await uow.registry_hits.recent_of_agency(
            INVESTIGATOR.agency_id, since=clock.now() - timedelta(days=1), limit=3
        )
        others = await uow.registry_hits.recent_of_agency(
            AGENCY_B, since=clock.now() - timedelta(days=1), limit=10
        )
    assert {hit.recovery_id for hit in recent} == {second.id}
    order = [hit.recovery_id for hit in everything]
    assert order == sorted(order, key=lambda r: r != second.id) and order[-1] == first.id
    assert len(capped) == 3
    assert others == []


class FailsOnce:
    """The registry-check handler, with the database going away under its first batch."""

    def __init__(self, inner: RegistryCheckHandler) -> None:
        self.inner = inner
        self.topic = inner.topic
        self.failed = False

    async def prepare(self) -> None:
        await self.inner.prepare()

    async def handle(self, uow: UnitOfWork, messages: Sequence[OutboxMessage]) -> dict[UUID, Any]:
        if not self.failed:
            self.failed = True
            raise ConnectionRefusedError("connection refused")
        return await self.inner.handle(uow, messages)


async def test_a_database_outage_costs_no_attempt_and_gives_the_lease_back(
    deps: Dependencies,
) -> None:
    recovered = await record_recovery(
        deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123")
    )
    outage = OutboxWorker(
        deps,
        [FailsOnce(RegistryCheckHandler(deps))],
        is_outage=lambda error: isinstance(error, ConnectionRefusedError),
    )
    with pytest.raises(ConnectionRefusedError):
        await outage.run_once()
    # The database answers again: the same messages, at once, not after their lease.
    assert await outage.run_once() == 2
    assert len(await hit_table(deps, recovered.id)) == 4
    async with deps.unit_of_work() as uow:
        assert await uow.outbox.troubles(limit=10) == []


async def test_a_bug_while_handling_is_an_attempt_that_failed(deps: Dependencies) -> None:
    await record_recovery(deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123"))
    buggy = OutboxWorker(deps, [FailsOnce(RegistryCheckHandler(deps))])  # no outage known
    assert await buggy.run_once() == 2
    async with deps.unit_of_work() as uow:
        assert len(await uow.outbox.troubles(limit=10)) == 2


async def test_a_lease_renewed_while_handling_keeps_other_workers_off(
    deps: Dependencies,
) -> None:
    await record_recovery(deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123"))
    topics = ["registry.check"]
    async with deps.unit_of_work() as uow:
        held = await uow.outbox.claim(topics=topics, now=NOW, lease=timedelta(seconds=30), limit=10)
        assert len(held) == 2
        await uow.outbox.extend_leases([m.id for m in held], until=NOW + timedelta(minutes=5))
    async with deps.unit_of_work() as uow:
        later = NOW + timedelta(minutes=2)  # past the first lease, within the renewed one
        assert (
            await uow.outbox.claim(topics=topics, now=later, lease=timedelta(seconds=30), limit=10)
            == []
        )
        after = NOW + timedelta(minutes=6)  # the holder stopped renewing: it crashed
        assert (
            len(
                await uow.outbox.claim(
                    topics=topics, now=after, lease=timedelta(seconds=30), limit=10
                )
            )
            == 2
        )


async def test_waiting_work_can_be_made_due_at_once_without_losing_its_attempts(
    deps: Dependencies, clock: Clock
) -> None:
    iarms_registry = deps.registries["iarms"]
    assert isinstance(iarms_registry, Switchable)
    iarms_registry.down = True
    recovered = await record_recovery(
        deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123")
    )
    assert await worker(deps).run_once() == 2
    assert await worker(deps).run_once() == 0  # backing off
    iarms_registry.down = False
    async with deps.unit_of_work() as uow:
        assert await uow.outbox.hasten("network.link", now=clock.moment) == 0  # none waits
        assert await uow.outbox.hasten("registry.check", now=clock.moment) == 1
    assert await worker(deps).run_once() == 1
    assert [h[0] for h in await hit_table(deps, recovered.id)].count("iarms") == 2
    async with deps.unit_of_work() as uow:
        entries = await uow.outbox.about(f"recovery:{recovered.id}")
    checks = sorted(e.message.attempts for e in entries if e.message.topic == "registry.check")
    assert checks == [0, 1]  # the failed attempt is still counted
