"""The ports every use case is given; built once by the app factory or the CLI."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from service.domain.events import DomainEvent
from service.domain.identity import SecurityPolicy
from service.domain.photos import PhotoRules
from service.domain.ports.audit import ReadRecorder
from service.domain.ports.clock import Clock, IdGenerator
from service.domain.ports.identity import (
    ActorDirectory,
    PasswordHasher,
    SecretGenerator,
    TokenService,
)
from service.domain.ports.photos import ImageInspector, PhotoStore
from service.domain.ports.registries import FirearmRegistry
from service.domain.ports.tracing import TraceChannel
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.reference import ReferenceCatalogue
from service.domain.trace_workflow import DEFAULT_DUE_POLICY, DuePolicy


class SideEffects(Protocol):
    """Stages in a unit of work, before it writes, what its events call for."""

    async def __call__(
        self, deps: Dependencies, uow: UnitOfWork, events: Sequence[DomainEvent]
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Dependencies:
    # A unit of work of the storage, as it is: reads, and writes without side effects.
    storage: Callable[[], UnitOfWork]
    # What the events of a command call for (the handler tables of service.side_effects).
    side_effects: SideEffects
    clock: Clock
    ids: IdGenerator
    catalogue: ReferenceCatalogue
    passwords: PasswordHasher
    tokens: TokenService
    actors: ActorDirectory
    reads: ReadRecorder
    secrets: SecretGenerator
    security: SecurityPolicy
    # Photos of markings: the files, kept by their SHA-256; decoding them; their limits.
    photo_store: PhotoStore
    images: ImageInspector
    photo_rules: PhotoRules = PhotoRules()
    due_policy: DuePolicy = DEFAULT_DUE_POLICY
    # The registries every recovery is checked against, by name (configured, not coded).
    registries: Mapping[str, FirearmRegistry] = field(default_factory=dict)
    # Of those, the ones this instance holds itself and offers to peers (not their own).
    shared_registries: frozenset[str] = frozenset()
    # Carries trace requests to agencies hosted on other instances (None: no peers).
    trace_channel: TraceChannel | None = None
    # Units of work of a read replica, for searches and listings (None: the storage's).
    replica: Callable[[], UnitOfWork] | None = None

    def unit_of_work(self) -> UnitOfWork:
        """A unit of work that, at commit, writes with the change what its events call
        for (audit events, outbox messages), staged by these dependencies' handlers."""
        return self.storage().reacting_with(partial(self.side_effects, self))

    def reading(self) -> UnitOfWork:
        """A unit of work for reads that may lag the latest write by a moment (searches
        and listings): the read replica's when there is one. Never committed."""
        return (self.replica or self.storage)()
