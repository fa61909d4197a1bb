"""The committed state of the in-memory adapters."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from service.domain.console_sessions import ConsoleSession
from service.domain.federation import ReceivedExchange
from service.domain.identity import Agency, ApiKey, RefreshToken, ServiceAccount, User
from service.domain.imports import ImportJob
from service.domain.networks.links import Link
from service.domain.networks.membership import NetworkState
from service.domain.networks.nodes import Node
from service.domain.outbox import OutboxEntry, OutboxMessage
from service.domain.photos import ItemPhoto
from service.domain.ports.audit import StoredAuditEvent
from service.domain.ports.imports import RejectedRow
from service.domain.ports.unit_of_work import EventSource
from service.domain.recovery import Recovery
from service.domain.registry import RegistryRecord
from service.domain.registry_hits import RegistryHit
from service.domain.trace_request import TraceRequest
from service.domain.trace_thread import TraceMessage


@dataclasses.dataclass
class QueuedMessage:
    """An outbox message and its delivery state."""

    message: OutboxMessage
    available_at: datetime
    leased_until: datetime | None = None
    done_at: datetime | None = None
    failed_at: datetime | None = None

    def entry(self) -> OutboxEntry:
        return OutboxEntry(self.message, self.available_at, self.done_at, self.failed_at)


class InMemoryStore:
    """The committed state, shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.recoveries: dict[UUID, Recovery] = {}
        self.item_photos: dict[UUID, ItemPhoto] = {}
        self.agencies: dict[UUID, Agency] = {}
        self.users: dict[UUID, User] = {}
        self.audit: list[StoredAuditEvent] = []
        self.service_accounts: dict[UUID, ServiceAccount] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.sign_in_failures: dict[str, tuple[int, datetime, datetime | None]] = {}
        self.console_sessions: dict[str, ConsoleSession] = {}
        self.trace_requests: dict[UUID, TraceRequest] = {}
        self.trace_messages: list[TraceMessage] = []
        self.registry_records: dict[tuple[str, str], RegistryRecord] = {}
        self.outbox: dict[UUID, QueuedMessage] = {}
        self.registry_hits: dict[UUID, RegistryHit] = {}
        self.received_exchanges: dict[UUID, ReceivedExchange] = {}
        self.network_nodes: dict[UUID, Node] = {}
        self.network_links: dict[UUID, Link] = {}
        # network id -> (state, created at, grown or shrunk at)
        self.networks: dict[UUID, tuple[NetworkState, datetime, datetime]] = {}
        self.network_rules: str | None = None
        self.import_jobs: dict[UUID, ImportJob] = {}
        self.import_rejects: dict[UUID, list[RejectedRow]] = {}
        # (agency, key of an imported row or recovery) -> (recovery, import that landed it)
        self.import_keys: dict[tuple[UUID, str], tuple[UUID, UUID]] = {}
        self.import_batches: dict[UUID, tuple[UUID, int]] = {}  # recovery -> import, batch


Aggregate = TypeVar("Aggregate", bound=EventSource)


def kept(aggregate: Aggregate) -> Aggregate:
    """A copy to keep or hand out: what happened to the original stays with it."""
    clone = copy.deepcopy(aggregate)
    clone.events.clear()
    return clone
