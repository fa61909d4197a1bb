"""Use cases for agencies, users, service accounts and signing in."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import structlog

from service import request_context
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.errors import Conflict, NotFound, Unauthenticated
from service.domain.events import (
    ClientCredentialsRefused,
    RefreshTokenReused,
    RefreshTokensRevoked,
    SignInAttempted,
)
from service.domain.identity import (
    API_KEY_PREFIX,
    Agency,
    ApiKey,
    RefreshToken,
    ServiceAccount,
    User,
    check_new_password,
    normalize_username,
    secret_digest,
    secrets_match,
)
from service.domain.ports.identity import IssuedToken
from service.domain.ports.unit_of_work import UnitOfWork
from service.sign_in_throttle import ThrottledAttempt

log = structlog.get_logger("tracedesk.accounts")


async def register_agency(
    *,
    deps: Dependencies,
    name: str,
    country: str,
    kind: str,
    actor: Actor | None = None,
    agency_id: UUID | None = None,
    peer: str | None = None,
) -> Agency:
    """Create an agency. `actor` is None for an operator at the console (bootstrap).

    An agency working on another tracedesk instance (`peer`) is registered with the id it
    has there, so both instances name it alike in the messages they exchange."""
    agency = Agency.register(
        agency_id=agency_id or deps.ids.new_id(),
        name=name,
        country=country,
        kind=kind,
        now=deps.clock.now(),
        peer=peer,
        by=actor,
    )
    async with deps.unit_of_work() as uow:
        if await uow.agencies.by_name(agency.name) is not None:
            raise Conflict(f"an agency named {agency.name!r} exists already")
        if await uow.agencies.get(agency.id) is not None:
            raise Conflict(f"an agency with id {agency.id} exists already")
        uow.agencies.add(agency)
        await uow.commit()
    return agency


async def register_user(
    *,
    deps: Dependencies,
    agency_id: UUID,
    username: str,
    display_name: str,
    roles: list[str],
    password: str,
    actor: Actor | None = None,
) -> User:
    check_new_password(password)
    user = User.register(
        user_id=deps.ids.new_id(),
        agency_id=agency_id,
        username=username,
        display_name=display_name,
        roles=roles,
        password_hash=await deps.passwords.hash(password),
        now=deps.clock.now(),
        by=actor,
    )
    async with deps.unit_of_work() as uow:
        if await uow.agencies.get(agency_id) is None:
            raise NotFound("agency", str(agency_id))
        if await uow.users.by_username(user.username) is not None:
            raise Conflict(f"the username {user.username!r} is taken")
        uow.users.add(user)
        await uow.commit()
    return user


@dataclass(frozen=True, slots=True)
class SignedIn:
    actor: Actor
    access: IssuedToken
    refresh: str | None = None  # shown once; stored only as a digest


async def sign_in(*, deps: Dependencies, username: str, password: str) -> SignedIn:
    """Exchange a username and password for an access token and a refresh token."""
    user = await signed_in_user(deps=deps, username=username, password=password)
    now = deps.clock.now()
    session = deps.ids.new_id()  # the sign-in: its refresh tokens' family
    async with deps.unit_of_work() as uow:
        refresh = _new_refresh_token(deps, uow, user.id, family_id=session)
        uow.record(SignInAttempted(user.username, user, succeeded=True, address=_address()))
        await uow.commit()
    actor = user.as_actor()
    access = deps.tokens.issue(actor, now=now, session_id=session)
    return SignedIn(actor=actor, access=access, refresh=refresh)


async def signed_in_user(*, deps: Dependencies, username: str, password: str) -> User:
    """The active user a username and password prove, for the API and the console alike;
    the caller records the success with what it grants.

    Every failure answers the same, whatever went wrong, so the answer does not reveal
    which names exist. Attempts are counted per account and per address before the
    password is checked; past the limits, sign-in is paused for them (TooManyAttempts)
    for a time that doubles with each further failure."""
    login = normalize_username(username)
    policy = deps.security.throttle
    # The address first: while it is paused, no counter is made for each name it tries.
    limits = _address_limit(deps) | {f"account:{login}": policy.account_limit}
    async with ThrottledAttempt(deps, limits) as attempt:
        async with deps.unit_of_work() as uow:
            user = await uow.users.by_username(login)
        # An unknown name is checked against a decoy hash: same time, same answer.
        password_ok = await deps.passwords.verify(user.password_hash if user else None, password)
        if user is None or not password_ok or user.disabled:
            log.info("sign-in refused", known_user=user is not None)
            async with deps.unit_of_work() as uow:
                uow.record(SignInAttempted(login, user, succeeded=False, address=_address()))
                await uow.commit()
            raise Unauthenticated("invalid username or password")
        await attempt.succeeded(forget=f"account:{login}")
    return user


def _address_limit(deps: Dependencies) -> dict[str, int]:
    address = _address()
    return {f"address:{address}": deps.security.throttle.address_limit} if address else {}


def _new_refresh_token(deps: Dependencies, uow: UnitOfWork, user_id: UUID, family_id: UUID) -> str:
    secret = deps.secrets.secret()
    now = deps.clock.now()
    uow.refresh_tokens.add(
        RefreshToken(
            id=deps.ids.new_id(),
            user_id=user_id,
            family_id=family_id,
            digest=secret_digest(secret),
            issued_at=now,
            expires_at=now + deps.security.refresh_lifetime,
        )
    )
    return secret


def _address() -> str | None:
    return request_context.client_address.get()


async def refresh_access(*, deps: Dependencies, refresh_token: str) -> SignedIn:
    """A new access token and a new refresh token for a refresh token used once.

    Presenting a refresh token that was already used means it was copied: its whole
    family is revoked and the caller must sign in again. A refresh token is a secret like
    a password: a token that names nothing is counted per address as a failed sign-in is
    (it names no account to count against). One that exists was not guessed, whatever
    else is wrong with it (expired, used by another tab a moment before): it costs the
    address nothing."""
    digest = secret_digest(refresh_token)
    async with ThrottledAttempt(deps, _address_limit(deps)) as attempt:
        async with deps.unit_of_work() as uow:
            known = await uow.refresh_tokens.by_digest(digest) is not None
        if not known:
            raise Unauthenticated("refresh token unknown, revoked or expired")
        await attempt.succeeded()
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        token = await uow.refresh_tokens.by_digest(digest)
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise Unauthenticated("refresh token unknown, revoked or expired")
        if token.used_at is not None or not await uow.refresh_tokens.use(token.id, at=now):
            uow.refresh_tokens.revoke_family(token.family_id, at=now)
            uow.record(RefreshTokenReused(token.user_id, token.family_id))
            await uow.commit()
            deps.actors.forget(token.user_id)  # its access tokens end with it
            raise Unauthenticated("refresh token already used")
        user = await uow.users.get(token.user_id)
        if user is None or user.disabled:
            raise Unauthenticated("account unknown or disabled")
        replacement = _new_refresh_token(deps, uow, user.id, token.family_id)
        await uow.commit()
    actor = user.as_actor()
    access = deps.tokens.issue(actor, now=now, session_id=token.family_id)
    return SignedIn(actor=actor, access=access, refresh=replacement)


async def revoke_refresh(*, deps: Dependencies, refresh_token: str) -> None:
    """Sign out: revoke the refresh token's family, which ends the access tokens issued
    from the same sign-in. Unknown tokens are ignored (RFC 7009)."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        token = await uow.refresh_tokens.by_digest(secret_digest(refresh_token))
        if token is None or token.revoked_at is not None:
            return
        uow.refresh_tokens.revoke_family(token.family_id, at=now)
        uow.record(RefreshTokensRevoked(token.user_id, token.family_id))
        await uow.commit()
    deps.actors.forget(token.user_id)  # the sign-in's access tokens end with it


async def actor_for_token(*, deps: Dependencies, token: str) -> Actor:
    """The actor a bearer token speaks for, as they are now: a disabled user, a disabled
    service account or a revoked key is refused at once, not when the token expires."""
    subject = deps.tokens.verify(token, now=deps.clock.now())
    actor = await deps.actors.active_actor(subject)
    if actor is None:
        raise Unauthenticated("account unknown or disabled, or key revoked")
    return actor


async def disable_user(
    *, deps: Dependencies, user_id: UUID, actor: Actor | None = None, reason: str | None = None
) -> User:
    """Stop a user from signing in or acting, from their next request on."""
    async with deps.unit_of_work() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user", str(user_id))
        user.disable(deps.clock.now(), by=actor, reason=reason)
        uow.users.save(user)
        await uow.commit()
    deps.actors.forget(user_id)
    return user


async def register_service_account(
    *,
    deps: Dependencies,
    agency_id: UUID,
    name: str,
    scopes: list[str],
    actor: Actor | None = None,
) -> ServiceAccount:
    account = ServiceAccount.register(
        account_id=deps.ids.new_id(),
        agency_id=agency_id,
        name=name,
        scopes=scopes,
        now=deps.clock.now(),
        by=actor,
    )
    async with deps.unit_of_work() as uow:
        if await uow.agencies.get(agency_id) is None:
            raise NotFound("agency", str(agency_id))
        if await uow.service_accounts.by_name(agency_id, account.name) is not None:
            raise Conflict(f"the agency has a service account named {account.name!r}")
        uow.service_accounts.add(account)
        await uow.commit()
    return account


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once, never stored

    @property
    def client_id(self) -> str:
        return self.key.public_id


async def issue_api_key(
    *, deps: Dependencies, service_account_id: UUID, actor: Actor | None = None
) -> IssuedKey:
    """A new key for a service account. Its secret is returned once and never again."""
    secret = deps.secrets.secret()
    async with deps.unit_of_work() as uow:
        account = await uow.service_accounts.get(service_account_id)
        if account is None:
            raise NotFound("service account", str(service_account_id))
        key = ApiKey.issue(
            key_id=deps.ids.new_id(),
            service_account_id=account.id,
            public_id=API_KEY_PREFIX + deps.secrets.public_id(),
            secret_digest=secret_digest(secret),
            now=deps.clock.now(),
            by=actor,
        )
        uow.api_keys.add(key)
        await uow.commit()
    return IssuedKey(key=key, secret=secret)


async def revoke_api_key(
    *, deps: Dependencies, public_id: str, actor: Actor | None = None, reason: str | None = None
) -> ApiKey:
    """Revoke a key: tokens it obtained are refused from their next request on."""
    async with deps.unit_of_work() as uow:
        key = await uow.api_keys.by_public_id(public_id)
        if key is None:
            raise NotFound("api key", public_id)
        if key.active:
            key.revoke(deps.clock.now(), by=actor, reason=reason)
            uow.api_keys.save(key)
            await uow.commit()
    deps.actors.forget(key.service_account_id)
    return key


async def exchange_client_credentials(
    *, deps: Dependencies, client_id: str, client_secret: str
) -> SignedIn:
    """OAuth2 client credentials: an API key's id and secret for an access token.
    Attempts are throttled per key and per address, as sign-ins are."""
    limits = _address_limit(deps) | {f"client:{client_id}": deps.security.throttle.account_limit}
    async with ThrottledAttempt(deps, limits) as attempt:
        now = deps.clock.now()
        async with deps.unit_of_work() as uow:
            key = await uow.api_keys.by_public_id(client_id)
            account = await uow.service_accounts.get(key.service_account_id) if key else None
            valid = (
                key is not None
                and secrets_match(client_secret, key.secret_digest)
                and key.active
                and account is not None
                and not account.disabled
            )
            if not valid or key is None or account is None:
                uow.record(ClientCredentialsRefused(key.id if key else None, _address()))
                await uow.commit()
                raise Unauthenticated("invalid client credentials")
            key.last_used_at = now
            uow.api_keys.save(key)
            await uow.commit()
        await attempt.succeeded(forget=f"client:{client_id}")
    actor = account.as_actor()
    return SignedIn(actor=actor, access=deps.tokens.issue(actor, now=now, credential_id=key.id))
