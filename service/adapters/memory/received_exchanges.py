"""The messages taken from peers, in memory."""

from __future__ import annotations

from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore
from service.domain.errors import Conflict
from service.domain.federation import ReceivedExchange


class InMemoryReceivedExchanges:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def get(self, message_id: UUID) -> ReceivedExchange | None:
        return self._store.received_exchanges.get(message_id)

    def add(self, received: ReceivedExchange) -> None:
        def not_taken() -> None:
            if received.message_id in self._store.received_exchanges:
                raise Conflict(f"message {received.message_id} was received already")

        self._staging.check(not_taken)
        self._staging.write(
            lambda: self._store.received_exchanges.__setitem__(received.message_id, received)
        )
