"""Service accounts, API keys, refresh tokens, console sessions and sign-in failure
counters in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row, Stage
from service.adapters.persistence.sql import POSTGRES, Query, Statement, one_of
from service.adapters.persistence.types import UtcDateTime
from service.adapters.persistence.writes import InsertRows, UpdateRow
from service.domain.access import Scope
from service.domain.console_sessions import ConsoleSession
from service.domain.identity import ApiKey, RefreshToken, ServiceAccount

_ACCOUNT_BY_ID = Query(
    lambda _: sa.select(tables.service_accounts).where(
        tables.service_accounts.c.id == sa.bindparam("id")
    )
)
_ACCOUNT_BY_NAME = Query(
    lambda _: sa.select(tables.service_accounts).where(
        tables.service_accounts.c.agency_id == sa.bindparam("agency_id"),
        tables.service_accounts.c.name == sa.bindparam("name"),
    )
)
_ACCOUNTS_OF_AGENCY = Query(
    lambda _: (
        sa.select(tables.service_accounts)
        .where(tables.service_accounts.c.agency_id == sa.bindparam("agency_id"))
        .order_by(tables.service_accounts.c.name)
    )
)
_KEYS_OF_ACCOUNTS = Query(
    lambda dialect: (
        sa.select(tables.api_keys)
        .where(one_of(tables.api_keys.c.service_account_id, "account_ids", dialect))
        .order_by(tables.api_keys.c.created_at, tables.api_keys.c.public_id)
    )
)
_KEY_BY_PUBLIC_ID = Query(
    lambda _: sa.select(tables.api_keys).where(
        tables.api_keys.c.public_id == sa.bindparam("public_id")
    )
)


def _refresh_by_digest(_: str) -> Statement:
    token, family = tables.refresh_tokens, tables.refresh_tokens.alias("family")
    family_revoked = (
        sa.select(sa.func.min(family.c.revoked_at))
        .where(family.c.family_id == token.c.family_id)
        .scalar_subquery()
    )
    columns = [c for c in token.c if c.name != "revoked_at"]
    return sa.select(
        *columns, sa.func.coalesce(token.c.revoked_at, family_revoked).label("revoked_at")
    ).where(token.c.digest == sa.bindparam("digest"))


_REFRESH_BY_DIGEST = Query(_refresh_by_digest)
_USE_REFRESH = Query(
    lambda _: (
        sa.update(tables.refresh_tokens)
        .where(
            tables.refresh_tokens.c.id == sa.bindparam("token_id", type_=sa.Uuid()),
            tables.refresh_tokens.c.used_at.is_(None),
        )
        .values(used_at=sa.bindparam("at", type_=UtcDateTime()))
        .returning(tables.refresh_tokens.c.id)
    )
)


class SqlServiceAccountRepository:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def get(self, account_id: UUID) -> ServiceAccount | None:
        rows = await (await self._connect()).fetch(_ACCOUNT_BY_ID, id=account_id)
        return _account(rows[0]) if rows else None

    async def by_name(self, agency_id: UUID, name: str) -> ServiceAccount | None:
        rows = await (await self._connect()).fetch(_ACCOUNT_BY_NAME, agency_id=agency_id, name=name)
        return _account(rows[0]) if rows else None

    async def of_agency(self, agency_id: UUID) -> list[ServiceAccount]:
        rows = await (await self._connect()).fetch(_ACCOUNTS_OF_AGENCY, agency_id=agency_id)
        return [_account(row) for row in rows]

    def add(self, account: ServiceAccount) -> None:
        values = {
            "id": account.id,
            "agency_id": account.agency_id,
            "name": account.name,
            "scopes": sorted(scope.value for scope in account.scopes),
            "disabled": account.disabled,
            "created_at": account.created_at,
        }
        self._stage([InsertRows(tables.service_accounts, [values])])
        self._stage.saw(account)


def _account(row: Row) -> ServiceAccount:
    return ServiceAccount(
        id=row["id"],
        agency_id=row["agency_id"],
        name=row["name"],
        scopes=frozenset(Scope(s) for s in row["scopes"]),
        disabled=row["disabled"],
        created_at=row["created_at"],
    )


class SqlApiKeyRepository:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def by_public_id(self, public_id: str) -> ApiKey | None:
        rows = await (await self._connect()).fetch(_KEY_BY_PUBLIC_ID, public_id=public_id)
        return _key(rows[0]) if rows else None

    async def of_accounts(self, account_ids: list[UUID]) -> list[ApiKey]:
        if not account_ids:
            return []
        rows = await (await self._connect()).fetch(_KEYS_OF_ACCOUNTS, account_ids=account_ids)
        return [_key(row) for row in rows]

    def add(self, key: ApiKey) -> None:
        values = {
            "id": key.id,
            "service_account_id": key.service_account_id,
            "public_id": key.public_id,
            "secret_digest": key.secret_digest,
            "created_at": key.created_at,
            "created_by": key.created_by,
            "last_used_at": key.last_used_at,
            "revoked_at": key.revoked_at,
        }
        self._stage([InsertRows(tables.api_keys, [values])])
        self._stage.saw(key)

    def save(self, key: ApiKey) -> None:
        self._stage(
            [
                UpdateRow(
                    tables.api_keys,
                    key={"id": key.id},
                    values={"last_used_at": key.last_used_at, "revoked_at": key.revoked_at},
                )
            ]
        )
        self._stage.saw(key)


def _key(row: Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        service_account_id=row["service_account_id"],
        public_id=row["public_id"],
        secret_digest=row["secret_digest"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


class SqlRefreshTokenRepository:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def by_digest(self, digest: str) -> RefreshToken | None:
        rows = await (await self._connect()).fetch(_REFRESH_BY_DIGEST, digest=digest)
        return _refresh(rows[0]) if rows else None

    def add(self, token: RefreshToken) -> None:
        values = {
            "id": token.id,
            "user_id": token.user_id,
            "family_id": token.family_id,
            "digest": token.digest,
            "issued_at": token.issued_at,
            "expires_at": token.expires_at,
            "used_at": token.used_at,
            "revoked_at": token.revoked_at,
        }
        self._stage([InsertRows(tables.refresh_tokens, [values])])

    async def use(self, token_id: UUID, *, at: datetime) -> bool:
        return bool(await (await self._connect()).fetch(_USE_REFRESH, token_id=token_id, at=at))

    def revoke_family(self, family_id: UUID, *, at: datetime) -> None:
        self._stage(
            [
                UpdateRow(
                    tables.refresh_tokens,
                    key={"family_id": family_id},
                    values={"revoked_at": at},
                    still_null=("revoked_at",),
                    single=False,
                )
            ]
        )

    def revoke_user(self, user_id: UUID, *, at: datetime) -> None:
        self._stage(
            [
                UpdateRow(
                    tables.refresh_tokens,
                    key={"user_id": user_id},
                    values={"revoked_at": at},
                    still_null=("revoked_at",),
                    single=False,
                )
            ]
        )


def _refresh(row: Row) -> RefreshToken:
    return RefreshToken(
        id=row["id"],
        user_id=row["user_id"],
        family_id=row["family_id"],
        digest=row["digest"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
    )


_SESSION_BY_DIGEST = Query(
    lambda _: sa.select(tables.console_sessions).where(
        tables.console_sessions.c.digest == sa.bindparam("digest")
    )
)
_LIVE_SESSIONS_OF_USER = Query(
    lambda _: sa.select(tables.console_sessions).where(
        tables.console_sessions.c.user_id == sa.bindparam("user_id"),
        tables.console_sessions.c.ended_at.is_(None),
    )
)


class SqlConsoleSessions:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def by_digest(self, digest: str) -> ConsoleSession | None:
        rows = await (await self._connect()).fetch(_SESSION_BY_DIGEST, digest=digest)
        return _session(rows[0]) if rows else None

    def add(self, session: ConsoleSession) -> None:
        values = {
            "id": session.id,
            "user_id": session.user_id,
            "digest": session.digest,
            "started_at": session.started_at,
            "last_seen_at": session.last_seen_at,
            "ended_at": session.ended_at,
            "address": session.address,
        }
        self._stage([InsertRows(tables.console_sessions, [values])])

    def touch(self, session_id: UUID, *, at: datetime) -> None:
        self._stage(
            [
                UpdateRow(
                    tables.console_sessions,
                    key={"id": session_id},
                    values={"last_seen_at": at},
                    single=False,
                )
            ]
        )

    def end(self, session_id: UUID, *, at: datetime) -> None:
        self._stage(
            [
                UpdateRow(
                    tables.console_sessions,
                    key={"id": session_id},
                    values={"ended_at": at},
                    still_null=("ended_at",),
                    single=False,
                )
            ]
        )

    async def live_of_user(self, user_id: UUID) -> list[ConsoleSession]:
        rows = await (await self._connect()).fetch(_LIVE_SESSIONS_OF_USER, user_id=user_id)
        return [_session(row) for row in rows]


def _session(row: Row) -> ConsoleSession:
    return ConsoleSession(
        id=row["id"],
        user_id=row["user_id"],
        digest=row["digest"],
        started_at=row["started_at"],
        last_seen_at=row["last_seen_at"],
        ended_at=row["ended_at"],
        address=row["address"],
    )


def _begin(dialect: str) -> Statement:
    t = tables.sign_in_failures
    now = sa.bindparam("now", type_=UtcDateTime())
    hold = sa.bindparam("hold_until", type_=UtcDateTime())
    restart = t.c.window_started_at < sa.bindparam("window_start", type_=UtcDateTime())
    counted = sa.case((restart, 1), else_=t.c.failures + 1)
    insert: Any = (postgresql.insert if dialect == POSTGRES else sqlite.insert)(t)
    statement: Statement = (
        insert.values(
            key=sa.bindparam("attempt_key"),
            failures=1,
            window_started_at=now,
            locked_until=sa.bindparam("first_lock", type_=UtcDateTime()),
        )
        .on_conflict_do_update(
            index_elements=[t.c.key],
            set_={
                "failures": counted,
                "window_started_at": sa.case((restart, now), else_=t.c.window_started_at),
                "locked_until": sa.case(
                    (counted >= sa.bindparam("limit"), hold), else_=t.c.locked_until
                ),
            },
            # A locked key counts nothing: the statement changes no row, returns none.
            where=sa.or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
        )
        .returning(t.c.failures)
    )
    return statement


_BEGIN = Query(_begin)
_LOCKED_UNTIL = Query(
    lambda dialect: sa.select(
        sa.func.max(tables.sign_in_failures.c.locked_until).label("until")
    ).where(
        _one_of_keys(dialect),
        tables.sign_in_failures.c.locked_until > sa.bindparam("now", type_=UtcDateTime()),
    )
)
_LOCK = Query(
    lambda _: (
        sa.update(tables.sign_in_failures)
        .where(tables.sign_in_failures.c.key == sa.bindparam("attempt_key"))
        .values(locked_until=sa.bindparam("until", type_=UtcDateTime()))
        .returning(tables.sign_in_failures.c.key)
    )
)


def _release(unlock: bool) -> Query:
    t = tables.sign_in_failures
    values: dict[str, Any] = {"failures": sa.case((t.c.failures > 0, t.c.failures - 1), else_=0)}
    if unlock:
        values["locked_until"] = None
    return Query(
        lambda _: (
            sa.update(t)
            .where(t.c.key == sa.bindparam("attempt_key"))
            .values(**values)
            .returning(t.c.key)
        )
    )


_RELEASE = {unlock: _release(unlock) for unlock in (False, True)}
_CLEAR = Query(
    lambda _: (
        sa.delete(tables.sign_in_failures)
        .where(tables.sign_in_failures.c.key == sa.bindparam("attempt_key"))
        .returning(tables.sign_in_failures.c.key)
    )
)


def _one_of_keys(dialect: str) -> sa.ColumnElement[bool]:
    return one_of(tables.sign_in_failures.c.key, "keys", dialect)


class SqlSignInAttempts:
    def __init__(self, connect: Connect) -> None:
        self._connect = connect

    async def begin(
        self,
        key: str,
        *,
        now: datetime,
        window_start: datetime,
        limit: int,
        hold_until: datetime,
    ) -> int | None:
        rows = await (await self._connect()).fetch(
            _BEGIN,
            attempt_key=key,
            now=now,
            window_start=window_start,
            limit=limit,
            hold_until=hold_until,
            first_lock=hold_until if limit <= 1 else None,
        )
        return int(rows[0]["failures"]) if rows else None

    async def locked_until(self, keys: list[str], *, now: datetime) -> datetime | None:
        rows = await (await self._connect()).fetch(_LOCKED_UNTIL, keys=keys, now=now)
        until: datetime | None = rows[0]["until"] if rows else None
        if until is not None and until.tzinfo is None:  # SQLite aggregates lose the type
            until = UtcDateTime().process_result_value(until, sqlite.dialect())
        return until

    async def lock(self, key: str, *, until: datetime) -> None:
        await (await self._connect()).fetch(_LOCK, attempt_key=key, until=until)

    async def release(self, key: str, *, unlock: bool) -> None:
        await (await self._connect()).fetch(_RELEASE[unlock], attempt_key=key)

    async def clear(self, key: str) -> None:
        await (await self._connect()).fetch(_CLEAR, attempt_key=key)
