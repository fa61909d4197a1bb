"""Mapping between trace requests (with their history, answers and threads) and rows.

Rows are built into domain objects directly, without the validation rules: a stored
request must always load, even after a rule has been tightened.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from service.adapters.persistence import tables
from service.adapters.persistence.database import Row
from service.adapters.persistence.writes import InsertRows, RowOperation, UpdateRow
from service.domain.custody import CustodyEvent, CustodyEventKind, Party, PartyRole
from service.domain.errors import StaleVersion
from service.domain.trace_request import TraceRequest, TraceResponse, Transition
from service.domain.trace_thread import Attachment, TraceMessage
from service.domain.trace_workflow import Outcome, Priority, Side, TraceAction, TraceStatus
from service.domain.traced_item import TracedItem

# Set when the request is made and never changed afterwards.
_FIXED = frozenset(
    {
        "id",
        "requester_agency_id",
        "addressee_agency_id",
        "recovery_id",
        "item_id",
        "item_recovered_at",
        "item_country",
        "item_circumstances",
        "item_description",
        "legal_justification",
        "intended_use",
        "priority",
        "created_at",
        "created_by",
    }
)


def new_request_operations(request: TraceRequest) -> list[RowOperation]:
    return [
        InsertRows(tables.trace_requests, [_request_values(request)]),
        InsertRows(
            tables.trace_transitions, [_transition_values(request, t) for t in request.transitions]
        ),
        InsertRows(
            tables.trace_responses, [_response_values(request, r) for r in request.responses]
        ),
    ]


def changed_request_operations(loaded: TraceRequest, changed: TraceRequest) -> list[RowOperation]:
    """The header moves on only from the version that was loaded; otherwise the whole
    write fails as stale and none of the new history is stored."""
    values = {k: v for k, v in _request_values(changed).items() if k not in _FIXED}
    answered = len(loaded.responses)
    return [
        UpdateRow(
            tables.trace_requests,
            key={"id": changed.id},
            values=values,
            expected={"version": loaded.version},
            when_missing=lambda: StaleVersion("trace request", loaded.version, None),
        ),
        InsertRows(
            tables.trace_transitions,
            [
                _transition_values(changed, t)
                for t in changed.transitions
                if t.version > loaded.version
            ],
        ),
        InsertRows(
            tables.trace_responses,
            [_response_values(changed, r) for r in changed.responses[answered:]],
        ),
    ]


def _request_values(request: TraceRequest) -> dict[str, Any]:
    item = request.item
    return {
        "id": request.id,
        "requester_agency_id": request.requester_agency_id,
        "addressee_agency_id": request.addressee_agency_id,
        "recovery_id": item.recovery_id,
        "item_id": item.item_id,
        "item_recovered_at": item.recovered_at,
        "item_country": item.recovery_country,
        "item_circumstances": item.circumstances,
        "item_description": dict(item.description),
        "legal_justification": request.legal_justification,
        "intended_use": request.intended_use,
        "priority": request.priority.value,
        "status": request.status.value,
        "version": request.version,
        "created_at": request.created_at,
        "created_by": request.created_by,
        "updated_at": request.updated_at,
        "submitted_at": request.submitted_at,
        "acknowledged_at": request.acknowledged_at,
        "first_response_at": request.first_response_at,
        "ended_at": request.ended_at,
        "acknowledge_by": request.acknowledge_by,
        "respond_by": request.respond_by,
        "info_requested_at": request.info_requested_at,
        "due_at": request.due_at,
        "outcome": request.outcome.value if request.outcome else None,
        "time_to_crime_days": request.time_to_crime_days,
    }


def _transition_values(request: TraceRequest, transition: Transition) -> dict[str, Any]:
    return {
        "request_id": request.id,
        "version": transition.version,
        "action": transition.action.value,
        "from_status": transition.from_status.value if transition.from_status else None,
        "to_status": transition.to_status.value,
        "at": transition.at,
        "by_id": transition.by,
        "by_agency_id": transition.by_agency_id,
        "reason": transition.reason,
    }


def _response_values(request: TraceRequest, response: TraceResponse) -> dict[str, Any]:
    return {
        "id": response.id,
        "request_id": request.id,
        "number": response.number,
        "version": response.version,
        "outcome": response.outcome.value,
        "chain_of_custody": [_event_document(e) for e in response.chain_of_custody],
        "notes": response.notes,
        "time_to_crime_days": response.time_to_crime_days,
        "responded_at": response.responded_at,
        "responded_by": response.responded_by,
        "responder_agency_id": response.responder_agency_id,
    }


def _event_document(event: CustodyEvent) -> dict[str, Any]:
    party = event.party
    return {
        "kind": event.kind.value,
        "date": event.date.isoformat(),
        "party": {
            "name": party.name,
            "role": party.role.value,
            "country": party.country,
            "licence": party.licence,
        },
    }


def message_values(message: TraceMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "request_id": message.request_id,
        "author_id": message.author_id,
        "author_agency_id": message.author_agency_id,
        "side": message.side.value,
        "body": message.body,
        "attachments": [
            {
                "filename": a.filename,
                "media_type": a.media_type,
                "size_bytes": a.size_bytes,
                "sha256": a.sha256,
            }
            for a in message.attachments
        ],
        "posted_at": message.posted_at,
    }


def request_from_rows(
    header: Row, transitions: Iterable[Row] | None, responses: Iterable[Row] | None
) -> TraceRequest:
    """A request from its row; without history when `transitions` is None (lists)."""
    outcome = header["outcome"]
    return TraceRequest(
        id=header["id"],
        requester_agency_id=header["requester_agency_id"],
        addressee_agency_id=header["addressee_agency_id"],
        item=TracedItem(
            recovery_id=header["recovery_id"],
            item_id=header["item_id"],
            recovered_at=header["item_recovered_at"],
            recovery_country=header["item_country"],
            circumstances=header["item_circumstances"],
            description=_document(header["item_description"]),
        ),
        legal_justification=header["legal_justification"],
        intended_use=header["intended_use"],
        priority=Priority(header["priority"]),
        status=TraceStatus(header["status"]),
        version=header["version"],
        created_at=header["created_at"],
        created_by=header["created_by"],
        updated_at=header["updated_at"],
        submitted_at=header["submitted_at"],
        acknowledged_at=header["acknowledged_at"],
        first_response_at=header["first_response_at"],
        ended_at=header["ended_at"],
        acknowledge_by=header["acknowledge_by"],
        respond_by=header["respond_by"],
        info_requested_at=header["info_requested_at"],
        outcome=Outcome(outcome) if outcome else None,
        time_to_crime_days=header["time_to_crime_days"],
        transitions=tuple(_transition(r) for r in transitions or ()),
        responses=tuple(_response(r) for r in responses or ()),
        history_loaded=transitions is not None,
    )


def _transition(row: Row) -> Transition:
    return Transition(
        version=row["version"],
        action=TraceAction(row["action"]),
        from_status=TraceStatus(row["from_status"]) if row["from_status"] else None,
        to_status=TraceStatus(row["to_status"]),
        at=row["at"],
        by=row["by_id"],
        by_agency_id=row["by_agency_id"],
        reason=row["reason"],
    )


def _response(row: Row) -> TraceResponse:
    return TraceResponse(
        id=row["id"],
        number=row["number"],
        version=row["version"],
        outcome=Outcome(row["outcome"]),
        chain_of_custody=tuple(_event(e) for e in _document(row["chain_of_custody"])),
        notes=row["notes"],
        time_to_crime_days=row["time_to_crime_days"],
        responded_at=row["responded_at"],
        responded_by=row["responded_by"],
        responder_agency_id=row["responder_agency_id"],
    )


def _event(document: Mapping[str, Any]) -> CustodyEvent:
    party = document["party"]
    return CustodyEvent(
        kind=CustodyEventKind(document["kind"]),
        date=date.fromisoformat(document["date"]),
        party=Party(
            name=party["name"],
            role=PartyRole(party["role"]),
            country=party["country"],
            licence=party.get("licence"),
        ),
    )


def message_from_row(row: Row) -> TraceMessage:
    return TraceMessage(
        id=row["id"],
        request_id=row["request_id"],
        author_id=row["author_id"],
        author_agency_id=row["author_agency_id"],
        side=Side(row["side"]),
        body=row["body"],
        attachments=tuple(
            Attachment(a["filename"], a["media_type"], a["size_bytes"], a["sha256"])
            for a in _document(row["attachments"])
        ),
        posted_at=row["posted_at"],
    )


def _document(value: Any) -> Any:
    """A JSON column's value: decoded by the driver, or text where it was not."""
    return json.loads(value) if isinstance(value, str) else value
