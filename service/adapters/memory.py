"""In-memory adapters: a second, simple implementation of every storage port.

They keep the same contract as the SQL adapters (the contract tests run against both)
and serve the unit tests of the application layer, where a database would be noise.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self, TypeVar
from uuid import UUID

from service.domain.access import Actor, ActorKind
from service.domain.audit import GENESIS_HASH, AuditEvent, ChainedEvent, chain_hash
from service.domain.errors import Conflict, StaleVersion
from service.domain.events import DomainEvent
from service.domain.federation import ReceivedExchange
from service.domain.identity import Agency, ApiKey, RefreshToken, ServiceAccount, User
from service.domain.items import Item
from service.domain.matching import SerialQuery, StoredIdentifier, match_kind
from service.domain.networks import Link, LinkKind, NetworkState, Node, NodeRef
from service.domain.outbox import OutboxEntry, OutboxMessage
from service.domain.ports.audit import AuditFilter, StoredAuditEvent
from service.domain.ports.background import OutboxBacklog
from service.domain.ports.identity import TokenSubject
from service.domain.ports.networks import NetworkSummary
from service.domain.ports.recoveries import (
    CandidateBatch,
    RecoveryCursor,
    RecoveryFilter,
    RecoveryPage,
    UnresolvedValue,
)
from service.domain.ports.tracing import (
    Box,
    MessageCursor,
    MessagePage,
    TraceRequestCursor,
    TraceRequestFilter,
    TraceRequestPage,
)
from service.domain.ports.unit_of_work import EventSource, Reaction
from service.domain.recovery import Recovery
from service.domain.registry import RegistryRecord
from service.domain.registry_hits import RegistryHit
from service.domain.trace_request import TraceRequest
from service.domain.trace_statistics import TraceFacts
from service.domain.trace_thread import TraceMessage
from service.domain.trace_workflow import TraceStatus


class InMemoryStore:
    """The committed state, shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.recoveries: dict[UUID, Recovery] = {}
        self.agencies: dict[UUID, Agency] = {}
        self.users: dict[UUID, User] = {}
        self.audit: list[StoredAuditEvent] = []
        self.service_accounts: dict[UUID, ServiceAccount] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.sign_in_failures: dict[str, tuple[int, datetime, datetime | None]] = {}
        self.trace_requests: dict[UUID, TraceRequest] = {}
        self.trace_messages: list[TraceMessage] = []
        self.registry_records: dict[tuple[str, str], RegistryRecord] = {}
        self.outbox: dict[UUID, _Queued] = {}
        self.registry_hits: dict[UUID, RegistryHit] = {}
        self.received_exchanges: dict[UUID, ReceivedExchange] = {}
        self.network_nodes: dict[UUID, Node] = {}
        self.network_links: dict[UUID, Link] = {}
        # network id -> (state, created at, grown or shrunk at)
        self.networks: dict[UUID, tuple[NetworkState, datetime, datetime]] = {}
        self.network_rules: str | None = None


_Aggregate = TypeVar("_Aggregate", bound=EventSource)


def _detached(recovery: Recovery) -> Recovery:
    return _kept(recovery)


def _kept(aggregate: _Aggregate) -> _Aggregate:
    """A copy to keep or hand out: what happened to the original stays with it."""
    clone = copy.deepcopy(aggregate)
    clone.events.clear()
    return clone


class InMemoryRecoveryRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.staged_new: list[Recovery] = []
        self.staged_changed: dict[UUID, tuple[int, Recovery]] = {}
        self._loaded_versions: dict[UUID, int] = {}

    async def get(self, recovery_id: UUID) -> Recovery | None:
        found = self._store.recoveries.get(recovery_id)
        if found is None:
            return None
        self._loaded_versions[recovery_id] = found.version
        return _detached(found)

    def add(self, recovery: Recovery) -> None:
        self.staged_new.append(recovery)

    def save(self, recovery: Recovery) -> None:
        self.staged_changed[recovery.id] = (self._loaded_versions[recovery.id], recovery)

    async def ids_after(self, after: UUID | None, *, limit: int) -> list[UUID]:
        return sorted(i for i in self._store.recoveries if after is None or i > after)[:limit]

    async def get_many(self, recovery_ids: Sequence[UUID]) -> list[Recovery]:
        found = [self._store.recoveries.get(i) for i in recovery_ids]
        return [dataclasses.replace(_detached(r), corrections=()) for r in found if r is not None]

    async def page(
        self,
        *,
        agency_id: UUID,
        recovery_filter: RecoveryFilter,
        after: RecoveryCursor | None,
        limit: int,
    ) -> RecoveryPage:
        chosen = [
            r
            for r in self._store.recoveries.values()
            if r.agency_id == agency_id and _passes(r, recovery_filter)
        ]
        chosen.sort(key=lambda r: (r.recovered_at, r.id), reverse=True)
        if after is not None:
            position = (after.recovered_at, after.recovery_id)
            chosen = [r for r in chosen if (r.recovered_at, r.id) < position]
        page = [_detached(r) for r in chosen[:limit]]
        more = len(chosen) > limit
        cursor = RecoveryCursor(page[-1].recovered_at, page[-1].id) if more and page else None
        return RecoveryPage(recoveries=page, next_cursor=cursor)


def _passes(recovery: Recovery, f: RecoveryFilter) -> bool:
    if f.case_reference is not None and recovery.case_reference != f.case_reference:
        return False
    if f.country is not None and recovery.location.country != f.country:
        return False
    if f.recovered_from is not None and recovery.recovered_at < f.recovered_from:
        return False
    if f.recovered_to is not None and recovery.recovered_at >= f.recovered_to:
        return False
    items = recovery.items
    if f.item_kind is not None:
        items = tuple(i for i in items if i.kind == f.item_kind)
    if f.make is not None:
        items = tuple(i for i in items if _make_of(i) == f.make)
    if f.calibre is not None:
        items = tuple(i for i in items if _calibre_of(i) == f.calibre)
    return bool(items)


def _make_of(item: Item) -> str | None:
    return (item.make.canonical or item.make.raw) if item.make else None


def _calibre_of(item: Item) -> str | None:
    return (item.calibre.canonical or item.calibre.raw) if item.calibre else None


class InMemorySerialIndex:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def candidates(
        self, query: SerialQuery, *, agency_id: UUID | None, cap: int
    ) -> CandidateBatch:
        found: list[StoredIdentifier] = []
        for recovery in self._store.recoveries.values():
            if agency_id is not None and recovery.agency_id != agency_id:
                continue
            for candidate in stored_identifiers(recovery):
                if match_kind(query.identifier, candidate.identifier) is not None:
                    found.append(candidate)
        return CandidateBatch(candidates=found[:cap], truncated=len(found) > cap)


def stored_identifiers(recovery: Recovery) -> list[StoredIdentifier]:
    """Every serial and lot reading of a recovery, as the serial index holds them."""
    found = []
    for item in recovery.items:
        for role, identifier in item.identifiers():
            found.append(
                StoredIdentifier(
                    recovery_id=recovery.id,
                    item_id=item.id,
                    agency_id=recovery.agency_id,
                    item_kind=item.kind,
                    role=role,
                    identifier=identifier,
                    make=item.make,
                    model=item.model,
                    calibre=item.calibre,
                    recovered_at=recovery.recovered_at,
                    case_reference=recovery.case_reference,
                )
            )
    return found


class InMemoryReferenceUsage:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def unresolved(self, *, agency_id: UUID | None) -> list[UnresolvedValue]:
        counts: Counter[tuple[str, str]] = Counter()
        for recovery in self._store.recoveries.values():
            if agency_id is not None and recovery.agency_id != agency_id:
                continue
            for item in recovery.items:
                if item.make is not None and item.make.canonical is None:
                    counts["make", item.make.raw] += 1
                if item.calibre is not None and item.calibre.canonical is None:
                    counts["calibre", item.calibre.raw] += 1
        return [UnresolvedValue(field, raw, n) for (field, raw), n in counts.items()]


class InMemoryAgencyRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.staged: list[Agency] = []

    async def get(self, agency_id: UUID) -> Agency | None:
        return self._store.agencies.get(agency_id)

    async def by_name(self, name: str) -> Agency | None:
        return next((a for a in self._store.agencies.values() if a.name == name), None)

    async def all(self) -> list[Agency]:
        return sorted(self._store.agencies.values(), key=lambda a: a.name)

    def add(self, agency: Agency) -> None:
        self.staged.append(agency)


class InMemoryUserRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.staged: dict[UUID, User] = {}

    async def get(self, user_id: UUID) -> User | None:
        found = self._store.users.get(user_id)
        return copy.deepcopy(found) if found else None

    async def by_username(self, username: str) -> User | None:
        found = next((u for u in self._store.users.values() if u.username == username), None)
        return copy.deepcopy(found) if found else None

    def add(self, user: User) -> None:
        self.staged[user.id] = user

    def save(self, user: User) -> None:
        self.staged[user.id] = user


class InMemoryAuditLog:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.staged: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        self.staged.append(event)

    def write(self) -> None:
        seq, previous = (
            (self._store.audit[-1].seq, self._store.audit[-1].hash)
            if self._store.audit
            else (0, GENESIS_HASH)
        )
        for event in self.staged:
            seq += 1
            digest = chain_hash(previous, seq, event.payload())
            self._store.audit.append(StoredAuditEvent(seq, event, previous, digest))
            previous = digest
        self.staged.clear()

    async def head(self) -> tuple[int, str]:
        last = self._store.audit[-1] if self._store.audit else None
        return (last.seq, last.hash) if last else (0, GENESIS_HASH)

    async def chain(self, *, after_seq: int, limit: int) -> list[ChainedEvent]:
        return [
            ChainedEvent(e.seq, e.event.payload(), e.prev_hash, e.hash)
            for e in self._store.audit
            if e.seq > after_seq
        ][:limit]

    async def events(
        self, audit_filter: AuditFilter, *, after_seq: int | None, limit: int
    ) -> list[StoredAuditEvent]:
        f = audit_filter
        found = [
            e
            for e in reversed(self._store.audit)
            if (after_seq is None or e.seq < after_seq)
            and (f.entity_type is None or e.event.entity_type == f.entity_type)
            and (f.entity_id is None or e.event.entity_id == f.entity_id)
            and (f.actor_id is None or e.event.actor_id == f.actor_id)
            and (f.action is None or e.event.action == f.action)
            and (f.agency_id is None or e.event.actor_agency_id == f.agency_id)
            and (f.occurred_from is None or e.event.occurred_at >= f.occurred_from)
            and (f.occurred_to is None or e.event.occurred_at < f.occurred_to)
        ]
        return found[:limit]


class InMemoryServiceAccountRepository:
    def __init__(
        self, store: InMemoryStore, staged: list[Callable[[], None]], seen: list[EventSource]
    ) -> None:
        self._store = store
        self._staged = staged
        self._seen = seen

    async def get(self, account_id: UUID) -> ServiceAccount | None:
        return copy.deepcopy(self._store.service_accounts.get(account_id))

    async def by_name(self, agency_id: UUID, name: str) -> ServiceAccount | None:
        return next(
            (
                copy.deepcopy(a)
                for a in self._store.service_accounts.values()
                if a.agency_id == agency_id and a.name == name
            ),
            None,
        )

    def add(self, account: ServiceAccount) -> None:
        kept = _kept(account)
        self._staged.append(lambda: self._store.service_accounts.__setitem__(kept.id, kept))
        self._seen.append(account)


class InMemoryApiKeyRepository:
    def __init__(
        self, store: InMemoryStore, staged: list[Callable[[], None]], seen: list[EventSource]
    ) -> None:
        self._store = store
        self._staged = staged
        self._seen = seen

    async def by_public_id(self, public_id: str) -> ApiKey | None:
        return copy.deepcopy(self._store.api_keys.get(public_id))

    def add(self, key: ApiKey) -> None:
        self.save(key)

    def save(self, key: ApiKey) -> None:
        kept = _kept(key)
        self._staged.append(lambda: self._store.api_keys.__setitem__(kept.public_id, kept))
        self._seen.append(key)


class InMemoryRefreshTokenRepository:
    def __init__(self, store: InMemoryStore, staged: list[Callable[[], None]]) -> None:
        self._store = store
        self._staged = staged

    async def by_digest(self, digest: str) -> RefreshToken | None:
        return copy.deepcopy(self._store.refresh_tokens.get(digest))

    def add(self, token: RefreshToken) -> None:
        self.save(token)

    def save(self, token: RefreshToken) -> None:
        kept = copy.deepcopy(token)
        self._staged.append(lambda: self._store.refresh_tokens.__setitem__(kept.digest, kept))

    def revoke_family(self, family_id: UUID, *, at: datetime) -> None:
        def revoke() -> None:
            for token in self._store.refresh_tokens.values():
                if token.family_id == family_id and token.revoked_at is None:
                    token.revoked_at = at

        self._staged.append(revoke)


class InMemorySignInAttempts:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def locked_until(self, keys: list[str], *, now: datetime) -> datetime | None:
        ends = [
            until
            for key in keys
            if (entry := self._store.sign_in_failures.get(key))
            and (until := entry[2])
            and until > now
        ]
        return max(ends, default=None)

    async def begin(
        self,
        key: str,
        *,
        now: datetime,
        window_start: datetime,
        limit: int,
        hold_until: datetime,
    ) -> int | None:
        failures, started, until = self._store.sign_in_failures.get(key, (0, now, None))
        if until is not None and until > now:
            return None
        if started < window_start:
            failures, started = 0, now
        failures += 1
        self._store.sign_in_failures[key] = (
            failures,
            started,
            hold_until if failures >= limit else until,
        )
        return failures

    async def lock(self, key: str, *, until: datetime) -> None:
        if key in self._store.sign_in_failures:
            failures, started, _ = self._store.sign_in_failures[key]
            self._store.sign_in_failures[key] = (failures, started, until)

    async def release(self, key: str, *, unlock: bool) -> None:
        if key in self._store.sign_in_failures:
            failures, started, until = self._store.sign_in_failures[key]
            self._store.sign_in_failures[key] = (
                max(failures - 1, 0),
                started,
                None if unlock else until,
            )

    async def clear(self, key: str) -> None:
        self._store.sign_in_failures.pop(key, None)


class InMemoryTraceRequestRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.staged_new: list[TraceRequest] = []
        self.staged_changed: dict[UUID, tuple[int, TraceRequest]] = {}
        self._loaded_versions: dict[UUID, int] = {}

    async def ids_for_recovery(self, recovery_id: UUID) -> list[UUID]:
        found = [
            r for r in self._store.trace_requests.values() if r.item.recovery_id == recovery_id
        ]
        return [r.id for r in sorted(found, key=lambda r: (r.created_at, r.id))]

    async def get(self, request_id: UUID) -> TraceRequest | None:
        found = self._store.trace_requests.get(request_id)
        if found is None:
            return None
        self._loaded_versions[request_id] = found.version
        return copy.deepcopy(found)

    def add(self, request: TraceRequest) -> None:
        self.staged_new.append(request)

    def save(self, request: TraceRequest) -> None:
        self.staged_changed[request.id] = (self._loaded_versions[request.id], request)

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
        f = request_filter
        chosen = [
            r
            for r in self._store.trace_requests.values()
            if _in_box(r, agency_id, box)
            and (not f.statuses or r.status in f.statuses)
            and (f.priority is None or r.priority == f.priority)
            and (f.overdue is None or r.overdue(now) == f.overdue)
        ]
        chosen.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        if after is not None:
            position = (after.created_at, after.request_id)
            chosen = [r for r in chosen if (r.created_at, r.id) < position]
        page = [
            dataclasses.replace(r, transitions=(), responses=(), history_loaded=False)
            for r in chosen[:limit]
        ]
        more = len(chosen) > limit
        cursor = TraceRequestCursor(page[-1].created_at, page[-1].id) if more and page else None
        return TraceRequestPage(requests=page, next_cursor=cursor)

    async def facts(
        self, *, agency_id: UUID, box: Box, submitted_from: datetime, submitted_to: datetime
    ) -> list[TraceFacts]:
        return [
            trace_facts(r)
            for r in self._store.trace_requests.values()
            if _in_box(r, agency_id, box)
            and r.submitted_at is not None
            and submitted_from <= r.submitted_at < submitted_to
        ]


def trace_facts(request: TraceRequest) -> TraceFacts:
    if request.submitted_at is None:
        raise ValueError("only submitted requests have tracing facts")
    return TraceFacts(
        addressee_agency_id=request.addressee_agency_id,
        priority=request.priority,
        status=request.status,
        submitted_at=request.submitted_at,
        acknowledged_at=request.acknowledged_at,
        first_response_at=request.first_response_at,
        respond_by=request.respond_by,
        outcome=request.outcome,
        time_to_crime_days=request.time_to_crime_days,
    )


def _in_box(request: TraceRequest, agency_id: UUID, box: Box) -> bool:
    if box is Box.OUTBOX:
        return request.requester_agency_id == agency_id
    return request.addressee_agency_id == agency_id and request.status is not TraceStatus.DRAFT


class InMemoryTraceThread:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.staged: list[TraceMessage] = []

    def add(self, message: TraceMessage) -> None:
        self.staged.append(message)

    async def get(self, message_id: UUID) -> TraceMessage | None:
        return next((m for m in self._store.trace_messages if m.id == message_id), None)

    async def messages(
        self, request_id: UUID, *, after: MessageCursor | None, limit: int
    ) -> MessagePage:
        chosen = sorted(
            (m for m in self._store.trace_messages if m.request_id == request_id),
            key=lambda m: (m.posted_at, m.id),
        )
        if after is not None:
            position = (after.posted_at, after.message_id)
            chosen = [m for m in chosen if (m.posted_at, m.id) > position]
        page, more = chosen[:limit], len(chosen) > limit
        cursor = MessageCursor(page[-1].posted_at, page[-1].id) if more and page else None
        return MessagePage(messages=page, next_cursor=cursor)


class InMemoryRegistryRecords:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.staged: list[RegistryRecord] = []

    async def fingerprints(self, registry: str) -> dict[str, str]:
        return {
            reference: record.fingerprint()
            for (name, reference), record in self._store.registry_records.items()
            if name == registry
        }

    def add(self, record: RegistryRecord) -> None:
        self.staged.append(record)

    def replace(self, record: RegistryRecord) -> None:
        self.staged.append(record)


@dataclasses.dataclass
class _Queued:
    message: OutboxMessage
    available_at: datetime
    leased_until: datetime | None = None
    done_at: datetime | None = None
    failed_at: datetime | None = None

    def entry(self) -> OutboxEntry:
        return OutboxEntry(self.message, self.available_at, self.done_at, self.failed_at)


class InMemoryOutbox:
    def __init__(self, store: InMemoryStore, staged: list[Callable[[], None]]) -> None:
        self._store = store
        self._staged = staged

    def add(self, message: OutboxMessage) -> None:
        self._staged.append(
            lambda: self._store.outbox.__setitem__(
                message.id, _Queued(message, available_at=message.created_at)
            )
        )

    async def claim(
        self, *, topics: Sequence[str], now: datetime, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        due = sorted(
            (
                q
                for q in self._store.outbox.values()
                if q.done_at is None
                and q.failed_at is None
                and q.message.topic in topics
                and q.available_at <= now
                and (q.leased_until is None or q.leased_until < now)
                and not self._waits_its_turn(q)
            ),
            key=lambda q: (q.available_at, q.message.id),
        )[:limit]
        for queued in due:
            queued.leased_until = now + lease
        return [q.message for q in due]

    def _waits_its_turn(self, queued: _Queued) -> bool:
        key = queued.message.ordering_key
        turn = (queued.message.created_at, queued.message.id)
        return key is not None and any(
            q.message.ordering_key == key
            and q.done_at is None
            and q.failed_at is None
            and (q.message.created_at, q.message.id) < turn
            for q in self._store.outbox.values()
        )

    async def troubles(self, *, limit: int) -> list[OutboxEntry]:
        troubled = [
            q for q in self._store.outbox.values() if q.done_at is None and q.message.attempts
        ]
        troubled.sort(key=lambda q: q.failed_at or q.available_at, reverse=True)
        return [q.entry() for q in troubled[:limit]]

    async def entry(self, message_id: UUID) -> OutboxEntry | None:
        queued = self._store.outbox.get(message_id)
        return queued.entry() if queued else None

    def requeue(self, message_id: UUID, *, at: datetime) -> None:
        def again() -> None:
            queued = self._store.outbox[message_id]
            queued.message = dataclasses.replace(queued.message, attempts=0)
            queued.failed_at, queued.available_at = None, at

        self._staged.append(again)

    async def about(self, subject: str) -> list[OutboxEntry]:
        found = [q for q in self._store.outbox.values() if q.message.subject == subject]
        found.sort(key=lambda q: (q.message.created_at, q.message.id))
        return [q.entry() for q in found]

    async def by_key(self, ordering_key: str) -> list[OutboxEntry]:
        keyed = [q for q in self._store.outbox.values() if q.message.ordering_key == ordering_key]
        keyed.sort(key=lambda q: (q.message.created_at, q.message.id))
        return [q.entry() for q in keyed]

    def done(self, message_id: UUID, *, at: datetime) -> None:
        def mark() -> None:
            self._store.outbox[message_id].done_at = at

        self._staged.append(mark)

    def retry(
        self, message: OutboxMessage, *, error: str, at: datetime, not_before: datetime
    ) -> None:
        def again() -> None:
            queued = self._store.outbox[message.id]
            queued.message = dataclasses.replace(
                message, attempts=message.attempts + 1, last_error=error
            )
            queued.available_at, queued.leased_until = not_before, None

        self._staged.append(again)

    def give_up(self, message: OutboxMessage, *, error: str, at: datetime) -> None:
        def stop() -> None:
            queued = self._store.outbox[message.id]
            queued.message = dataclasses.replace(
                message, attempts=message.attempts + 1, last_error=error
            )
            queued.failed_at, queued.leased_until = at, None

        self._staged.append(stop)

    async def backlog(self) -> list[OutboxBacklog]:
        topics = sorted({q.message.topic for q in self._store.outbox.values()})
        backlog = []
        for topic in topics:
            of_topic = [q for q in self._store.outbox.values() if q.message.topic == topic]
            waiting = [q for q in of_topic if q.done_at is None and q.failed_at is None]
            failed = [q for q in of_topic if q.failed_at is not None]
            if waiting or failed:
                oldest = min((q.message.created_at for q in waiting), default=None)
                backlog.append(OutboxBacklog(topic, len(waiting), len(failed), oldest))
        return backlog


class InMemoryRegistryHits:
    def __init__(self, store: InMemoryStore, staged: list[Callable[[], None]]) -> None:
        self._store = store
        self._staged = staged

    async def for_recoveries(self, recovery_ids: Sequence[UUID]) -> list[RegistryHit]:
        wanted = set(recovery_ids)
        return sorted(
            (h for h in self._store.registry_hits.values() if h.recovery_id in wanted),
            key=lambda h: (h.found_at, h.id),
        )

    def add(self, hit: RegistryHit) -> None:
        self._staged.append(lambda: self._store.registry_hits.__setitem__(hit.id, hit))

    def update(self, hit: RegistryHit) -> None:
        self._staged.append(lambda: self._store.registry_hits.__setitem__(hit.id, hit))


class InMemoryReceivedExchanges:
    def __init__(self, store: InMemoryStore, staged: list[Callable[[], None]]) -> None:
        self._store = store
        self._staged = staged

    async def get(self, message_id: UUID) -> ReceivedExchange | None:
        return self._store.received_exchanges.get(message_id)

    def add(self, received: ReceivedExchange) -> None:
        def keep() -> None:
            if received.message_id in self._store.received_exchanges:
                raise Conflict(f"message {received.message_id} was received already")
            self._store.received_exchanges[received.message_id] = received

        self._staged.append(keep)


class InMemoryNetworkGraph:
    def __init__(self, store: InMemoryStore, staged: list[Callable[[], None]]) -> None:
        self._store = store
        self._staged = staged

    async def nodes(self, refs: Sequence[NodeRef]) -> dict[NodeRef, Node]:
        wanted = set(refs)
        return {n.ref: n for n in self._store.network_nodes.values() if n.ref in wanted}

    async def nodes_by_id(self, node_ids: Collection[UUID]) -> dict[UUID, Node]:
        return {i: self._store.network_nodes[i] for i in node_ids if i in self._store.network_nodes}

    def add_node(self, node: Node) -> None:
        self._staged.append(lambda: self._store.network_nodes.__setitem__(node.id, node))

    async def links_touching(
        self,
        node_ids: Collection[UUID],
        *,
        standing_only: bool = False,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[Link]:
        ends = set(node_ids)
        return sorted(
            (
                link
                for link in self._store.network_links.values()
                if (link.source_id in ends or link.target_id in ends)
                and (link.standing or not standing_only)
                and link.confidence >= min_confidence
                and (kinds is None or link.kind in kinds)
            ),
            key=lambda link: link.id,
        )

    async def link(self, link_id: UUID) -> Link | None:
        return self._store.network_links.get(link_id)

    def add_link(self, link: Link) -> None:
        def keep() -> None:
            if any(other.key == link.key for other in self._store.network_links.values()):
                raise Conflict(f"a {link.kind.value} link between these nodes exists already")
            self._store.network_links[link.id] = link

        self._staged.append(keep)

    def update_link(self, link: Link) -> None:
        self._staged.append(lambda: self._store.network_links.__setitem__(link.id, link))

    async def rules_applied(self) -> str | None:
        return self._store.network_rules

    async def has_nodes(self) -> bool:
        return bool(self._store.network_nodes)

    def record_rules(self, rules: str, *, replacing: str | None, at: datetime) -> None:
        def keep() -> None:
            if self._store.network_rules != replacing:
                raise Conflict("the linking rules changed meanwhile")
            self._store.network_rules = rules

        self._staged.append(keep)

    async def adjacent(
        self,
        node_ids: Collection[UUID],
        *,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[tuple[UUID, UUID, UUID]]:
        found = await self.links_touching(
            node_ids, standing_only=True, min_confidence=min_confidence, kinds=kinds
        )
        return [(link.id, link.source_id, link.target_id) for link in found]

    async def links_by_id(self, link_ids: Collection[UUID]) -> list[Link]:
        wanted = set(link_ids)
        return sorted(
            (link for link in self._store.network_links.values() if link.id in wanted),
            key=lambda link: link.id,
        )

    async def network_states(self, network_ids: Collection[UUID]) -> dict[UUID, NetworkState]:
        return {i: self._store.networks[i][0] for i in network_ids if i in self._store.networks}

    def save_network(self, state: NetworkState, *, at: datetime, new: bool) -> None:
        def save() -> None:
            _, created, _ = self._store.networks.get(state.id, (state, at, at))
            self._store.networks[state.id] = (state, created, at)

        self._staged.append(save)

    async def counted_state(self, network_id: UUID) -> NetworkState:
        members = [n for n in self._store.network_nodes.values() if n.network_id == network_id]
        return NetworkState.of(network_id, members)

    def relabel(self, from_network: UUID, to_network: UUID) -> None:
        def move() -> None:
            for node in list(self._store.network_nodes.values()):
                if node.network_id == from_network:
                    self._store.network_nodes[node.id] = dataclasses.replace(
                        node, network_id=to_network
                    )

        self._staged.append(move)

    def move(self, node_ids: Collection[UUID], to_network: UUID) -> None:
        moving = set(node_ids)

        def move() -> None:
            for node_id in moving:
                node = self._store.network_nodes[node_id]
                self._store.network_nodes[node_id] = dataclasses.replace(
                    node, network_id=to_network
                )

        self._staged.append(move)

    async def networks_of_agency(
        self, agency_id: UUID, *, order: str, limit: int
    ) -> list[NetworkSummary]:
        ids = {n.network_id for n in self._store.network_nodes.values() if n.agency_id == agency_id}
        found = [
            NetworkSummary(*self._store.networks[i])
            for i in ids
            if self._store.networks[i][0].size > 1
        ]
        if order == "grown":
            found.sort(key=lambda n: (n.grown_at, n.state.id), reverse=True)
        else:
            found.sort(key=lambda n: (-n.state.size, n.state.id))
        return found[:limit]


class InMemoryUnitOfWork:
    recoveries: InMemoryRecoveryRepository
    serials: InMemorySerialIndex
    reference_usage: InMemoryReferenceUsage
    agencies: InMemoryAgencyRepository
    users: InMemoryUserRepository
    audit: InMemoryAuditLog
    service_accounts: InMemoryServiceAccountRepository
    api_keys: InMemoryApiKeyRepository
    refresh_tokens: InMemoryRefreshTokenRepository
    sign_in_attempts: InMemorySignInAttempts
    trace_requests: InMemoryTraceRequestRepository
    trace_thread: InMemoryTraceThread
    registry_records: InMemoryRegistryRecords
    outbox: InMemoryOutbox
    registry_hits: InMemoryRegistryHits
    received_exchanges: InMemoryReceivedExchanges
    networks: InMemoryNetworkGraph

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.committed = False
        self._seen: list[EventSource] = []
        self._recorded: list[DomainEvent] = []
        self._reaction: Reaction | None = None

    async def __aenter__(self) -> Self:
        self.recoveries = InMemoryRecoveryRepository(self._store)
        self.serials = InMemorySerialIndex(self._store)
        self.reference_usage = InMemoryReferenceUsage(self._store)
        self.agencies = InMemoryAgencyRepository(self._store)
        self.users = InMemoryUserRepository(self._store)
        self.audit = InMemoryAuditLog(self._store)
        self._staged_changes: list[Callable[[], None]] = []
        self.service_accounts = InMemoryServiceAccountRepository(
            self._store, self._staged_changes, self._seen
        )
        self.api_keys = InMemoryApiKeyRepository(self._store, self._staged_changes, self._seen)
        self.refresh_tokens = InMemoryRefreshTokenRepository(self._store, self._staged_changes)
        self.sign_in_attempts = InMemorySignInAttempts(self._store)
        self.trace_requests = InMemoryTraceRequestRepository(self._store)
        self.trace_thread = InMemoryTraceThread(self._store)
        self.registry_records = InMemoryRegistryRecords(self._store)
        self.outbox = InMemoryOutbox(self._store, self._staged_changes)
        self.registry_hits = InMemoryRegistryHits(self._store, self._staged_changes)
        self.received_exchanges = InMemoryReceivedExchanges(self._store, self._staged_changes)
        self.networks = InMemoryNetworkGraph(self._store, self._staged_changes)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.recoveries.staged_new.clear()
        self.recoveries.staged_changed.clear()
        self.agencies.staged.clear()
        self.users.staged.clear()
        self.audit.staged.clear()
        self._staged_changes.clear()
        self.trace_requests.staged_new.clear()
        self.trace_requests.staged_changed.clear()
        self.trace_thread.staged.clear()
        self.registry_records.staged.clear()
        self._seen.clear()
        self._recorded.clear()

    def record(self, *events: DomainEvent) -> None:
        self._recorded.extend(events)

    def reacting_with(self, reaction: Reaction) -> Self:
        self._reaction = reaction
        return self

    def _take_events(self) -> list[DomainEvent]:
        """The events of the aggregates added or saved, then those recorded, once."""
        seen: list[EventSource] = [
            *self.recoveries.staged_new,
            *(recovery for _, recovery in self.recoveries.staged_changed.values()),
            *self.agencies.staged,
            *self.users.staged.values(),
            *self._seen,
            *self.trace_requests.staged_new,
            *(request for _, request in self.trace_requests.staged_changed.values()),
            *self.trace_thread.staged,
        ]
        events: list[DomainEvent] = []
        for aggregate in seen:
            events += aggregate.events
            aggregate.events.clear()
        events += self._recorded
        self._seen.clear()
        self._recorded.clear()
        return events

    async def commit(self) -> None:
        events = self._take_events()
        if events and self._reaction is not None:
            await self._reaction(self, events)
        for loaded_version, recovery in self.recoveries.staged_changed.values():
            current = self._store.recoveries[recovery.id].version
            if current != loaded_version:
                raise StaleVersion("recovery", loaded_version, current)
        for loaded_version, request in self.trace_requests.staged_changed.values():
            current = self._store.trace_requests[request.id].version
            if current != loaded_version:
                raise StaleVersion("trace request", loaded_version, current)
        for recovery in self.recoveries.staged_new:
            self._store.recoveries[recovery.id] = _detached(recovery)
        for _, recovery in self.recoveries.staged_changed.values():
            self._store.recoveries[recovery.id] = _detached(recovery)
        for agency in self.agencies.staged:
            self._store.agencies[agency.id] = agency
        for user in self.users.staged.values():
            user.changed.clear()
            self._store.users[user.id] = copy.deepcopy(user)
        for change in self._staged_changes:
            change()
        for request in self.trace_requests.staged_new:
            self._store.trace_requests[request.id] = copy.deepcopy(request)
        for _, request in self.trace_requests.staged_changed.values():
            self._store.trace_requests[request.id] = copy.deepcopy(request)
        self._store.trace_messages.extend(self.trace_thread.staged)
        for record in self.registry_records.staged:
            self._store.registry_records[(record.registry, record.reference)] = record
        self.registry_records.staged.clear()
        self.trace_requests.staged_new.clear()
        self.trace_requests.staged_changed.clear()
        self.trace_thread.staged.clear()
        self._staged_changes.clear()
        self.audit.write()
        self.recoveries.staged_new.clear()
        self.recoveries.staged_changed.clear()
        self.agencies.staged.clear()
        self.users.staged.clear()
        self.committed = True


class InMemoryActorDirectory:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def active_actor(self, subject: TokenSubject) -> Actor | None:
        user = self._store.users.get(subject.actor_id)
        if user is None or user.disabled or subject.kind is not ActorKind.USER:
            return None
        return user.as_actor()

    def forget(self, actor_id: UUID) -> None:
        """Nothing is remembered: every question reads the store."""
