"""Where searches and listings read: the read replica while it answers with this
release's schema, the primary otherwise.

A replica that goes away (restarted, failed over, cut off) must not take searches down
with it while the primary, which can serve them, is fine; nor may a replica still on an
older migration answer with the old schema. A probe asks the replica about once a
second, as /readyz asks the primary, and reads follow what it last found.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final

import structlog

from service.adapters.availability import unavailability
from service.adapters.persistence.schema import SchemaStatus

log = structlog.get_logger("tracedesk.replica")

PROBE_EVERY: Final = 1.0  # seconds
PROBE_TIMEOUT: Final = 2.0


class ReplicaRouting:
    def __init__(
        self,
        schema_of_replica: Callable[[], Awaitable[SchemaStatus]],
        *,
        every: float = PROBE_EVERY,
        timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self._schema_of_replica = schema_of_replica
        self._every = every
        self._timeout = timeout
        self.answering = True  # it answered when the server opened it
        self.why_not = ""

    async def probe(self) -> bool:
        """Ask the replica once; whether reads go there now."""
        try:
            schema = await asyncio.wait_for(self._schema_of_replica(), self._timeout)
        except Exception as error:
            if not isinstance(error, TimeoutError) and unavailability(error) is None:
                raise
            self._found(False, f"unreachable ({type(error).__name__})")
        else:
            if schema.is_current:
                self._found(True, "")
            else:
                self._found(False, f"schema not current: {schema.explain()}")
        return self.answering

    def _found(self, answering: bool, why_not: str) -> None:
        if answering != self.answering:
            if answering:
                log.info("read replica answers again; searches and listings read from it")
            else:
                log.warning(
                    "read replica away; searches and listings read from the primary",
                    reason=why_not,
                )
        self.answering, self.why_not = answering, why_not

    async def run(self, stop: asyncio.Event) -> None:
        """Probe until `stop` is set. A probe that fails for another reason (a bug) is
        logged and counts as the replica being away: reads stay correct on the primary."""
        while not stop.is_set():
            try:
                await self.probe()
            except Exception as error:  # noqa: BLE001 - the loop must outlive one bad probe
                log.exception("read replica probe failed")
                self._found(False, f"probe failed ({type(error).__name__})")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._every)
            except TimeoutError:
                pass

    def state(self) -> str:
        """As /readyz reports it."""
        return "answering" if self.answering else f"away, reading from the primary: {self.why_not}"
