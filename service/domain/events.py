"""What happened, as the domain tells it.

Aggregates record events as they change (a recovery recorded, a trace request answered);
what belongs to no aggregate (a refused sign-in, a registry's answer, a message taken by a
peer) is recorded with the unit of work. At commit the unit of work hands them all to the
application's handler table, which turns each into its audit event and the work it calls
for (registry checks, linking, delivery to a peer), in the same transaction.

`actor` is who this instance records as acting: a person or integration here, the peer's
integration for a step received from another instance, None for the system itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from service.domain.access import Actor
    from service.domain.identity import Agency, ApiKey, ServiceAccount, User
    from service.domain.imports import ImportCounts, ImportSource
    from service.domain.networks.links import Link
    from service.domain.recovery import FieldChange
    from service.domain.registry import RegistryImport
    from service.domain.registry_hits import RegistryHit
    from service.domain.trace_request import TraceResponse, Transition
    from service.domain.trace_thread import TraceMessage


class DomainEvent:
    """Base of every event; handlers are looked up by the event's class."""

    __slots__ = ()


# --- recoveries ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecoveryRecorded(DomainEvent):
    recovery_id: UUID
    version: int
    evidence: Mapping[str, Any]  # what was entered, as the audit trail keeps it
    actor: Actor


@dataclass(frozen=True, slots=True)
class RecoveryCorrected(DomainEvent):
    recovery_id: UUID
    version: int
    changes: tuple[FieldChange, ...]
    reason: str
    actor: Actor


@dataclass(frozen=True, slots=True)
class PhotoAttached(DomainEvent):
    """A photo of an item's markings, kept under its SHA-256 (and its thumbnail under
    its own): the audit trail keeps both digests, so the files can be proved unchanged."""

    recovery_id: UUID
    item_id: UUID
    photo_id: UUID
    sha256: str
    thumbnail_sha256: str
    media_type: str
    byte_size: int
    width: int
    height: int
    caption: str | None
    actor: Actor


# --- tracing --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    """How a step or message taken here came: from which peer, in which message."""

    peer: str
    message_id: UUID


@dataclass(frozen=True, slots=True)
class TraceRequestCreated(DomainEvent):
    request_id: UUID
    as_requested: Mapping[str, Any]
    actor: Actor | None
    received: Receipt | None = None


@dataclass(frozen=True, slots=True)
class TraceStepTaken(DomainEvent):
    """A step of the workflow; an answer (a response or a refusal) carries it."""

    request_id: UUID
    recovery_id: UUID  # the requester's recovery the request is about
    requester_agency_id: UUID
    addressee_agency_id: UUID
    transition: Transition
    # The deadlines as the step left them (submitting and providing information set them).
    acknowledge_by: datetime | None
    respond_by: datetime | None
    response: TraceResponse | None
    actor: Actor | None
    received: Receipt | None = None


@dataclass(frozen=True, slots=True)
class ThreadMessagePosted(DomainEvent):
    message: TraceMessage
    recipient_agency_id: UUID
    actor: Actor | None
    received: Receipt | None = None


@dataclass(frozen=True, slots=True)
class TraceExchangeSent(DomainEvent):
    request_id: UUID
    message_id: UUID
    peer: str
    step: str
    version: int
    recipient_agency_id: UUID


# --- identity -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgencyRegistered(DomainEvent):
    agency: Agency
    actor: Actor | None


@dataclass(frozen=True, slots=True)
class UserRegistered(DomainEvent):
    user: User
    actor: Actor | None


@dataclass(frozen=True, slots=True)
class UserDisabled(DomainEvent):
    user_id: UUID
    actor: Actor | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ServiceAccountRegistered(DomainEvent):
    account: ServiceAccount
    actor: Actor | None


@dataclass(frozen=True, slots=True)
class ApiKeyIssued(DomainEvent):
    key: ApiKey
    actor: Actor | None


@dataclass(frozen=True, slots=True)
class ApiKeyRevoked(DomainEvent):
    key: ApiKey
    actor: Actor | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class SignInAttempted(DomainEvent):
    """A password tried for a name: `user` is the account it names, if any."""

    login: str
    user: User | None
    succeeded: bool
    address: str | None


@dataclass(frozen=True, slots=True)
class SignInPaused(DomainEvent):
    key_reference: str  # the kind of key and a fingerprint of its value
    failures: int
    paused_seconds: int


@dataclass(frozen=True, slots=True)
class RefreshTokenReused(DomainEvent):
    user_id: UUID
    family_id: UUID


@dataclass(frozen=True, slots=True)
class RefreshTokensRevoked(DomainEvent):
    user_id: UUID
    family_id: UUID


@dataclass(frozen=True, slots=True)
class RolesChanged(DomainEvent):
    user_id: UUID
    actor: Actor | None
    before: frozenset[str]
    after: frozenset[str]


@dataclass(frozen=True, slots=True)
class PasswordChanged(DomainEvent):
    user_id: UUID
    actor: Actor


@dataclass(frozen=True, slots=True)
class PreferencesChanged(DomainEvent):
    user_id: UUID
    actor: Actor
    before: Mapping[str, str | None]
    after: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class ConsoleSessionEnded(DomainEvent):
    """A person signed out of the console (`by_user`), or their session was ended
    because they changed their password elsewhere."""

    user_id: UUID
    session_id: UUID
    actor: Actor | None  # the person signing out; None when ended for them


@dataclass(frozen=True, slots=True)
class ClientCredentialsRefused(DomainEvent):
    key_id: UUID | None  # None: no key has that client id
    address: str | None


# --- case networks ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkDecided(DomainEvent):
    before: Link
    after: Link
    actor: Actor
    reason: str | None


@dataclass(frozen=True, slots=True)
class LinkMade(DomainEvent):
    link: Link
    from_recovery: UUID
    to_recovery: UUID
    actor: Actor


@dataclass(frozen=True, slots=True)
class RecoveryLinked(DomainEvent):
    """The rules ran for a recovery and changed its links (what changed, by rule)."""

    recovery_id: UUID
    changes: Mapping[str, Any]


# --- registries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegistryHitsChanged(DomainEvent):
    recovery_id: UUID
    recovery_version: int
    registry: str
    found: Sequence[RegistryHit]
    updated: Sequence[RegistryHit]
    cleared: Sequence[RegistryHit]
    # Checked with a batch of recoveries, which are linked together (HitsChangedInBatch).
    linked_with_batch: bool = False


@dataclass(frozen=True, slots=True)
class RegistryImported(DomainEvent):
    registry: str
    source: str
    outcome: RegistryImport
    actor: Actor | None


@dataclass(frozen=True, slots=True)
class HitsChangedInBatch(DomainEvent):
    """The hits of these recoveries, checked together, changed: link them together."""

    recovery_ids: Sequence[UUID]


# --- imports ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportQueued(DomainEvent):
    import_id: UUID
    source: ImportSource
    all_or_nothing: bool
    mapped: bool
    actor: Actor


@dataclass(frozen=True, slots=True)
class RecoveriesImported(DomainEvent):
    """One batch of an import landed: its recoveries, the lines they came from, and the
    SHA-256 of its rows (of their values as read, in file order)."""

    import_id: UUID
    batch: int
    first_line: int
    last_line: int
    recovery_ids: Sequence[UUID]
    rows: int
    rows_sha256: str
    file_sha256: str
    actor: Actor


@dataclass(frozen=True, slots=True)
class ImportFinished(DomainEvent):
    import_id: UUID
    state: str
    counts: ImportCounts
    failure: str | None
    actor: Actor


@dataclass(frozen=True, slots=True)
class RecoveriesExported(DomainEvent):
    filters: Mapping[str, Any]
    format: str
    actor: Actor


# --- operations -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxMessageRequeued(DomainEvent):
    message_id: UUID
    topic: str
    attempts: int
    last_error: str | None
    reason: str
