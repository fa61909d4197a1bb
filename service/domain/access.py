"""Who may do what, decided in one place.

Routes and use cases name an action; this policy answers for (actor, action, owner).
An owner agency the actor may not see is reported as absent, never as forbidden, so the
existence of another agency's record does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final
from uuid import UUID

from service.domain.errors import Forbidden, NotFound


class Role(StrEnum):
    INVESTIGATOR = "investigator"
    TRACING_OFFICER = "tracing_officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    # Audits every agency: the instance's own oversight (an inspectorate, a court's expert).
    SYSTEM_AUDITOR = "system_auditor"
    ADMIN = "admin"


class ActorKind(StrEnum):
    USER = "user"
    SERVICE_ACCOUNT = "service_account"


class Action(StrEnum):
    RECOVERY_RECORD = "recovery.record"
    RECOVERY_READ = "recovery.read"
    RECOVERY_CORRECT = "recovery.correct"
    SERIAL_SEARCH = "serial.search"
    REFERENCE_READ = "reference.read"
    REFERENCE_REPORT = "reference.report"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"


class Scope(StrEnum):
    """What an integration's API key may do; the integration's agency bounds it."""

    RECOVERIES_READ = "recoveries:read"
    RECOVERIES_WRITE = "recoveries:write"
    TRACES_READ = "traces:read"
    TRACES_RESPOND = "traces:respond"


_ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    Role.INVESTIGATOR: frozenset(
        {
            Action.RECOVERY_RECORD,
            Action.RECOVERY_READ,
            Action.RECOVERY_CORRECT,
            Action.SERIAL_SEARCH,
            Action.REFERENCE_READ,
        }
    ),
    # Tracing officers answer requests about records their agency holds, so they search
    # serials, but they see recoveries only through the trace requests addressed to them.
    Role.TRACING_OFFICER: frozenset({Action.SERIAL_SEARCH, Action.REFERENCE_READ}),
    Role.SUPERVISOR: frozenset(
        {
            Action.RECOVERY_RECORD,
            Action.RECOVERY_READ,
            Action.RECOVERY_CORRECT,
            Action.SERIAL_SEARCH,
            Action.REFERENCE_READ,
            Action.REFERENCE_REPORT,
        }
    ),
    Role.AUDITOR: frozenset({Action.REFERENCE_READ, Action.AUDIT_READ, Action.AUDIT_VERIFY}),
    Role.SYSTEM_AUDITOR: frozenset({Action.REFERENCE_READ, Action.AUDIT_READ, Action.AUDIT_VERIFY}),
    # Administrators keep the reference table and the accounts; no case data by default.
    # They may check that the audit chain is intact, without reading its events.
    Role.ADMIN: frozenset({Action.REFERENCE_READ, Action.REFERENCE_REPORT, Action.AUDIT_VERIFY}),
}

_SCOPE_ACTIONS: Final[dict[Scope, frozenset[Action]]] = {
    Scope.RECOVERIES_READ: frozenset(
        {Action.RECOVERY_READ, Action.SERIAL_SEARCH, Action.REFERENCE_READ}
    ),
    Scope.RECOVERIES_WRITE: frozenset(
        {Action.RECOVERY_RECORD, Action.RECOVERY_CORRECT, Action.REFERENCE_READ}
    ),
    # The trace workflow (issue: trace requests) adds its actions to these scopes.
    Scope.TRACES_READ: frozenset({Action.REFERENCE_READ}),
    Scope.TRACES_RESPOND: frozenset({Action.REFERENCE_READ}),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated user or service account, as one request sees it."""

    id: UUID
    kind: ActorKind
    agency_id: UUID
    roles: frozenset[Role] = field(default_factory=frozenset)
    scopes: frozenset[Scope] = field(default_factory=frozenset)

    def may(self, action: Action) -> bool:
        if self.kind is ActorKind.SERVICE_ACCOUNT:
            return any(action in _SCOPE_ACTIONS[scope] for scope in self.scopes)
        return any(action in _ROLE_ACTIONS[role] for role in self.roles)


def authorize(actor: Actor, action: Action) -> None:
    """Refuse an action the actor's roles or scopes do not include (403)."""
    if not actor.may(action):
        raise Forbidden(action.value)


def authorize_on(
    actor: Actor, action: Action, *, owner_agency_id: UUID, resource: str, resource_id: UUID
) -> None:
    """Refuse an action on one agency's resource: by role (403), then by agency (404)."""
    authorize(actor, action)
    if owner_agency_id != actor.agency_id:
        raise NotFound(resource, str(resource_id))
