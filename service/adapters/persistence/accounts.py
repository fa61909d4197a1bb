"""Agencies and users in SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.persistence import tables
from service.adapters.persistence.writes import InsertRows, RowOperation, UpdateRow
from service.domain.access import Role
from service.domain.identity import Agency, AgencyKind, User


class SqlAgencyRepository:
    def __init__(
        self, connection: Callable[[], Any], stage: Callable[[list[RowOperation]], None]
    ) -> None:
        self._connection = connection
        self._stage = stage

    async def _one(self, condition: sa.ColumnElement[bool]) -> Agency | None:
        connection: AsyncConnection = await self._connection()
        row = (
            (await connection.execute(sa.select(tables.agencies).where(condition)))
            .mappings()
            .first()
        )
        return _agency(row) if row else None

    async def get(self, agency_id: UUID) -> Agency | None:
        return await self._one(tables.agencies.c.id == agency_id)

    async def by_name(self, name: str) -> Agency | None:
        return await self._one(tables.agencies.c.name == name)

    async def all(self) -> list[Agency]:
        connection: AsyncConnection = await self._connection()
        statement = sa.select(tables.agencies).order_by(tables.agencies.c.name)
        return [_agency(r) for r in (await connection.execute(statement)).mappings()]

    def add(self, agency: Agency) -> None:
        self._stage(
            [
                InsertRows(
                    tables.agencies,
                    [
                        {
                            "id": agency.id,
                            "name": agency.name,
                            "country": agency.country,
                            "kind": agency.kind.value,
                            "created_at": agency.created_at,
                        }
                    ],
                )
            ]
        )


def _agency(row: sa.RowMapping) -> Agency:
    return Agency(
        id=row["id"],
        name=row["name"],
        country=row["country"],
        kind=AgencyKind(row["kind"]),
        created_at=row["created_at"],
    )


class SqlUserRepository:
    def __init__(
        self, connection: Callable[[], Any], stage: Callable[[list[RowOperation]], None]
    ) -> None:
        self._connection = connection
        self._stage = stage

    async def _one(self, condition: sa.ColumnElement[bool]) -> User | None:
        connection: AsyncConnection = await self._connection()
        row = (
            (await connection.execute(sa.select(tables.users).where(condition))).mappings().first()
        )
        return _user(row) if row else None

    async def get(self, user_id: UUID) -> User | None:
        return await self._one(tables.users.c.id == user_id)

    async def by_username(self, username: str) -> User | None:
        return await self._one(tables.users.c.username == username)

    def add(self, user: User) -> None:
        self._stage([InsertRows(tables.users, [_user_values(user)])])

    def save(self, user: User) -> None:
        values = _user_values(user)
        changed = {name: values[name] for name in sorted(user.changed)}
        if changed:
            changed["updated_at"] = user.updated_at
            self._stage([UpdateRow(tables.users, key={"id": user.id}, values=changed)])
        user.changed.clear()


def _user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "agency_id": user.agency_id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(role.value for role in user.roles),
        "password_hash": user.password_hash,
        "disabled": user.disabled,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _user(row: sa.RowMapping) -> User:
    return User(
        id=row["id"],
        agency_id=row["agency_id"],
        username=row["username"],
        display_name=row["display_name"],
        roles=frozenset(Role(r) for r in row["roles"]),
        password_hash=row["password_hash"],
        disabled=row["disabled"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
