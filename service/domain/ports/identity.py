"""Agencies, users, service accounts and their credentials; tokens and secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from service.domain.access import Actor, ActorKind
from service.domain.console_sessions import ConsoleSession
from service.domain.identity import Agency, ApiKey, RefreshToken, ServiceAccount, User


class AgencyRepository(Protocol):
    async def get(self, agency_id: UUID) -> Agency | None: ...

    async def by_name(self, name: str) -> Agency | None: ...

    async def all(self) -> list[Agency]: ...

    def add(self, agency: Agency) -> None: ...


class UserRepository(Protocol):
    async def get(self, user_id: UUID) -> User | None: ...

    async def by_username(self, username: str) -> User | None: ...

    async def of_agency(self, agency_id: UUID) -> list[User]:
        """The agency's people, by username."""
        ...

    def add(self, user: User) -> None: ...

    def save(self, user: User) -> None:
        """Stage the fields the user recorded as changed."""


class ServiceAccountRepository(Protocol):
    async def get(self, account_id: UUID) -> ServiceAccount | None: ...

    async def by_name(self, agency_id: UUID, name: str) -> ServiceAccount | None: ...

    async def of_agency(self, agency_id: UUID) -> list[ServiceAccount]:
        """The agency's integrations, by name."""
        ...

    def add(self, account: ServiceAccount) -> None: ...


class ApiKeyRepository(Protocol):
    async def by_public_id(self, public_id: str) -> ApiKey | None: ...

    async def of_accounts(self, account_ids: list[UUID]) -> list[ApiKey]:
        """The keys of these service accounts, oldest first."""
        ...

    def add(self, key: ApiKey) -> None: ...

    def save(self, key: ApiKey) -> None:
        """Stage its last use or revocation."""


class RefreshTokenRepository(Protocol):
    async def by_digest(self, digest: str) -> RefreshToken | None:
        """The token, revoked if any token of its family was (a family is revoked
        whole, including tokens issued while it was being revoked)."""
        ...

    def add(self, token: RefreshToken) -> None: ...

    async def use(self, token_id: UUID, *, at: datetime) -> bool:
        """Mark the token used, at once, if it was not used yet; whether this call used
        it (of two presenting it together, exactly one does)."""
        ...

    def revoke_family(self, family_id: UUID, *, at: datetime) -> None:
        """Stage revoking every token of a family not revoked yet."""

    def revoke_user(self, user_id: UUID, *, at: datetime) -> None:
        """Stage revoking every token of the user not revoked yet (a new password)."""


class ConsoleSessions(Protocol):
    async def by_digest(self, digest: str) -> ConsoleSession | None: ...

    def add(self, session: ConsoleSession) -> None: ...

    def touch(self, session_id: UUID, *, at: datetime) -> None:
        """Stage recording a use of the session."""

    def end(self, session_id: UUID, *, at: datetime) -> None:
        """Stage ending the session, if it has not ended."""

    async def live_of_user(self, user_id: UUID) -> list[ConsoleSession]:
        """The user's sessions that have not been ended (idle ones included)."""
        ...


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
    `credential_id` is the API key a service account's token was issued for;
    `session_id` the sign-in a person's token was issued from (its refresh tokens'
    family), which signing out or a stolen refresh token ends."""

    actor_id: UUID
    kind: ActorKind
    credential_id: UUID | None = None
    session_id: UUID | None = None


class ActorDirectory(Protocol):
    """Who a verified token speaks for, as they are now."""

    async def active_actor(self, subject: TokenSubject) -> Actor | None:
        """The actor with their current roles, or None if unknown or disabled."""
        ...

    def forget(self, actor_id: UUID) -> None:
        """Drop anything remembered about an actor who was just changed here."""


class TokenService(Protocol):
    def issue(
        self,
        actor: Actor,
        *,
        now: datetime,
        credential_id: UUID | None = None,
        session_id: UUID | None = None,
    ) -> IssuedToken: ...

    def verify(self, token: str, *, now: datetime) -> TokenSubject:
        """The subject of a valid token; raises Unauthenticated otherwise."""
        ...
