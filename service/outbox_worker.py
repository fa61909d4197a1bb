"""The outbox worker: leases due messages, hands them to their topic's handler, and
marks them done, due again later, or failed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

import structlog

from service.dependencies import Dependencies
from service.domain.outbox import (
    STEPS_ASIDE_ON_FAILURE,
    HandlingFailed,
    OutboxMessage,
    RetryPolicy,
)
from service.domain.ports.unit_of_work import UnitOfWork

log = structlog.get_logger("tracedesk.outbox")


class OutboxHandler(Protocol):
    topic: str

    async def prepare(self) -> None:
        """Run once when a worker starts, before it handles anything."""

    async def handle(
        self, uow: UnitOfWork, messages: Sequence[OutboxMessage]
    ) -> dict[UUID, HandlingFailed]:
        """Stage the work of the messages in `uow`; return those that failed, with why.
        Must be idempotent: a message may be handled again after a crash."""
        ...


class OutboxWorker:
    def __init__(
        self,
        deps: Dependencies,
        handlers: Sequence[OutboxHandler],
        *,
        policy: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=15),
        batch: int = 200,
        is_outage: Callable[[BaseException], bool] = lambda error: False,
        watches: Sequence[Callable[[], Awaitable[None]]] = (),
        watch_every: float = 1.0,
    ) -> None:
        self._deps = deps
        self._handlers: Mapping[str, OutboxHandler] = {h.topic: h for h in handlers}
        self._policy = policy or RetryPolicy()
        self._lease = lease
        self._batch = batch
        # Whether an error means the database cannot serve now (the adapters know how
        # their drivers say so): that is no attempt's fault and counts against none.
        self._is_outage = is_outage
        # Messages leased when the database went away, and when: given back as soon as
        # it answers again rather than left to wait out their lease.
        self._stranded: list[tuple[OutboxMessage, datetime]] = []
        # Looks around between batches (a peer that answers again), about once a second.
        self._watches = tuple(watches)
        self._watch_every = watch_every
        self._watched_at: float | None = None

    async def run_once(self) -> int:
        """Handle one batch of due messages; how many there were."""
        deps = self._deps
        if self._stranded:
            await self._give_back_stranded()
        async with deps.unit_of_work() as uow:
            claimed = await uow.outbox.claim(
                topics=sorted(self._handlers),
                now=deps.clock.now(),
                lease=self._lease,
                limit=self._batch,
            )
        if not claimed:
            return 0
        by_topic: dict[str, list[OutboxMessage]] = defaultdict(list)
        for message in claimed:
            by_topic[message.topic].append(message)
        # Short leases, renewed while the batch is in hand: a worker that crashes holds
        # its messages for one lease at most, not minutes.
        heartbeat = asyncio.create_task(self._keep_leased([m.id for m in claimed]))
        try:
            async with deps.unit_of_work() as uow:
                failures: dict[UUID, HandlingFailed] = {}
                for topic, messages in by_topic.items():
                    failures |= await self._handlers[topic].handle(uow, messages)
                self._settle(uow, claimed, failures)
                await uow.commit()
        except Exception as error:  # a bug or the database: none of the batch is done
            if self._is_outage(error):
                self._stranded.extend((message, deps.clock.now()) for message in claimed)
                raise
            log.exception("outbox batch failed", messages=len(claimed))
            async with deps.unit_of_work() as uow:
                failed = HandlingFailed(f"{type(error).__name__}: {error}")
                self._settle(uow, claimed, {m.id: failed for m in claimed})
                await uow.commit()
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return len(claimed)

    async def _look_around(self) -> None:
        now = time.monotonic()
        if self._watched_at is not None and now - self._watched_at < self._watch_every:
            return
        self._watched_at = now
        for watch in self._watches:
            try:
                await watch()
            except Exception as error:  # noqa: BLE001 - a watch never stops the work
                log.warning("outbox watch failed", error=type(error).__name__)

    async def _keep_leased(self, message_ids: list[UUID]) -> None:
        every = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                async with self._deps.unit_of_work() as uow:
                    until = self._deps.clock.now() + self._lease
                    await uow.outbox.extend_leases(message_ids, until=until)
            except Exception as error:  # noqa: BLE001 - the batch itself will say what failed
                log.warning("outbox lease not renewed", error=type(error).__name__)

    async def _give_back_stranded(self) -> None:
        now = self._deps.clock.now()
        async with self._deps.unit_of_work() as uow:
            for message, claimed_at in self._stranded:
                # Past its lease, another worker may hold it now.
                if claimed_at + self._lease > now:
                    uow.outbox.release(message.id)
            await uow.commit()
        self._stranded.clear()

    def _settle(
        self,
        uow: UnitOfWork,
        claimed: Sequence[OutboxMessage],
        failures: Mapping[UUID, HandlingFailed],
    ) -> None:
        now = self._deps.clock.now()
        for message in claimed:
            failure = failures.get(message.id)
            if failure is None:
                uow.outbox.done(message.id, at=now)
                continue
            error = failure.reason
            if failure.permanent or self._policy.gives_up(message.attempts + 1):
                log.error("outbox message failed for good", topic=message.topic, error=error)
                uow.outbox.give_up(message, error=error, at=now)
            else:
                log.warning("outbox message failed; retrying", topic=message.topic, error=error)
                delay = self._policy.delay(message.attempts + 1)
                uow.outbox.retry(
                    message,
                    error=error,
                    at=now,
                    not_before=now + delay,
                    behind_others=message.topic in STEPS_ASIDE_ON_FAILURE,
                )

    async def prepare(self) -> None:
        for handler in self._handlers.values():
            await handler.prepare()

    async def run(self, stop: asyncio.Event, *, idle: float = 0.25) -> None:
        """Work until `stop` is set, resting `idle` seconds whenever nothing is due."""
        prepared = False
        while not stop.is_set():
            rest = idle
            try:
                if not prepared:
                    await self.prepare()
                    prepared = True
                await self._look_around()
                handled = await self.run_once()
            except Exception as error:  # the database is down: keep trying, slowly
                if self._is_outage(error):
                    # One line an attempt: an outage is news, its traceback is not.
                    log.warning("outbox paused: database unavailable", error=type(error).__name__)
                    rest = max(idle, 1.0)
                else:
                    log.exception("outbox worker could not claim work")
                handled = 0
            if handled == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=rest)
                except TimeoutError:
                    pass
