"""Who may do what, decided in one place.

Routes and use cases name an action; this policy answers for (actor, action, owner).
An owner agency the actor may not see is reported as absent, never as forbidden, so the
existence of another agency's record does not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final
from uuid import UUID

from service.domain.errors import Forbidden, NotFound
from service.domain.trace_workflow import Side, TraceAction


class Role(StrEnum):
    INVESTIGATOR = "investigator"
    TRACING_OFFICER = "tracing_officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    # Audits every agency: the instance's own oversight (an inspectorate, a court's expert).
    SYSTEM_AUDITOR = "system_auditor"
    ADMIN = "admin"
    # Administers the whole instance: registers agencies and keeps any agency's accounts
    # (the national tracing centre that hosts the service, say).
    SYSTEM_ADMIN = "system_admin"


# The roles an agency's own administrators may give. Roles that reach every agency are
# given by the instance's administrators, or by an operator at the command line.
AGENCY_ROLES: Final = frozenset(
    {Role.INVESTIGATOR, Role.TRACING_OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}
)


class ActorKind(StrEnum):
    USER = "user"
    SERVICE_ACCOUNT = "service_account"


class Action(StrEnum):
    RECOVERY_RECORD = "recovery.record"
    RECOVERY_READ = "recovery.read"
    RECOVERY_CORRECT = "recovery.correct"
    # Many recoveries from a file, into the actor's agency; and the agency's out to one.
    RECOVERY_IMPORT = "recovery.import"
    RECOVERY_EXPORT = "recovery.export"
    SERIAL_SEARCH = "serial.search"
    REFERENCE_READ = "reference.read"
    REFERENCE_REPORT = "reference.report"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    # Who did what to one recovery: those who work on it, and those who audit the work.
    RECOVERY_HISTORY = "recovery.history"
    TRACE_READ = "trace.read"
    TRACE_REQUEST = "trace.request"  # draft, submit, provide information, withdraw
    TRACE_RESPOND = "trace.respond"  # acknowledge, ask for information, respond, decline
    TRACE_CLOSE = "trace.close"
    TRACE_MESSAGE = "trace.message"
    TRACE_STATISTICS = "trace.statistics"
    REGISTRY_SEARCH = "registry.search"
    # Taking trace-request steps another tracedesk instance sends for its agencies.
    FEDERATION_EXCHANGE = "federation.exchange"
    NETWORK_READ = "network.read"
    NETWORK_DECIDE = "network.decide"  # confirm or reject a link
    # The agency's people and integrations: users, roles, service accounts, API keys.
    ACCOUNTS_ADMINISTER = "accounts.administer"
    AGENCY_REGISTER = "agency.register"


class Scope(StrEnum):
    """What an integration's API key may do; the integration's agency bounds it."""

    RECOVERIES_READ = "recoveries:read"
    RECOVERIES_WRITE = "recoveries:write"
    TRACES_READ = "traces:read"
    TRACES_REQUEST = "traces:request"
    TRACES_RESPOND = "traces:respond"
    # Another instance or system checking serials against this instance's registries.
    REGISTRIES_SEARCH = "registries:search"
    # Another tracedesk instance delivering trace-request steps of its agencies.
    FEDERATION_EXCHANGE = "federation:exchange"


_ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    Role.INVESTIGATOR: frozenset(
        {
            Action.RECOVERY_RECORD,
            Action.RECOVERY_READ,
            Action.RECOVERY_CORRECT,
            Action.RECOVERY_IMPORT,
            Action.RECOVERY_EXPORT,
            Action.RECOVERY_HISTORY,
            Action.SERIAL_SEARCH,
            Action.REFERENCE_READ,
            Action.TRACE_READ,
            Action.TRACE_REQUEST,
            Action.TRACE_MESSAGE,
            Action.REGISTRY_SEARCH,
            Action.NETWORK_READ,
            Action.NETWORK_DECIDE,
        }
    ),
    # Tracing officers answer requests about records their agency holds, so they search
    # serials, but they see recoveries only through the trace requests addressed to them.
    Role.TRACING_OFFICER: frozenset(
        {
            Action.SERIAL_SEARCH,
            Action.REFERENCE_READ,
            Action.TRACE_READ,
            Action.TRACE_RESPOND,
            Action.TRACE_MESSAGE,
            Action.REGISTRY_SEARCH,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Action.RECOVERY_RECORD,
            Action.RECOVERY_READ,
            Action.RECOVERY_CORRECT,
            Action.RECOVERY_IMPORT,
            Action.RECOVERY_EXPORT,
            Action.RECOVERY_HISTORY,
            Action.SERIAL_SEARCH,
            Action.REFERENCE_READ,
            Action.REFERENCE_REPORT,
            Action.TRACE_READ,
            Action.TRACE_REQUEST,
            Action.TRACE_RESPOND,
            Action.TRACE_CLOSE,
            Action.TRACE_MESSAGE,
            Action.TRACE_STATISTICS,
            Action.REGISTRY_SEARCH,
            Action.NETWORK_READ,
            Action.NETWORK_DECIDE,
        }
    ),
    # Auditors read the trail, a recovery's history included, never the case data itself.
    Role.AUDITOR: frozenset(
        {Action.REFERENCE_READ, Action.AUDIT_READ, Action.AUDIT_VERIFY, Action.RECOVERY_HISTORY}
    ),
    Role.SYSTEM_AUDITOR: frozenset(
        {Action.REFERENCE_READ, Action.AUDIT_READ, Action.AUDIT_VERIFY, Action.RECOVERY_HISTORY}
    ),
    # Administrators keep the reference table and the accounts; no case data by default.
    # They may check that the audit chain is intact, without reading its events.
    Role.ADMIN: frozenset(
        {
            Action.REFERENCE_READ,
            Action.REFERENCE_REPORT,
            Action.AUDIT_VERIFY,
            Action.ACCOUNTS_ADMINISTER,
        }
    ),
    Role.SYSTEM_ADMIN: frozenset(
        {
            Action.REFERENCE_READ,
            Action.REFERENCE_REPORT,
            Action.AUDIT_VERIFY,
            Action.ACCOUNTS_ADMINISTER,
            Action.AGENCY_REGISTER,
        }
    ),
}

# The actions a role takes on every agency's records, not only on its own agency's.
_ACROSS_AGENCIES: Final[dict[Role, frozenset[Action]]] = {
    Role.SYSTEM_AUDITOR: frozenset({Action.AUDIT_READ, Action.RECOVERY_HISTORY}),
    # Administrators keep the reference table for the whole instance: they see which
    # spellings every agency used (counts only, no case data).
    Role.ADMIN: frozenset({Action.REFERENCE_REPORT}),
    Role.SYSTEM_ADMIN: frozenset({Action.REFERENCE_REPORT, Action.ACCOUNTS_ADMINISTER}),
}

_SCOPE_ACTIONS: Final[dict[Scope, frozenset[Action]]] = {
    Scope.RECOVERIES_READ: frozenset(
        {
            Action.RECOVERY_READ,
            Action.RECOVERY_EXPORT,
            Action.SERIAL_SEARCH,
            Action.REFERENCE_READ,
        }
    ),
    Scope.RECOVERIES_WRITE: frozenset(
        {
            Action.RECOVERY_RECORD,
            Action.RECOVERY_CORRECT,
            Action.RECOVERY_IMPORT,
            Action.REFERENCE_READ,
        }
    ),
    Scope.TRACES_READ: frozenset({Action.TRACE_READ, Action.REFERENCE_READ}),
    Scope.TRACES_REQUEST: frozenset(
        {Action.TRACE_READ, Action.TRACE_REQUEST, Action.TRACE_MESSAGE, Action.REFERENCE_READ}
    ),
    Scope.TRACES_RESPOND: frozenset(
        {Action.TRACE_READ, Action.TRACE_RESPOND, Action.TRACE_MESSAGE, Action.REFERENCE_READ}
    ),
    Scope.REGISTRIES_SEARCH: frozenset({Action.REGISTRY_SEARCH}),
    Scope.FEDERATION_EXCHANGE: frozenset({Action.FEDERATION_EXCHANGE}),
}

# The permission each step of the trace workflow needs, besides standing on its side.
_STEP_PERMISSIONS: Final[dict[TraceAction, Action]] = {
    TraceAction.CREATE: Action.TRACE_REQUEST,
    TraceAction.SUBMIT: Action.TRACE_REQUEST,
    TraceAction.PROVIDE_INFO: Action.TRACE_REQUEST,
    TraceAction.WITHDRAW: Action.TRACE_REQUEST,
    TraceAction.ACKNOWLEDGE: Action.TRACE_RESPOND,
    TraceAction.REQUEST_INFO: Action.TRACE_RESPOND,
    TraceAction.RESPOND: Action.TRACE_RESPOND,
    TraceAction.DECLINE: Action.TRACE_RESPOND,
    TraceAction.CLOSE: Action.TRACE_CLOSE,
}


def step_permission(step: TraceAction) -> Action:
    """The permission a step of the trace workflow needs (the API's routes name it too)."""
    return _STEP_PERMISSIONS[step]


# Who acts for each side of a trace request, within the agency that stands on that side.
# A supervisor acts for both; an investigator never sees the inbox, a tracing officer
# never the outbox.
_SIDE_ROLES: Final[dict[Side, frozenset[Role]]] = {
    Side.REQUESTER: frozenset({Role.INVESTIGATOR, Role.SUPERVISOR}),
    Side.RESPONDER: frozenset({Role.TRACING_OFFICER, Role.SUPERVISOR}),
}
_SIDE_SCOPES: Final[dict[Side, frozenset[Scope]]] = {
    Side.REQUESTER: frozenset({Scope.TRACES_READ, Scope.TRACES_REQUEST}),
    Side.RESPONDER: frozenset({Scope.TRACES_READ, Scope.TRACES_RESPOND}),
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

    def across_agencies(self, action: Action) -> bool:
        """Whether the actor takes the action on every agency's records (oversight of
        the whole instance), not only on their own agency's."""
        if self.kind is ActorKind.SERVICE_ACCOUNT:
            return False
        return any(action in _ACROSS_AGENCIES.get(role, frozenset()) for role in self.roles)

    def reaches(self, action: Action, agency_id: UUID | None) -> bool:
        """Whether the action may touch records of `agency_id` (None: records of no
        agency, such as shared network nodes, which only rules reach)."""
        if agency_id is None:
            return False
        return agency_id == self.agency_id or self.across_agencies(action)

    def acts_for(self, side: Side) -> bool:
        if self.kind is ActorKind.SERVICE_ACCOUNT:
            return bool(self.scopes & _SIDE_SCOPES[side])
        return bool(self.roles & _SIDE_ROLES[side])


def grantable_roles(actor: Actor) -> frozenset[Role]:
    """The roles the actor may give to people: an agency's administrators give the
    agency's roles; the instance's give every role."""
    if actor.kind is ActorKind.USER and Role.SYSTEM_ADMIN in actor.roles:
        return frozenset(Role)
    if actor.may(Action.ACCOUNTS_ADMINISTER):
        return AGENCY_ROLES
    return frozenset()


def authorize(actor: Actor, action: Action) -> None:
    """Refuse an action the actor's roles or scopes do not include (403)."""
    if not actor.may(action):
        raise Forbidden(action.value)


def authorize_on_trace(
    actor: Actor,
    action: Action,
    *,
    agency_sides: Callable[[UUID], frozenset[Side]],
    side: Side | None,
    resource_id: UUID,
) -> frozenset[Side]:
    """Refuse an action on a trace request: by role (403); then, if the actor acts for
    none of the sides their agency stands on, as absent (404); then, if the action
    belongs to the other side, by role again (403). Returns the sides the actor acts for.

    `agency_sides` says which sides an agency stands on (both when it asks itself)."""
    authorize(actor, action)
    sides = frozenset(s for s in agency_sides(actor.agency_id) if actor.acts_for(s))
    if not sides:
        raise NotFound("trace request", str(resource_id))
    if side is not None and side not in sides:
        raise Forbidden(action.value)
    return sides
