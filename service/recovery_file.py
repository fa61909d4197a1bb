"""Query: everything about one recovery that a person may see, on one page: the
recovery, the photos of its items' markings, what the registries said, the trace
requests made about it, its direct links in case networks, and who did what to it. A
part the person's roles do not open is absent, not refused."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from service.case_networks import NetworkView, network_around
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.errors import NotFound
from service.domain.photos import ItemPhoto
from service.domain.ports.audit import AuditFilter, StoredAuditEvent
from service.domain.recovery import Recovery
from service.domain.trace_request import TraceRequest
from service.domain.trace_workflow import Side
from service.recovery_access import recovery_for
from service.registry_checks import RegistryFindings, findings_in

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
    photos: list[ItemPhoto]  # in the order they were attached


async def recovery_file(*, deps: Dependencies, actor: Actor, recovery_id: UUID) -> RecoveryFile:
    """Read in one unit of work, the recovery once: each part is decided by the access
    policy for its own action on that recovery's agency, as its own use case decides."""
    authorize(actor, Action.RECOVERY_READ)
    async with deps.unit_of_work() as uow:
        recovery = await recovery_for(uow, actor, Action.RECOVERY_READ, recovery_id)
        findings = await findings_in(deps, uow, recovery.id)
        photos = await uow.photos.of_recovery(recovery.id)
        requests = None
        if actor.may(Action.TRACE_READ) and actor.acts_for(Side.REQUESTER):
            requests = [
                found
                for request_id in await uow.trace_requests.ids_for_recovery(recovery.id)
                if (found := await uow.trace_requests.get(request_id, visible_to=actor.agency_id))
            ]
        network = None
        if actor.may(Action.NETWORK_READ) and actor.reaches(
            Action.NETWORK_READ, recovery.agency_id
        ):
            try:
                network = await network_around(uow, actor, recovery.id, depth=1)
            except NotFound:  # not linked yet
                network = None
        history = None
        if actor.may(Action.RECOVERY_HISTORY) and actor.reaches(
            Action.RECOVERY_HISTORY, recovery.agency_id
        ):
            history = await uow.audit.events(
                AuditFilter(entity_type="recovery", entity_id=str(recovery.id)),
                after_seq=None,
                limit=HISTORY_SHOWN,
            )
        colleagues = {
            stored.event.actor_id
            for stored in history or []
            if stored.event.actor_id and stored.event.actor_agency_id == actor.agency_id
        }
        people = {
            person_id: user.display_name
            for person_id in colleagues
            if (user := await uow.users.get(person_id)) is not None
        }
    return RecoveryFile(recovery, findings, requests, network, history, people, photos)
