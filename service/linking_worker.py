"""The outbox's linking work: one recovery, a batch of recoveries (an import), a link a
person decided on, a network to recount, and the rebuild of every network.

A rebuild links every recovery again in batches of a few hundred, each batch with the
set-based path of `batch_linking` (one read of each kind per batch, one write), then asks
for the next batch: millions of recoveries are many small steps that survive restarts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final
from uuid import UUID

import structlog

from service.batch_linking import link_recoveries
from service.dependencies import Dependencies
from service.domain.errors import Conflict
from service.domain.networks.rules import rules_in_force
from service.domain.outbox import NETWORK_LINK, HandlingFailed, OutboxMessage
from service.domain.ports.unit_of_work import UnitOfWork
from service.network_linking import (
    link_message,
    link_recovery,
    recount,
    settle_link,
)

log = structlog.get_logger("tracedesk.networks")

# Recoveries linked per rebuild message: a few seconds of work, so that messages claimed
# with it, and recoveries recorded meanwhile, do not wait long.
REBUILD_BATCH: Final = 500


class NetworkLinkHandler:
    topic = NETWORK_LINK

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def prepare(self) -> None:
        await link_by_rules_in_force(self._deps)

    async def handle(
        self, uow: UnitOfWork, messages: Sequence[OutboxMessage]
    ) -> dict[UUID, HandlingFailed]:
        for message in messages:
            payload = message.payload
            if "link_id" in payload:
                await settle_link(self._deps, uow, UUID(payload["link_id"]))
            elif "network_id" in payload:
                await recount(self._deps, uow, UUID(payload["network_id"]))
            elif "rebuild_after" in payload:
                await continue_rebuild(self._deps, uow, payload)
            elif "recovery_ids" in payload:
                ids = [UUID(i) for i in payload["recovery_ids"]]
                await link_recoveries(self._deps, uow, ids)
            else:
                await link_recovery(self._deps, uow, UUID(payload["recovery_id"]))
        return {}


def rebuild_message(deps: Dependencies, *, after: UUID | None, batch: int) -> OutboxMessage:
    """Ask for the recoveries after `after` (in id order) to be linked again, `batch` at
    a time: each batch links its recoveries and then asks for the next batch."""
    return link_message(deps, {"rebuild_after": str(after) if after else "", "batch": str(batch)})


async def request_rebuild(deps: Dependencies, *, batch: int = REBUILD_BATCH) -> None:
    """Ask for every recovery to be linked again (after a rule changed), in order with
    every other linking. Idempotent: linking unchanged facts again changes nothing."""
    async with deps.unit_of_work() as uow:
        uow.outbox.add(rebuild_message(deps, after=None, batch=batch))
        await uow.commit()


async def continue_rebuild(deps: Dependencies, uow: UnitOfWork, request: Mapping[str, str]) -> None:
    """Link one batch of recoveries, together, then ask for the next batch, all in `uow`:
    if the worker stops half-way, the batch is linked again, which changes nothing."""
    after = UUID(request["rebuild_after"]) if request["rebuild_after"] else None
    batch = int(request.get("batch", REBUILD_BATCH))
    ids = await uow.recoveries.ids_after(after, limit=batch)
    await link_recoveries(deps, uow, ids)
    if len(ids) == batch:
        uow.outbox.add(rebuild_message(deps, after=ids[-1], batch=batch))


async def rebuild_remaining(deps: Dependencies) -> int:
    """How many rebuild messages are waiting: 0 once a rebuild is done."""
    async with deps.unit_of_work() as uow:
        backlog = await uow.outbox.backlog()
    return sum(entry.waiting for entry in backlog if entry.topic == NETWORK_LINK)


async def link_by_rules_in_force(deps: Dependencies) -> bool:
    """Run when a worker starts: if the stored links were made by other rules (a newer
    release, or links made before rules were recorded), ask for a rebuild. Whichever
    worker starts first asks, once; the others find the rules current. On a database
    where nothing was linked yet the rules are current without one (what is waiting to
    be linked will be, by these rules). Whether it asked."""
    rules = rules_in_force()
    async with deps.unit_of_work() as uow:
        applied = await uow.networks.rules_applied()
        if applied == rules:
            return False
        uow.networks.record_rules(rules, replacing=applied, at=deps.clock.now())
        rebuild = applied is not None or await uow.networks.has_nodes()
        if rebuild:
            uow.outbox.add(rebuild_message(deps, after=None, batch=REBUILD_BATCH))
        try:
            await uow.commit()
        except Conflict:
            return False
    if rebuild:
        log.info("linking rules changed: every recovery is linked again", rules=rules)
    return rebuild
