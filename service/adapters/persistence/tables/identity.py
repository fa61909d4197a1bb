"""Agencies, users, service accounts and their credentials; console sessions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime, json_document


class AgencyRow(SQLModel, table=True):
    __tablename__ = "agencies"

    id: UUID = Field(primary_key=True)
    name: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    country: str = Field(max_length=2)
    kind: str = Field(max_length=32)
    created_at: datetime = Field(sa_type=UtcDateTime)
    peer: str | None = Field(default=None, max_length=64)


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: UUID = Field(primary_key=True)
    agency_id: UUID = Field(foreign_key="agencies.id", index=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    display_name: str = Field(max_length=200)
    roles: list[str] = Field(sa_type=json_document())
    password_hash: str = Field(max_length=200)
    disabled: bool
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    language: str | None = Field(default=None, max_length=8)
    time_zone: str | None = Field(default=None, max_length=64)
    networks_seen_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ServiceAccountRow(SQLModel, table=True):
    __tablename__ = "service_accounts"
    __table_args__ = (sa.UniqueConstraint("agency_id", "name"),)

    id: UUID = Field(primary_key=True)
    agency_id: UUID = Field(foreign_key="agencies.id")
    name: str = Field(max_length=200)
    scopes: list[str] = Field(sa_type=json_document())
    disabled: bool
    created_at: datetime = Field(sa_type=UtcDateTime)


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: UUID = Field(primary_key=True)
    service_account_id: UUID = Field(foreign_key="service_accounts.id", index=True)
    public_id: str = Field(max_length=32, sa_column_kwargs={"unique": True})
    secret_digest: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime)
    created_by: UUID | None = None
    last_used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class RefreshTokenRow(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: UUID = Field(primary_key=True)
    user_id: UUID = Field(foreign_key="users.id")
    family_id: UUID = Field(index=True)
    digest: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    issued_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class SignInFailureRow(SQLModel, table=True):
    """Failed sign-ins per key: `account:<username>` or `address:<ip>`."""

    __tablename__ = "sign_in_failures"

    key: str = Field(primary_key=True, max_length=300)
    failures: int
    window_started_at: datetime = Field(sa_type=UtcDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ConsoleSessionRow(SQLModel, table=True):
    """A console session; the cookie holds a secret, the row only its digest."""

    __tablename__ = "console_sessions"

    id: UUID = Field(primary_key=True)
    user_id: UUID = Field(foreign_key="users.id", index=True)
    digest: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    started_at: datetime = Field(sa_type=UtcDateTime)
    last_seen_at: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    address: str | None = Field(default=None, max_length=64)


agencies = AgencyRow.__table__  # type: ignore[attr-defined]
users = UserRow.__table__  # type: ignore[attr-defined]
service_accounts = ServiceAccountRow.__table__  # type: ignore[attr-defined]
api_keys = ApiKeyRow.__table__  # type: ignore[attr-defined]
refresh_tokens = RefreshTokenRow.__table__  # type: ignore[attr-defined]
sign_in_failures = SignInFailureRow.__table__  # type: ignore[attr-defined]
console_sessions = ConsoleSessionRow.__table__  # type: ignore[attr-defined]
