"""Agencies and the people who work for them."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Final
from uuid import UUID
from zoneinfo import available_timezones

from service.domain.access import Actor, ActorKind, Role, Scope
from service.domain.choices import choose
from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.events import (
    AgencyRegistered,
    ApiKeyIssued,
    ApiKeyRevoked,
    DomainEvent,
    PasswordChanged,
    PreferencesChanged,
    RolesChanged,
    ServiceAccountRegistered,
    UserDisabled,
    UserRegistered,
)
from service.domain.geography import check_country
from service.domain.text import check_text

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
MIN_PASSWORD_LENGTH: Final = 12

# The languages people work in here: INTERPOL's working languages.
LANGUAGES: Final = ("en", "fr", "es", "ar")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


PEER_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


class AgencyKind(StrEnum):
    POLICE = "police"
    CUSTOMS = "customs"
    GENDARMERIE = "gendarmerie"
    NATIONAL_TRACING_CENTRE = "national_tracing_centre"
    PROSECUTION = "prosecution"
    MILITARY = "military"
    REGISTRY = "registry"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Agency:
    id: UUID
    name: str
    country: str
    kind: AgencyKind
    created_at: datetime
    # The tracedesk instance the agency works on, when it is not this one: requests to
    # it travel there (see federation).
    peer: str | None = None
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def register(
        cls,
        *,
        agency_id: UUID,
        name: str,
        country: str,
        kind: str,
        now: datetime,
        peer: str | None = None,
        by: Actor | None = None,
    ) -> Agency:
        """A new agency; `by` None: an operator at the console."""
        problems = ValidationCollector()
        if peer is not None and not PEER_NAME.fullmatch(peer):
            problems.add(InvalidValue("peer", "a peer's configured name: letters, digits, - and _"))
        try:
            check_text(name, "name", max_length=200)
        except InvalidValue as error:
            problems.add(error)
        try:
            check_country(country, "country")
        except InvalidValue as error:
            problems.add(error)
        try:
            agency_kind = choose(AgencyKind, kind, "kind")
        except InvalidValue as error:
            problems.add(error)
        problems.raise_if_any()
        agency = cls(
            id=agency_id,
            name=name.strip(),
            country=country,
            kind=agency_kind,
            created_at=now,
            peer=peer,
        )
        agency.events.append(AgencyRegistered(agency, by))
        return agency


def normalize_username(username: str) -> str:
    return username.strip().lower()


@dataclass
class User:
    id: UUID
    agency_id: UUID
    username: str
    display_name: str
    roles: frozenset[Role]
    password_hash: str
    disabled: bool
    created_at: datetime
    updated_at: datetime
    # Chosen by the person; None: the browser's language, and UTC.
    language: str | None = None
    time_zone: str | None = None
    # When they last looked at their agency's case networks, to show what grew since.
    networks_seen_at: datetime | None = None
    changed: set[str] = field(default_factory=set, compare=False, repr=False)
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def register(
        cls,
        *,
        user_id: UUID,
        agency_id: UUID,
        username: str,
        display_name: str,
        roles: list[str],
        password_hash: str,
        now: datetime,
        by: Actor | None = None,
    ) -> User:
        problems = ValidationCollector()
        for problem in cls.problems_of_new(username, display_name, roles):
            problems.add(problem)
        problems.raise_if_any()
        login = normalize_username(username)
        chosen = {Role(role) for role in roles}
        user = cls(
            id=user_id,
            agency_id=agency_id,
            username=login,
            display_name=display_name,
            roles=frozenset(chosen),
            password_hash=password_hash,
            disabled=False,
            created_at=now,
            updated_at=now,
        )
        user.events.append(UserRegistered(user, by))
        return user

    @staticmethod
    def problems_of_new(username: str, display_name: str, roles: list[str]) -> list[InvalidValue]:
        """What is wrong with a new person's name, display name and roles."""
        problems: list[InvalidValue] = []
        if not _USERNAME.match(normalize_username(username)):
            problems.append(
                InvalidValue(
                    "username",
                    "3-64 characters: letters, digits and . _ @ -, starting alphanumeric",
                )
            )
        try:
            check_text(display_name, "display_name", max_length=200)
        except InvalidValue as error:
            problems.append(error)
        for index, role in enumerate(roles):
            try:
                choose(Role, role, f"roles.{index}")
            except InvalidValue as error:
                problems.append(error)
        if not roles:
            problems.append(InvalidValue("roles", "a user needs at least one role"))
        return problems

    def as_actor(self) -> Actor:
        return Actor(id=self.id, kind=ActorKind.USER, agency_id=self.agency_id, roles=self.roles)

    def disable(self, now: datetime, *, by: Actor | None, reason: str | None) -> None:
        _check_reason(reason)
        self.disabled = True
        self.updated_at = now
        self.changed.add("disabled")
        self.events.append(UserDisabled(self.id, by, reason))

    def change_roles(self, roles: list[str], *, now: datetime, by: Actor | None) -> None:
        """Give the person other roles (at least one)."""
        problems = ValidationCollector()
        chosen: set[Role] = set()
        for index, role in enumerate(roles):
            try:
                chosen.add(choose(Role, role, f"roles.{index}"))
            except InvalidValue as error:
                problems.add(error)
        if not roles:
            problems.add(InvalidValue("roles", "a user needs at least one role"))
        problems.raise_if_any()
        if frozenset(chosen) == self.roles:
            return
        before = self.roles
        self.roles = frozenset(chosen)
        self.updated_at = now
        self.changed.add("roles")
        self.events.append(
            RolesChanged(
                self.id, by, frozenset(r.value for r in before), frozenset(r.value for r in chosen)
            )
        )

    def change_password(self, password_hash: str, now: datetime) -> None:
        """The person chose a new password (checked with `check_new_password` first)."""
        self.password_hash = password_hash
        self.updated_at = now
        self.changed.add("password_hash")
        self.events.append(PasswordChanged(self.id, self.as_actor()))

    def choose_preferences(
        self, *, language: str | None, time_zone: str | None, now: datetime
    ) -> None:
        """How the person reads the service: a language of LANGUAGES and an IANA time
        zone, either None for the default."""
        problems = ValidationCollector()
        if language is not None and language not in LANGUAGES:
            problems.add(InvalidValue("language", f"must be one of {', '.join(LANGUAGES)}"))
        if time_zone is not None and time_zone not in _time_zones():
            problems.add(InvalidValue("time_zone", "must be an IANA time zone, e.g. Europe/Paris"))
        problems.raise_if_any()
        before = {"language": self.language, "time_zone": self.time_zone}
        after = {"language": language, "time_zone": time_zone}
        if before == after:
            return
        self.language, self.time_zone = language, time_zone
        self.updated_at = now
        self.changed |= {"language", "time_zone"}
        self.events.append(PreferencesChanged(self.id, self.as_actor(), before, after))

    def looked_at_networks(self, now: datetime) -> None:
        """A mark for the person's own reading, not a change to audit."""
        self.networks_seen_at = now
        self.changed.add("networks_seen_at")


def check_new_password(password: str) -> None:
    """Length is what makes a password strong; composition rules only annoy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise InvalidValue("password", "must be at most 1024 characters")


@dataclass
class ServiceAccount:
    """An integration (a national registry, a lab system, another agency's instance)
    acting for one agency, limited to its scopes, through API keys."""

    id: UUID
    agency_id: UUID
    name: str
    scopes: frozenset[Scope]
    disabled: bool
    created_at: datetime
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def register(
        cls,
        *,
        account_id: UUID,
        agency_id: UUID,
        name: str,
        scopes: list[str],
        now: datetime,
        by: Actor | None = None,
    ) -> ServiceAccount:
        problems = ValidationCollector()
        try:
            check_text(name, "name", max_length=200)
        except InvalidValue as error:
            problems.add(error)
        chosen: set[Scope] = set()
        for index, scope in enumerate(scopes):
            try:
                chosen.add(choose(Scope, scope, f"scopes.{index}"))
            except InvalidValue as error:
                problems.add(error)
        if not scopes:
            problems.add(InvalidValue("scopes", "a service account needs at least one scope"))
        problems.raise_if_any()
        account = cls(
            id=account_id,
            agency_id=agency_id,
            name=name,
            scopes=frozenset(chosen),
            disabled=False,
            created_at=now,
        )
        account.events.append(ServiceAccountRegistered(account, by))
        return account

    def as_actor(self) -> Actor:
        return Actor(
            id=self.id, kind=ActorKind.SERVICE_ACCOUNT, agency_id=self.agency_id, scopes=self.scopes
        )


API_KEY_PREFIX: Final = "tdk_"


def secret_digest(secret: str) -> str:
    """How secrets that are long random strings are stored: SHA-256, hex. (A slow hash is
    for passwords people choose; 256 random bits need none.)"""
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_match(secret: str, digest: str) -> bool:
    return hmac.compare_digest(secret_digest(secret), digest)


@dataclass
class ApiKey:
    """A credential of a service account. Its public id (the visible prefix) names it;
    its secret is shown once at creation and stored only as a digest."""

    id: UUID
    service_account_id: UUID
    public_id: str
    secret_digest: str
    created_at: datetime
    created_by: UUID | None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def issue(
        cls,
        *,
        key_id: UUID,
        service_account_id: UUID,
        public_id: str,
        secret_digest: str,
        now: datetime,
        by: Actor | None,
    ) -> ApiKey:
        key = cls(
            id=key_id,
            service_account_id=service_account_id,
            public_id=public_id,
            secret_digest=secret_digest,
            created_at=now,
            created_by=by.id if by else None,
        )
        key.events.append(ApiKeyIssued(key, by))
        return key

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, now: datetime, *, by: Actor | None, reason: str | None) -> None:
        """Revoke the key; revoking it again changes nothing."""
        _check_reason(reason)
        if self.revoked_at is None:
            self.revoked_at = now
            self.events.append(ApiKeyRevoked(self, by, reason))


@dataclass
class RefreshToken:
    """A long-lived, single-use credential to get new access tokens without a password.

    Each use replaces it by a new one of the same family. A token presented twice means
    someone copied it: the whole family is revoked."""

    id: UUID
    user_id: UUID
    family_id: UUID
    digest: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How failed sign-ins slow down guessing. Past `limit` failures within `window` for
    one key (an account, an address), the key is locked, each extra failure doubling
    the lock, up to `max_lock`. Short locks keep an attacker from locking a person out
    for long; the per-address limit stops one source trying many accounts."""

    account_limit: int = 5
    address_limit: int = 20
    window: timedelta = timedelta(minutes=15)
    first_lock: timedelta = timedelta(minutes=1)
    max_lock: timedelta = timedelta(hours=1)

    def lock_for(self, failures: int, limit: int) -> timedelta | None:
        if failures < limit:
            return None
        lock: timedelta = self.first_lock * (2 ** min(failures - limit, 20))
        return min(lock, self.max_lock)


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    refresh_lifetime: timedelta = timedelta(days=14)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    # A console session ends after this long without a request, and after `lifetime`
    # whatever happens: a shared terminal left signed in does not stay open for long.
    session_idle: timedelta = timedelta(minutes=30)
    session_lifetime: timedelta = timedelta(hours=12)


# Why an account or a key was stopped goes into the audit trail, which keeps everything
# forever: bounded as every other reason is.
MAX_REASON: Final = 4000


def _check_reason(reason: str | None) -> None:
    if reason is not None:
        check_text(reason, "reason", max_length=MAX_REASON, multiline=True, required=False)
