"""Query: everything about one recovery that a person may see, on one page: the
recovery, what the registries said, the trace requests made about it, its direct links
in case networks, and who did what to it. Each part is asked of the use case that owns
it, with that use case's own authorization; a part the person's roles do not open is
absent, not refused."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from service.audit_trail import recovery_history
from service.case_networks import NetworkView, recovery_network
from service.dependencies import Dependencies
from service.domain.access import Action, Actor
from service.domain.errors import NotFound
from service.domain.ports.audit import StoredAuditEvent
from service.domain.recovery import Recovery
from service.domain.trace_request import TraceRequest
from service.domain.trace_workflow import Side
from service.recoveries import get_recovery
from service.registry_checks import RegistryFindings, registry_hits

HISTORY_SHOWN = 50


@dataclass(frozen=True, slots=True)
class RecoveryFile:
    recovery: Recovery
    findings: RegistryFindings
    trace_requests: list[TraceRequest] | None
    network: NetworkView | None  # None: not linked yet, or not the person's to see
    history: list[StoredAuditEvent] | None
    # Names of the person's colleagues who acted in the history (others stay ids).
    people: dict[UUID, str]


async def recovery_file(*, deps: Dependencies, actor: Actor, recovery_id: UUID) -> RecoveryFile:
    recovery = await get_recovery(deps=deps, actor=actor, recovery_id=recovery_id)
    findings = await registry_hits(deps=deps, actor=actor, recovery_id=recovery_id)
    requests = None
    if actor.may(Action.TRACE_READ) and actor.acts_for(Side.REQUESTER):
        async with deps.unit_of_work() as uow:
            requests = [
                found
                for request_id in await uow.trace_requests.ids_for_recovery(recovery.id)
                if (found := await uow.trace_requests.get(request_id, visible_to=actor.agency_id))
            ]
    network = None
    if actor.may(Action.NETWORK_READ):
        try:
            network = await recovery_network(
                deps=deps, actor=actor, recovery_id=recovery.id, depth=1
            )
        except NotFound:  # not linked yet
            network = None
    history = None
    if actor.may(Action.RECOVERY_HISTORY):
        history = await recovery_history(
            deps=deps, actor=actor, recovery_id=recovery.id, before_seq=None, limit=HISTORY_SHOWN
        )
    people: dict[UUID, str] = {}
    colleagues = {
        stored.event.actor_id
        for stored in history or []
        if stored.event.actor_id and stored.event.actor_agency_id == actor.agency_id
    }
    if colleagues:
        async with deps.unit_of_work() as uow:
            for person_id in colleagues:
                if (user := await uow.users.get(person_id)) is not None:
                    people[person_id] = user.display_name
    return RecoveryFile(recovery, findings, requests, network, history, people)
