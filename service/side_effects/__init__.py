"""The side effects of commands: every feature's handler table, and the one function
the unit of work calls at commit to stage what a command's events call for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from service.dependencies import Dependencies
from service.domain.events import DomainEvent
from service.domain.ports.unit_of_work import UnitOfWork
from service.side_effects import (
    identity,
    imports,
    networks,
    operations,
    recoveries,
    registries,
    tracing,
)
from service.side_effects.effects import Effects, HandlerTable, react

FEATURES: Final = (recoveries, tracing, identity, networks, registries, operations, imports)
TABLE: Final[HandlerTable] = {
    event: handlers for feature in FEATURES for event, handlers in feature.HANDLERS.items()
}


async def write_side_effects(
    deps: Dependencies, uow: UnitOfWork, events: Sequence[DomainEvent]
) -> None:
    """Stage in `uow`, before it writes, the audit events and outbox messages of
    `events`, in order."""
    await react(TABLE, Effects(deps, uow), events)
