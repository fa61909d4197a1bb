"""Agencies and users in SQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row, Stage
from service.adapters.persistence.sql import Query
from service.adapters.persistence.writes import InsertRows, UpdateRow
from service.domain.access import Role
from service.domain.identity import Agency, AgencyKind, User

_AGENCY_BY_ID = Query(
    lambda _: sa.select(tables.agencies).where(tables.agencies.c.id == sa.bindparam("id"))
)
_AGENCY_BY_NAME = Query(
    lambda _: sa.select(tables.agencies).where(tables.agencies.c.name == sa.bindparam("name"))
)
_ALL_AGENCIES = Query(lambda _: sa.select(tables.agencies).order_by(tables.agencies.c.name))
_USER_BY_ID = Query(
    lambda _: sa.select(tables.users).where(tables.users.c.id == sa.bindparam("id"))
)
_USER_BY_USERNAME = Query(
    lambda _: sa.select(tables.users).where(tables.users.c.username == sa.bindparam("username"))
)

_USERS_OF_AGENCY = Query(
    lambda _: (
        sa.select(tables.users)
        .where(tables.users.c.agency_id == sa.bindparam("agency_id"))
        .order_by(tables.users.c.username)
    )
)


class SqlAgencyRepository:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def get(self, agency_id: UUID) -> Agency | None:
        rows = await (await self._connect()).fetch(_AGENCY_BY_ID, id=agency_id)
        return _agency(rows[0]) if rows else None

    async def by_name(self, name: str) -> Agency | None:
        rows = await (await self._connect()).fetch(_AGENCY_BY_NAME, name=name)
        return _agency(rows[0]) if rows else None

    async def all(self) -> list[Agency]:
        return [_agency(row) for row in await (await self._connect()).fetch(_ALL_AGENCIES)]

    def add(self, agency: Agency) -> None:
        values = {
            "id": agency.id,
            "name": agency.name,
            "country": agency.country,
            "kind": agency.kind.value,
            "created_at": agency.created_at,
            "peer": agency.peer,
        }
        self._stage([InsertRows(tables.agencies, [values])])
        self._stage.saw(agency)


def _agency(row: Row) -> Agency:
    return Agency(
        id=row["id"],
        name=row["name"],
        country=row["country"],
        kind=AgencyKind(row["kind"]),
        created_at=row["created_at"],
        peer=row["peer"],
    )


class SqlUserRepository:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def get(self, user_id: UUID) -> User | None:
        rows = await (await self._connect()).fetch(_USER_BY_ID, id=user_id)
        return _user(rows[0]) if rows else None

    async def by_username(self, username: str) -> User | None:
        rows = await (await self._connect()).fetch(_USER_BY_USERNAME, username=username)
        return _user(rows[0]) if rows else None

    async def of_agency(self, agency_id: UUID) -> list[User]:
        rows = await (await self._connect()).fetch(_USERS_OF_AGENCY, agency_id=agency_id)
        return [_user(row) for row in rows]

    def add(self, user: User) -> None:
        self._stage([InsertRows(tables.users, [_user_values(user)])])
        self._stage.saw(user)

    def save(self, user: User) -> None:
        values = _user_values(user)
        changed = {name: values[name] for name in sorted(user.changed)}
        if changed:
            changed["updated_at"] = user.updated_at
            self._stage([UpdateRow(tables.users, key={"id": user.id}, values=changed)])
        user.changed.clear()
        self._stage.saw(user)


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
        "language": user.language,
        "time_zone": user.time_zone,
        "networks_seen_at": user.networks_seen_at,
    }


def _user(row: Row) -> User:
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
        language=row["language"],
        time_zone=row["time_zone"],
        networks_seen_at=row["networks_seen_at"],
    )
