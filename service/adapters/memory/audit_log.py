"""The audit trail in memory: chained as the SQL one is, in commit order."""

from __future__ import annotations

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore
from service.domain.audit import GENESIS_HASH, AuditEvent, ChainedEvent, chain_hash
from service.domain.ports.audit import AuditFilter, StoredAuditEvent


class InMemoryAuditLog:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    def append(self, event: AuditEvent) -> None:
        def chain() -> None:
            last = self._store.audit[-1] if self._store.audit else None
            seq, previous = (last.seq, last.hash) if last else (0, GENESIS_HASH)
            digest = chain_hash(previous, seq + 1, event.payload())
            self._store.audit.append(StoredAuditEvent(seq + 1, event, previous, digest))

        self._staging.write(chain)

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
