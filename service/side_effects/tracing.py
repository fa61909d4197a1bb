"""What the tracing workflow's events call for: their audit events; the delivery of
steps and thread messages to the other agency when it works on another instance; and,
once a chain of custody is in, the linking of the requester's recovery to its parties.

Steps and messages received from a peer are recorded the same way, saying from which
peer and in which message they came; they travel nowhere (the other side is here)."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from service.domain.events import (
    ThreadMessagePosted,
    TraceExchangeSent,
    TraceRequestCreated,
    TraceStepTaken,
)
from service.domain.outbox import TRACE_DELIVERY, OutboxMessage
from service.domain.trace_workflow import TraceAction, TraceStatus
from service.network_linking import network_link_message
from service.side_effects.effects import Effects, HandlerTable

AUDITED_AS: dict[TraceAction, str] = {
    TraceAction.SUBMIT: "trace_request.submitted",
    TraceAction.ACKNOWLEDGE: "trace_request.acknowledged",
    TraceAction.REQUEST_INFO: "trace_request.info_requested",
    TraceAction.PROVIDE_INFO: "trace_request.info_provided",
    TraceAction.RESPOND: "trace_request.responded",
    TraceAction.DECLINE: "trace_request.declined",
    TraceAction.WITHDRAW: "trace_request.withdrawn",
    TraceAction.CLOSE: "trace_request.closed",
}


async def audit_created(effects: Effects, event: TraceRequestCreated) -> None:
    effects.audit(
        actor=event.actor,
        action="trace_request.created",
        entity_type="trace_request",
        entity_id=event.request_id,
        changes={"recorded": event.as_requested},
        received=event.received,
    )


async def audit_step(effects: Effects, event: TraceStepTaken) -> None:
    transition, response = event.transition, event.response
    changes: dict[str, Any] = {
        "version": transition.version,
        "status": {"before": transition.from_status, "after": transition.to_status},
    }
    if response is not None:
        changes["response"] = {
            "id": response.id,
            "number": response.number,
            "outcome": response.outcome,
            "chain_of_custody": list(response.chain_of_custody),
            "notes": response.notes if transition.action is TraceAction.RESPOND else None,
            "time_to_crime_days": response.time_to_crime_days,
        }
    elif transition.action in (TraceAction.SUBMIT, TraceAction.PROVIDE_INFO):
        changes["due"] = {"acknowledge_by": event.acknowledge_by, "respond_by": event.respond_by}
    effects.audit(
        actor=event.actor,
        action=AUDITED_AS[transition.action],
        entity_type="trace_request",
        entity_id=event.request_id,
        changes=changes,
        reason=transition.reason,
        received=event.received,
    )


async def deliver_step(effects: Effects, event: TraceStepTaken) -> None:
    """A step taken here travels to the other agency's instance, once the request was
    sent: a draft, and its withdrawal, stay here."""
    transition = event.transition
    if transition.from_status is TraceStatus.DRAFT and transition.action is not TraceAction.SUBMIT:
        return
    sender = transition.by_agency_id
    if await _hosted_elsewhere(effects, _other(event, sender)):
        _deliver_later(effects, event.request_id, {"version": event.transition.version})


async def link_answered(effects: Effects, event: TraceStepTaken) -> None:
    """An answer with its chain of custody, to a requester here, links the requester's
    recovery to the parties it names (a requester elsewhere links it when it arrives)."""
    if event.transition.action is not TraceAction.RESPOND or event.response is None:
        return
    if event.received is not None:
        if event.response.chain_of_custody:
            effects.send(network_link_message(effects.deps, event.recovery_id))
        return
    if not await _hosted_elsewhere(effects, event.requester_agency_id):
        effects.send(network_link_message(effects.deps, event.recovery_id))


async def audit_message(effects: Effects, event: ThreadMessagePosted) -> None:
    message = event.message
    effects.audit(
        actor=event.actor,
        action="trace_message.posted",
        entity_type="trace_request",
        entity_id=message.request_id,
        changes={
            "message_id": message.id,
            "side": message.side,
            # The body is kept in the append-only thread; its digest here lets the chain
            # prove it unchanged.
            "body_sha256": hashlib.sha256(message.body.encode()).hexdigest(),
            "attachments": list(message.attachments),
        },
        received=event.received,
    )


async def deliver_message(effects: Effects, event: ThreadMessagePosted) -> None:
    """A message written here travels in order with the request's steps."""
    if await _hosted_elsewhere(effects, event.recipient_agency_id):
        _deliver_later(
            effects, event.message.request_id, {"thread_message_id": str(event.message.id)}
        )


async def audit_sent(effects: Effects, event: TraceExchangeSent) -> None:
    effects.audit(
        actor=None,
        action="trace_exchange.sent",
        entity_type="trace_request",
        entity_id=event.request_id,
        changes={
            "message_id": event.message_id,
            "peer": event.peer,
            "step": event.step,
            "version": event.version,
            "recipient_agency_id": event.recipient_agency_id,
        },
    )


def _other(event: TraceStepTaken, agency_id: UUID) -> UUID:
    if agency_id == event.requester_agency_id:
        return event.addressee_agency_id
    return event.requester_agency_id


async def _hosted_elsewhere(effects: Effects, agency_id: UUID) -> bool:
    agency = await effects.uow.agencies.get(agency_id)
    return agency is not None and agency.peer is not None


def _deliver_later(effects: Effects, request_id: UUID, what: dict[str, object]) -> None:
    deps = effects.deps
    effects.send(
        OutboxMessage(
            id=deps.ids.new_id(),
            topic=TRACE_DELIVERY,
            payload={"request_id": str(request_id), **what},
            created_at=deps.clock.now(),
            ordering_key=str(request_id),
        )
    )


HANDLERS: HandlerTable = {
    TraceRequestCreated: [audit_created],
    TraceStepTaken: [audit_step, deliver_step, link_answered],
    ThreadMessagePosted: [audit_message, deliver_message],
    TraceExchangeSent: [audit_sent],
}
