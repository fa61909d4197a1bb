"""The ports every use case is given; built once by the app factory or the CLI."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from service.domain.federation import TraceChannel
from service.domain.identity import SecurityPolicy
from service.domain.ports import (
    ActorDirectory,
    Clock,
    IdGenerator,
    PasswordHasher,
    ReadRecorder,
    SecretGenerator,
    TokenService,
    UnitOfWork,
)
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import FirearmRegistry
from service.domain.trace_workflow import DEFAULT_DUE_POLICY, DuePolicy


@dataclass(frozen=True, slots=True)
class Dependencies:
    unit_of_work: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    catalogue: ReferenceCatalogue
    passwords: PasswordHasher
    tokens: TokenService
    actors: ActorDirectory
    reads: ReadRecorder
    secrets: SecretGenerator
    security: SecurityPolicy
    due_policy: DuePolicy = DEFAULT_DUE_POLICY
    # The registries every recovery is checked against, by name (configured, not coded).
    registries: Mapping[str, FirearmRegistry] = field(default_factory=dict)
    # Of those, the ones this instance holds itself and offers to peers (not their own).
    shared_registries: frozenset[str] = frozenset()
    # Carries trace requests to agencies hosted on other instances (None: no peers).
    trace_channel: TraceChannel | None = None
