"""Agencies and the people who work for them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from service.domain.access import Actor, ActorKind, Role
from service.domain.choices import choose
from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.geography import check_country
from service.domain.text import check_text

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
MIN_PASSWORD_LENGTH: Final = 12


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

    @classmethod
    def register(
        cls, *, agency_id: UUID, name: str, country: str, kind: str, now: datetime
    ) -> Agency:
        problems = ValidationCollector()
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
        return cls(
            id=agency_id, name=name.strip(), country=country, kind=agency_kind, created_at=now
        )


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
    changed: set[str] = field(default_factory=set, compare=False, repr=False)

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
    ) -> User:
        problems = ValidationCollector()
        login = normalize_username(username)
        if not _USERNAME.match(login):
            problems.add(
                InvalidValue(
                    "username",
                    "3-64 characters: letters, digits and . _ @ -, starting alphanumeric",
                )
            )
        try:
            check_text(display_name, "display_name", max_length=200)
        except InvalidValue as error:
            problems.add(error)
        chosen: set[Role] = set()
        for index, role in enumerate(roles):
            try:
                chosen.add(choose(Role, role, f"roles.{index}"))
            except InvalidValue as error:
                problems.add(error)
        if not roles:
            problems.add(InvalidValue("roles", "a user needs at least one role"))
        problems.raise_if_any()
        return cls(
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

    def as_actor(self) -> Actor:
        return Actor(id=self.id, kind=ActorKind.USER, agency_id=self.agency_id, roles=self.roles)

    def disable(self, now: datetime) -> None:
        self.disabled = True
        self.updated_at = now
        self.changed.add("disabled")


def check_new_password(password: str) -> None:
    """Length is what makes a password strong; composition rules only annoy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise InvalidValue("password", "must be at most 1024 characters")
