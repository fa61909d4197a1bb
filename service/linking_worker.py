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
# Recoveries a worker links together when their messages queue up behind the one it
# holds (recorded faster than linked one at a time).
CATCH_UP_BATCH: Final = 500
# ... once this many wait: a few recorded close together are linked one by one, as always.
CATCH_UP_AFTER: Final = 16


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
            else:
                await self._link_with_those_behind(uow, message)
        return {}

    async def _link_with_those_behind(self, uow: UnitOfWork, message: OutboxMessage) -> None:
        """Link the message's recoveries; when more recoveries wait behind it (all
        linking is one ordering key, so none of them can be claimed meanwhile), link them
        with it, set-based, and mark their messages done in the same unit of work. A few
        keep the incremental path, one by one; a backlog goes at batch speed."""
        ids = _recoveries_of(message.payload)
        taken = []
        # A message that failed before links alone: whatever failed is then its own, and
        # costs none of the others a retry (it stepped aside behind them meanwhile).
        behind = (
            await uow.outbox.next_in_turn(message, limit=CATCH_UP_BATCH)
            if message.attempts == 0
            else []
        )
        if len(behind) < CATCH_UP_AFTER:
            behind = []
        for follower in behind:
            more = _recoveries_of(follower.payload)
            # Other linking work keeps its place in the order, and a message that failed
            # before waits for its own next attempt.
            if not more or follower.attempts > 0 or len(ids) + len(more) > CATCH_UP_BATCH:
                break
            ids += more
            taken.append(follower)
        if len(ids) == 1 and "recovery_id" in message.payload:
            await link_recovery(self._deps, uow, ids[0])
        else:
            await link_recoveries(self._deps, uow, ids)
        if taken:
            now = self._deps.clock.now()
            for follower in taken:
                uow.outbox.done(follower.id, at=now)


def _recoveries_of(payload: Mapping[str, object]) -> list[UUID]:
    """The recoveries a linking message asks to link; none for other linking work."""
    if "recovery_id" in payload:
        return [UUID(str(payload["recovery_id"]))]
    listed = payload.get("recovery_ids")
    if isinstance(listed, list):
        return [UUID(str(i)) for i in listed]
    return []


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
