"""What changes to agencies, people, integrations and credentials call for, and what
signing in leaves: their audit events."""

from __future__ import annotations

import hashlib

from service.domain.events import (
    AgencyRegistered,
    ApiKeyIssued,
    ApiKeyRevoked,
    ClientCredentialsRefused,
    ConsoleSessionEnded,
    PasswordChanged,
    PreferencesChanged,
    RefreshTokenReused,
    RefreshTokensRevoked,
    RolesChanged,
    ServiceAccountRegistered,
    SignInAttempted,
    SignInPaused,
    UserDisabled,
    UserRegistered,
)
from service.side_effects.effects import Effects, HandlerTable


async def audit_agency(effects: Effects, event: AgencyRegistered) -> None:
    agency = event.agency
    effects.audit(
        actor=event.actor,
        action="agency.created",
        entity_type="agency",
        entity_id=agency.id,
        changes={
            "name": agency.name,
            "country": agency.country,
            "kind": agency.kind,
            "peer": agency.peer,
        },
    )


async def audit_user(effects: Effects, event: UserRegistered) -> None:
    user = event.user
    effects.audit(
        actor=event.actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id,
        changes={
            "agency_id": user.agency_id,
            "username": user.username,
            "display_name": user.display_name,
            "roles": user.roles,
        },
    )


async def audit_disabled(effects: Effects, event: UserDisabled) -> None:
    effects.audit(
        actor=event.actor,
        action="user.disabled",
        entity_type="user",
        entity_id=event.user_id,
        changes={"disabled": {"before": False, "after": True}},
        reason=event.reason,
    )


async def audit_account(effects: Effects, event: ServiceAccountRegistered) -> None:
    account = event.account
    effects.audit(
        actor=event.actor,
        action="service_account.created",
        entity_type="service_account",
        entity_id=account.id,
        changes={"agency_id": account.agency_id, "name": account.name, "scopes": account.scopes},
    )


async def audit_key_issued(effects: Effects, event: ApiKeyIssued) -> None:
    effects.audit(
        actor=event.actor,
        action="api_key.created",
        entity_type="api_key",
        entity_id=event.key.id,
        changes={
            "service_account_id": event.key.service_account_id,
            "public_id": event.key.public_id,
        },
    )


async def audit_key_revoked(effects: Effects, event: ApiKeyRevoked) -> None:
    effects.audit(
        actor=event.actor,
        action="api_key.revoked",
        entity_type="api_key",
        entity_id=event.key.id,
        changes={"public_id": event.key.public_id},
        reason=event.reason,
    )


async def audit_sign_in(effects: Effects, event: SignInAttempted) -> None:
    user = event.user
    # A name that matches no account may be a password typed in the wrong field: only a
    # fingerprint of it is kept, enough to see repeated attempts with the same text.
    attempted = (
        {"username": event.login}
        if user is not None
        else {"username_fingerprint": hashlib.sha256(event.login.encode()).hexdigest()[:16]}
    )
    effects.audit(
        actor=user.as_actor() if user is not None and event.succeeded else None,
        action="auth.login_succeeded" if event.succeeded else "auth.login_failed",
        entity_type="user",
        entity_id=user.id if user is not None else "unknown",
        changes={**attempted, "address": event.address},
    )


async def audit_paused(effects: Effects, event: SignInPaused) -> None:
    effects.audit(
        actor=None,
        action="auth.sign_in_paused",
        entity_type="sign_in_key",
        entity_id=event.key_reference,
        changes={"failures": event.failures, "paused_seconds": event.paused_seconds},
    )


async def audit_reused(effects: Effects, event: RefreshTokenReused) -> None:
    effects.audit(
        actor=None,
        action="auth.refresh_token_reused",
        entity_type="user",
        entity_id=event.user_id,
        changes={"family_revoked": event.family_id},
    )


async def audit_revoked(effects: Effects, event: RefreshTokensRevoked) -> None:
    effects.audit(
        actor=None,
        action="auth.refresh_token_revoked",
        entity_type="user",
        entity_id=event.user_id,
        changes={"family_revoked": event.family_id},
    )


async def audit_refused_client(effects: Effects, event: ClientCredentialsRefused) -> None:
    effects.audit(
        actor=None,
        action="auth.client_credentials_failed",
        entity_type="api_key",
        entity_id=event.key_id if event.key_id is not None else "unknown",
        changes={"address": event.address},
    )


async def audit_password_changed(effects: Effects, event: PasswordChanged) -> None:
    # Never the hash: that the password changed is what the trail needs.
    effects.audit(
        actor=event.actor,
        action="user.password_changed",
        entity_type="user",
        entity_id=event.user_id,
        changes={"password": "changed", "sessions_and_tokens": "ended"},
    )


async def audit_roles(effects: Effects, event: RolesChanged) -> None:
    effects.audit(
        actor=event.actor,
        action="user.roles_changed",
        entity_type="user",
        entity_id=event.user_id,
        changes={"roles": {"before": sorted(event.before), "after": sorted(event.after)}},
    )


async def audit_preferences(effects: Effects, event: PreferencesChanged) -> None:
    effects.audit(
        actor=event.actor,
        action="user.preferences_changed",
        entity_type="user",
        entity_id=event.user_id,
        changes={
            name: {"before": event.before[name], "after": event.after[name]}
            for name in sorted(event.after)
            if event.before[name] != event.after[name]
        },
    )


async def audit_session_ended(effects: Effects, event: ConsoleSessionEnded) -> None:
    effects.audit(
        actor=event.actor,
        action="auth.signed_out" if event.actor is not None else "auth.session_ended",
        entity_type="user",
        entity_id=event.user_id,
        changes={"session_id": event.session_id},
    )


HANDLERS: HandlerTable = {
    AgencyRegistered: [audit_agency],
    UserRegistered: [audit_user],
    UserDisabled: [audit_disabled],
    ServiceAccountRegistered: [audit_account],
    ApiKeyIssued: [audit_key_issued],
    ApiKeyRevoked: [audit_key_revoked],
    SignInAttempted: [audit_sign_in],
    SignInPaused: [audit_paused],
    RefreshTokenReused: [audit_reused],
    RefreshTokensRevoked: [audit_revoked],
    ClientCredentialsRefused: [audit_refused_client],
    PasswordChanged: [audit_password_changed],
    RolesChanged: [audit_roles],
    PreferencesChanged: [audit_preferences],
    ConsoleSessionEnded: [audit_session_ended],
}
