"""Who a token speaks for, read from the in-memory store."""

from __future__ import annotations

from uuid import UUID

from service.adapters.memory.store import InMemoryStore
from service.domain.access import Actor, ActorKind
from service.domain.ports.identity import TokenSubject


class InMemoryActorDirectory:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def active_actor(self, subject: TokenSubject) -> Actor | None:
        user = self._store.users.get(subject.actor_id)
        if user is None or user.disabled or subject.kind is not ActorKind.USER:
            return None
        if subject.session_id is not None and any(
            token.family_id == subject.session_id and token.revoked_at is not None
            for token in self._store.refresh_tokens.values()
        ):
            return None  # the sign-in it was issued from has ended
        return user.as_actor()

    def forget(self, actor_id: UUID) -> None:
        """Nothing is remembered: every question reads the store."""
