"""The audit events of the tracing workflow: what was asked, and each step taken, as
the audit trail records them (for steps taken here and steps received from a peer)."""

from __future__ import annotations

import hashlib
from typing import Any

from service.auditing import audit_event
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.audit import AuditEvent
from service.domain.trace_request import TraceRequest, TraceResponse, Transition
from service.domain.trace_thread import TraceMessage
from service.domain.trace_workflow import TraceAction

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


def as_requested(request: TraceRequest) -> dict[str, Any]:
    return {
        "requester_agency_id": request.requester_agency_id,
        "addressee_agency_id": request.addressee_agency_id,
        "item": request.item,
        "legal_justification": request.legal_justification,
        "intended_use": request.intended_use,
        "priority": request.priority,
    }


def transition_event(
    deps: Dependencies, actor: Actor, request: TraceRequest, transition: Transition
) -> AuditEvent:
    changes: dict[str, Any] = {
        "version": transition.version,
        "status": {"before": transition.from_status, "after": transition.to_status},
    }
    if transition.action in (TraceAction.SUBMIT, TraceAction.PROVIDE_INFO):
        changes["due"] = {
            "acknowledge_by": request.acknowledge_by,
            "respond_by": request.respond_by,
        }
    return audit_event(
        deps,
        actor=actor,
        action=AUDITED_AS[transition.action],
        entity_type="trace_request",
        entity_id=request.id,
        changes=changes,
        reason=transition.reason,
    )


def response_event(
    deps: Dependencies, actor: Actor, request: TraceRequest, response: TraceResponse
) -> AuditEvent:
    transition = request.transitions[-1]
    return audit_event(
        deps,
        actor=actor,
        action=AUDITED_AS[transition.action],
        entity_type="trace_request",
        entity_id=request.id,
        changes={
            "version": transition.version,
            "status": {"before": transition.from_status, "after": transition.to_status},
            "response": {
                "id": response.id,
                "number": response.number,
                "outcome": response.outcome,
                "chain_of_custody": list(response.chain_of_custody),
                "notes": response.notes if transition.action is TraceAction.RESPOND else None,
                "time_to_crime_days": response.time_to_crime_days,
            },
        },
        reason=transition.reason,
    )


def thread_message_event(deps: Dependencies, actor: Actor, message: TraceMessage) -> AuditEvent:
    return audit_event(
        deps,
        actor=actor,
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
    )
