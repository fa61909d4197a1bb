"""Service accounts, API keys, refresh tokens, console sessions and sign-in attempt
counters in memory."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore, kept
from service.domain.console_sessions import ConsoleSession
from service.domain.identity import ApiKey, RefreshToken, ServiceAccount


class InMemoryServiceAccountRepository:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def get(self, account_id: UUID) -> ServiceAccount | None:
        found = self._store.service_accounts.get(account_id)
        return kept(found) if found else None

    async def by_name(self, agency_id: UUID, name: str) -> ServiceAccount | None:
        return next(
            (
                kept(a)
                for a in self._store.service_accounts.values()
                if a.agency_id == agency_id and a.name == name
            ),
            None,
        )

    async def of_agency(self, agency_id: UUID) -> list[ServiceAccount]:
        found = [a for a in self._store.service_accounts.values() if a.agency_id == agency_id]
        return [kept(a) for a in sorted(found, key=lambda a: a.name)]

    def add(self, account: ServiceAccount) -> None:
        self._staging.saw(account)
        self._staging.write(
            lambda: self._store.service_accounts.__setitem__(account.id, kept(account))
        )


class InMemoryApiKeyRepository:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def by_public_id(self, public_id: str) -> ApiKey | None:
        found = self._store.api_keys.get(public_id)
        return kept(found) if found else None

    async def of_accounts(self, account_ids: list[UUID]) -> list[ApiKey]:
        wanted = set(account_ids)
        found = [k for k in self._store.api_keys.values() if k.service_account_id in wanted]
        return [kept(k) for k in sorted(found, key=lambda k: (k.created_at, k.public_id))]

    def add(self, key: ApiKey) -> None:
        self.save(key)

    def save(self, key: ApiKey) -> None:
        self._staging.saw(key)
        self._staging.write(lambda: self._store.api_keys.__setitem__(key.public_id, kept(key)))


class InMemoryRefreshTokenRepository:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def by_digest(self, digest: str) -> RefreshToken | None:
        found = self._store.refresh_tokens.get(digest)
        if found is None:
            return None
        revoked = [
            t.revoked_at
            for t in self._store.refresh_tokens.values()
            if t.family_id == found.family_id and t.revoked_at is not None
        ]
        return dataclasses.replace(found, revoked_at=found.revoked_at or min(revoked, default=None))

    def add(self, token: RefreshToken) -> None:
        copy = dataclasses.replace(token)
        self._staging.write(lambda: self._store.refresh_tokens.__setitem__(copy.digest, copy))

    async def use(self, token_id: UUID, *, at: datetime) -> bool:
        for token in self._store.refresh_tokens.values():
            if token.id == token_id and token.used_at is None:
                token.used_at = at
                return True
        return False

    def revoke_family(self, family_id: UUID, *, at: datetime) -> None:
        def revoke() -> None:
            for token in self._store.refresh_tokens.values():
                if token.family_id == family_id and token.revoked_at is None:
                    token.revoked_at = at

        self._staging.write(revoke)

    def revoke_user(self, user_id: UUID, *, at: datetime) -> None:
        def revoke() -> None:
            for token in self._store.refresh_tokens.values():
                if token.user_id == user_id and token.revoked_at is None:
                    token.revoked_at = at

        self._staging.write(revoke)


class InMemoryConsoleSessions:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def by_digest(self, digest: str) -> ConsoleSession | None:
        found = self._store.console_sessions.get(digest)
        return dataclasses.replace(found) if found else None

    def add(self, session: ConsoleSession) -> None:
        copy = dataclasses.replace(session)
        self._staging.write(lambda: self._store.console_sessions.__setitem__(copy.digest, copy))

    def touch(self, session_id: UUID, *, at: datetime) -> None:
        def touch() -> None:
            for session in self._store.console_sessions.values():
                if session.id == session_id:
                    session.last_seen_at = max(session.last_seen_at, at)

        self._staging.write(touch)

    def end(self, session_id: UUID, *, at: datetime) -> None:
        def end() -> None:
            for session in self._store.console_sessions.values():
                if session.id == session_id and session.ended_at is None:
                    session.ended_at = at

        self._staging.write(end)

    async def live_of_user(self, user_id: UUID) -> list[ConsoleSession]:
        return [
            dataclasses.replace(session)
            for session in self._store.console_sessions.values()
            if session.user_id == user_id and session.ended_at is None
        ]


class InMemorySignInAttempts:
    """Written at once, as the SQL counters are: a refused attempt must still count."""

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
