"""Agencies and users in memory."""

from __future__ import annotations

from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore, kept
from service.domain.identity import Agency, User


class InMemoryAgencyRepository:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def get(self, agency_id: UUID) -> Agency | None:
        return self._store.agencies.get(agency_id)

    async def by_name(self, name: str) -> Agency | None:
        return next((a for a in self._store.agencies.values() if a.name == name), None)

    async def all(self) -> list[Agency]:
        return sorted(self._store.agencies.values(), key=lambda a: a.name)

    def add(self, agency: Agency) -> None:
        self._staging.saw(agency)
        self._staging.write(lambda: self._store.agencies.__setitem__(agency.id, kept(agency)))


class InMemoryUserRepository:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def get(self, user_id: UUID) -> User | None:
        found = self._store.users.get(user_id)
        return kept(found) if found else None

    async def by_username(self, username: str) -> User | None:
        found = next((u for u in self._store.users.values() if u.username == username), None)
        return kept(found) if found else None

    async def of_agency(self, agency_id: UUID) -> list[User]:
        found = [u for u in self._store.users.values() if u.agency_id == agency_id]
        return [kept(u) for u in sorted(found, key=lambda u: u.username)]

    def add(self, user: User) -> None:
        self._staging.saw(user)

        def keep() -> None:
            user.changed.clear()
            self._store.users[user.id] = kept(user)

        self._staging.write(keep)

    def save(self, user: User) -> None:
        self.add(user)
