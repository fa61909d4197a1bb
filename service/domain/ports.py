"""What the core needs from the world, as protocols. Adapters implement them; the unit
tests use the in-memory fakes in `service.domain.fakes`, a second simple implementation
of the same contract."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from service.domain.access import Actor, ActorKind
from service.domain.audit import AuditEvent, ChainedEvent
from service.domain.events import DomainEvent
from service.domain.federation import ReceivedExchange
from service.domain.identity import Agency, ApiKey, RefreshToken, ServiceAccount, User
from service.domain.items import ItemKind
from service.domain.matching import SerialQuery, StoredIdentifier
from service.domain.networks import Link, LinkKind, NetworkState, Node, NodeRef
from service.domain.outbox import OutboxEntry, OutboxMessage
from service.domain.recovery import Recovery
from service.domain.registry import RegistryRecord
from service.domain.registry_hits import RegistryHit
from service.domain.trace_request import TraceRequest
from service.domain.trace_statistics import TraceFacts
from service.domain.trace_thread import TraceMessage
from service.domain.trace_workflow import Priority, TraceStatus


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID: ...


@dataclass(frozen=True, slots=True)
class RecoveryFilter:
    """Filters of the recovery list; all given filters must hold."""

    case_reference: str | None = None
    country: str | None = None
    recovered_from: datetime | None = None
    recovered_to: datetime | None = None
    make: str | None = None
    calibre: str | None = None
    item_kind: ItemKind | None = None


@dataclass(frozen=True, slots=True)
class RecoveryCursor:
    """Position after which the next page starts: newest recovery first, id breaks ties."""

    recovered_at: datetime
    recovery_id: UUID


@dataclass(frozen=True, slots=True)
class RecoveryPage:
    recoveries: list[Recovery]
    next_cursor: RecoveryCursor | None


@dataclass(frozen=True, slots=True)
class CandidateBatch:
    candidates: list[StoredIdentifier]
    # More candidates existed than the cap allowed: a value that matches too much (a
    # serial "0000") is reported as truncated instead of flooding the investigator.
    truncated: bool


@dataclass(frozen=True, slots=True)
class UnresolvedValue:
    field: str
    raw: str
    count: int


class RecoveryRepository(Protocol):
    async def get(self, recovery_id: UUID) -> Recovery | None: ...

    def add(self, recovery: Recovery) -> None:
        """Stage a new recovery; written when the unit of work commits."""

    def save(self, recovery: Recovery) -> None:
        """Stage a corrected recovery loaded from this repository; the write fails with
        StaleVersion if someone else changed it since it was loaded."""

    async def page(
        self,
        *,
        agency_id: UUID,
        recovery_filter: RecoveryFilter,
        after: RecoveryCursor | None,
        limit: int,
    ) -> RecoveryPage: ...

    async def ids_after(self, after: UUID | None, *, limit: int) -> list[UUID]:
        """Every recovery's id, of every agency, in id order: for a rebuild."""
        ...

    async def get_many(self, recovery_ids: Sequence[UUID]) -> list[Recovery]:
        """Several recoveries at once, without their correction history; missing ids
        are left out."""
        ...


class Box(StrEnum):
    """Which trace requests of an agency: those it sent, or those addressed to it."""

    OUTBOX = "outbox"
    INBOX = "inbox"


@dataclass(frozen=True, slots=True)
class TraceRequestFilter:
    """Filters of a trace-request list; all given filters must hold."""

    statuses: frozenset[TraceStatus] = frozenset()
    priority: Priority | None = None
    overdue: bool | None = None


@dataclass(frozen=True, slots=True)
class TraceRequestCursor:
    """Newest request first; id breaks ties."""

    created_at: datetime
    request_id: UUID


@dataclass(frozen=True, slots=True)
class TraceRequestPage:
    requests: list[TraceRequest]  # without their history
    next_cursor: TraceRequestCursor | None


class TraceRequestRepository(Protocol):
    async def ids_for_recovery(self, recovery_id: UUID) -> list[UUID]:
        """The requests made about a recovery's items, oldest first."""
        ...

    async def get(self, request_id: UUID) -> TraceRequest | None:
        """The request with its whole history."""
        ...

    def add(self, request: TraceRequest) -> None:
        """Stage a new request; written when the unit of work commits."""

    def save(self, request: TraceRequest) -> None:
        """Stage the transitions and responses made since it was loaded here; the write
        fails with StaleVersion if someone else changed it in between."""

    async def page(
        self,
        *,
        agency_id: UUID,
        box: Box,
        request_filter: TraceRequestFilter,
        now: datetime,
        after: TraceRequestCursor | None,
        limit: int,
    ) -> TraceRequestPage:
        """An agency's outbox (every request it made, drafts included) or inbox (requests
        addressed to it that were submitted), newest first."""
        ...

    async def facts(
        self, *, agency_id: UUID, box: Box, submitted_from: datetime, submitted_to: datetime
    ) -> list[TraceFacts]:
        """What the statistics need of the box's requests submitted in [from, to)."""
        ...


@dataclass(frozen=True, slots=True)
class MessageCursor:
    """Oldest message first: a thread reads in order."""

    posted_at: datetime
    message_id: UUID


@dataclass(frozen=True, slots=True)
class MessagePage:
    messages: list[TraceMessage]
    next_cursor: MessageCursor | None


class TraceThread(Protocol):
    def add(self, message: TraceMessage) -> None: ...

    async def get(self, message_id: UUID) -> TraceMessage | None: ...

    async def messages(
        self, request_id: UUID, *, after: MessageCursor | None, limit: int
    ) -> MessagePage: ...


class RegistryRecords(Protocol):
    """A registry kept in tracedesk's own database, as its imports write it."""

    async def fingerprints(self, registry: str) -> dict[str, str]:
        """Reference -> fingerprint of every record of the registry."""
        ...

    def add(self, record: RegistryRecord) -> None: ...

    def replace(self, record: RegistryRecord) -> None:
        """Stage a record that changed since the last import (same reference)."""


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> None:
        """Stage a message; it exists once the unit of work commits, with its change."""

    async def claim(
        self, *, topics: Sequence[str], now: datetime, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        """Lease up to `limit` due messages of these topics, oldest first, for `lease`.
        Written at once: two workers never hold the same message."""
        ...

    def done(self, message_id: UUID, *, at: datetime) -> None: ...

    def retry(
        self, message: OutboxMessage, *, error: str, at: datetime, not_before: datetime
    ) -> None:
        """Stage a failed attempt: the message is due again at `not_before`."""

    def give_up(self, message: OutboxMessage, *, error: str, at: datetime) -> None:
        """Stage a message set aside after its last attempt (kept, never deleted)."""

    async def backlog(self) -> list[OutboxBacklog]: ...

    async def troubles(self, *, limit: int) -> list[OutboxEntry]:
        """Messages not done that failed at least once, most recently failed first."""
        ...

    async def by_key(self, ordering_key: str) -> list[OutboxEntry]:
        """Every message of one ordering key, in order, whatever its state."""
        ...

    async def about(self, subject: str) -> list[OutboxEntry]:
        """Every message about one subject (`recovery:<id>`), oldest first, whatever
        its state."""
        ...

    async def entry(self, message_id: UUID) -> OutboxEntry | None: ...

    def requeue(self, message_id: UUID, *, at: datetime) -> None:
        """Stage a message set aside as failed to be tried again from `at`, its count of
        attempts started afresh (the last error is kept until the next attempt)."""


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    topic: str
    waiting: int
    failed: int
    oldest_waiting: datetime | None


class NetworkGraph(Protocol):
    """The case networks' nodes, links and network memberships. Reads see what is
    committed; writes are staged and applied, in order, with the unit of work."""

    async def nodes(self, refs: Sequence[NodeRef]) -> dict[NodeRef, Node]: ...

    async def nodes_by_id(self, node_ids: Collection[UUID]) -> dict[UUID, Node]: ...

    def add_node(self, node: Node) -> None: ...

    async def links_touching(
        self,
        node_ids: Collection[UUID],
        *,
        standing_only: bool = False,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[Link]:
        """Links with an end among these nodes."""
        ...

    async def adjacent(
        self,
        node_ids: Collection[UUID],
        *,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[tuple[UUID, UUID, UUID]]:
        """(link, source, target) of the standing links with an end among these nodes:
        what a walk needs, without the links' evidence."""
        ...

    async def links_by_id(self, link_ids: Collection[UUID]) -> list[Link]: ...

    async def link(self, link_id: UUID) -> Link | None: ...

    def add_link(self, link: Link) -> None: ...

    def update_link(self, link: Link) -> None:
        """Stage a link's new status (and decision), confidence or evidence."""

    async def network_states(self, network_ids: Collection[UUID]) -> dict[UUID, NetworkState]: ...

    async def rules_applied(self) -> str | None:
        """The rules (`rules_in_force`) every recovery was last linked again by; None
        before the first time."""
        ...

    async def has_nodes(self) -> bool:
        """Whether anything was ever linked."""
        ...

    def record_rules(self, rules: str, *, replacing: str | None, at: datetime) -> None:
        """Stage the rules now in force, if the stored ones are still `replacing`; if
        another process changed them first, the commit fails with Conflict."""

    def save_network(self, state: NetworkState, *, at: datetime, new: bool) -> None:
        """Stage a network's state, changed (or created, when `new`) at `at`."""

    async def counted_state(self, network_id: UUID) -> NetworkState:
        """A network's state counted from its nodes (after a split narrowed it)."""
        ...

    def relabel(self, from_network: UUID, to_network: UUID) -> None:
        """Stage moving every node of one network into another (a merge)."""

    def move(self, node_ids: Collection[UUID], to_network: UUID) -> None:
        """Stage moving some nodes into a network (a split)."""

    async def networks_of_agency(
        self, agency_id: UUID, *, order: str, limit: int
    ) -> list[NetworkSummary]:
        """Networks with a node of the agency, largest (`size`) or latest grown
        (`grown`) first, leaving out networks of one node."""
        ...


@dataclass(frozen=True, slots=True)
class NetworkSummary:
    state: NetworkState
    created_at: datetime
    grown_at: datetime


class ReceivedExchanges(Protocol):
    """The exchange messages taken from peers, by message id."""

    async def get(self, message_id: UUID) -> ReceivedExchange | None: ...

    def add(self, received: ReceivedExchange) -> None: ...


class RegistryHits(Protocol):
    async def for_recoveries(self, recovery_ids: Sequence[UUID]) -> list[RegistryHit]:
        """Every hit of these recoveries, cleared ones included, oldest first."""
        ...

    def add(self, hit: RegistryHit) -> None: ...

    def update(self, hit: RegistryHit) -> None:
        """Stage a hit's new status, match, confidence, version or clearing."""


class SerialIndex(Protocol):
    async def candidates(
        self, query: SerialQuery, *, agency_id: UUID | None, cap: int
    ) -> CandidateBatch:
        """Stored readings of the agency (None: of every agency, for linking) that may
        match: a superset of the matches, found through the query's keys; the domain
        decides which really match."""
        ...


class ReferenceUsage(Protocol):
    async def unresolved(self, *, agency_id: UUID | None) -> list[UnresolvedValue]:
        """Raw makes and calibres stored without a canonical value, with their counts.
        None means every agency."""
        ...


class AgencyRepository(Protocol):
    async def get(self, agency_id: UUID) -> Agency | None: ...

    async def by_name(self, name: str) -> Agency | None: ...

    async def all(self) -> list[Agency]: ...

    def add(self, agency: Agency) -> None: ...


class UserRepository(Protocol):
    async def get(self, user_id: UUID) -> User | None: ...

    async def by_username(self, username: str) -> User | None: ...

    def add(self, user: User) -> None: ...

    def save(self, user: User) -> None:
        """Stage the fields the user recorded as changed."""


class ServiceAccountRepository(Protocol):
    async def get(self, account_id: UUID) -> ServiceAccount | None: ...

    async def by_name(self, agency_id: UUID, name: str) -> ServiceAccount | None: ...

    def add(self, account: ServiceAccount) -> None: ...


class ApiKeyRepository(Protocol):
    async def by_public_id(self, public_id: str) -> ApiKey | None: ...

    def add(self, key: ApiKey) -> None: ...

    def save(self, key: ApiKey) -> None:
        """Stage its last use or revocation."""


class RefreshTokenRepository(Protocol):
    async def by_digest(self, digest: str) -> RefreshToken | None: ...

    def add(self, token: RefreshToken) -> None: ...

    def save(self, token: RefreshToken) -> None:
        """Stage its use or revocation."""

    def revoke_family(self, family_id: UUID, *, at: datetime) -> None:
        """Stage revoking every token of a family not revoked yet."""


class SignInAttempts(Protocol):
    """Counters of sign-in attempts per key (an account, a client, an address). An
    attempt is counted before its secret is checked, in one atomic statement, so that
    concurrent attempts, in any number of processes, cannot pass a limit together; an
    attempt that succeeds takes its count back. Written at once, outside any unit of
    work: a refused attempt must still count."""

    async def begin(
        self,
        key: str,
        *,
        now: datetime,
        window_start: datetime,
        limit: int,
        hold_until: datetime,
    ) -> int | None:
        """Count an attempt (the count restarts if it began before `window_start`) and
        return its number in the window; None, counting nothing, if the key is locked.
        The attempt numbered `limit` or more locks the key until `hold_until` while it
        is checked, so that no other attempt is checked beside it."""
        ...

    async def lock(self, key: str, *, until: datetime) -> None:
        """Lock the key until `until` (after a failed attempt at or past its limit)."""

    async def release(self, key: str, *, unlock: bool) -> None:
        """Take back a successful attempt's count, and the hold it took if `unlock`."""

    async def clear(self, key: str) -> None:
        """Forget the key's attempts (an account signed in)."""

    async def locked_until(self, keys: list[str], *, now: datetime) -> datetime | None:
        """The latest end of a lock on any of the keys, if one is in force."""
        ...


class SecretGenerator(Protocol):
    def secret(self) -> str:
        """256 random bits, URL-safe text."""
        ...

    def public_id(self) -> str:
        """A short random identifier, safe to show and log."""
        ...


class PasswordHasher(Protocol):
    """Slow by design (Argon2id); implementations keep the event loop free while hashing."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches. With no hash (unknown account) it spends the
        same time on a decoy and answers False, so timing does not reveal accounts."""
        ...


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenSubject:
    """Who a verified token speaks for; roles and status are looked up fresh each time.
    `credential_id` is the API key a service account's token was issued for."""

    actor_id: UUID
    kind: ActorKind
    credential_id: UUID | None = None


class ActorDirectory(Protocol):
    """Who a verified token speaks for, as they are now."""

    async def active_actor(self, subject: TokenSubject) -> Actor | None:
        """The actor with their current roles, or None if unknown or disabled."""
        ...

    def forget(self, actor_id: UUID) -> None:
        """Drop anything remembered about an actor who was just changed here."""


class TokenService(Protocol):
    def issue(
        self, actor: Actor, *, now: datetime, credential_id: UUID | None = None
    ) -> IssuedToken: ...

    def verify(self, token: str, *, now: datetime) -> TokenSubject:
        """The subject of a valid token; raises Unauthenticated otherwise."""
        ...


@dataclass(frozen=True, slots=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: UUID | None = None
    action: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    agency_id: UUID | None = None  # the acting agency; None means every agency


@dataclass(frozen=True, slots=True)
class StoredAuditEvent:
    seq: int
    event: AuditEvent
    prev_hash: str
    hash: str


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None:
        """Stage an event; it is chained and written with the change it records."""

    async def head(self) -> tuple[int, str]:
        """Position and hash of the last event (0 and the genesis hash when empty)."""
        ...

    async def chain(self, *, after_seq: int, limit: int) -> list[ChainedEvent]:
        """Stored events in chain order, for verification and export."""
        ...

    async def events(
        self, audit_filter: AuditFilter, *, after_seq: int | None, limit: int
    ) -> list[StoredAuditEvent]:
        """Matching events, newest first, before `after_seq` when given."""
        ...


class ReadRecorder(Protocol):
    """Records sensitive reads (searches, views across agencies) in the audit trail."""

    async def record(self, event: AuditEvent) -> None: ...


class EventSource(Protocol):
    """An aggregate that records what happened to it, for the unit of work to collect."""

    @property
    def events(self) -> list[DomainEvent]: ...


# What a unit of work calls at commit with the events it collected: it stages in the unit
# of work what they call for, to be written with the change.
Reaction = Callable[["UnitOfWork", Sequence[DomainEvent]], Awaitable[None]]


class UnitOfWork(Protocol):
    # Read-only properties, so each adapter may expose its own repository classes.
    @property
    def recoveries(self) -> RecoveryRepository: ...

    @property
    def serials(self) -> SerialIndex: ...

    @property
    def reference_usage(self) -> ReferenceUsage: ...

    @property
    def agencies(self) -> AgencyRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def service_accounts(self) -> ServiceAccountRepository: ...

    @property
    def api_keys(self) -> ApiKeyRepository: ...

    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...

    @property
    def sign_in_attempts(self) -> SignInAttempts: ...

    @property
    def trace_requests(self) -> TraceRequestRepository: ...

    @property
    def trace_thread(self) -> TraceThread: ...

    @property
    def registry_records(self) -> RegistryRecords: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def registry_hits(self) -> RegistryHits: ...

    @property
    def received_exchanges(self) -> ReceivedExchanges: ...

    @property
    def networks(self) -> NetworkGraph: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Discard whatever was staged and not committed."""

    def record(self, *events: DomainEvent) -> None:
        """Events that belong to no aggregate (a refused sign-in, a registry's answer),
        handled at commit after those of the aggregates added or saved."""

    def reacting_with(self, reaction: Reaction) -> Self:
        """Have `reaction` stage, at commit, what the collected events call for."""
        ...

    async def commit(self) -> None:
        """Hand the events of the aggregates added or saved, and those recorded, to the
        reaction; then write everything staged, atomically, or nothing."""
