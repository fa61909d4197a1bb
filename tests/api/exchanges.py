"""Trace-exchange messages as a peer instance sends them, for the API tests."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.builders import AGENCY_A, new_id

AT = "2026-11-20T09:00:00Z"


def submission(sender: UUID, recipient: UUID = AGENCY_A, **changes: Any) -> dict[str, Any]:
    """A trace request submitted by `sender`, an agency hosted on a peer, to `recipient`."""
    message: dict[str, Any] = {
        "schema_version": "tracedesk.trace-exchange.v1",
        "message_id": str(new_id()),
        "request_id": str(new_id()),
        "step": "submit",
        "sender_agency_id": str(sender),
        "recipient_agency_id": str(recipient),
        "by": str(new_id()),
        "at": AT,
        "version": 2,
        "request": {
            "requester_agency_id": str(sender),
            "addressee_agency_id": str(recipient),
            "item": {
                "recovery_id": str(new_id()),
                "item_id": str(new_id()),
                "recovered_at": "2026-11-01T10:30:00Z",
                "recovery_country": "NL",
                "circumstances": "seizure",
                "description": {"kind": "firearm", "serial": "NL 4411"},
            },
            "legal_justification": "Seized at the port of Rotterdam.",
            "intended_use": "Criminal investigation",
            "priority": "routine",
            "created_at": AT,
            "created_by": str(new_id()),
            "acknowledge_by": "2026-11-22T09:00:00Z",
            "respond_by": "2026-12-20T09:00:00Z",
        },
    }
    message.update(changes)
    return message


def step(sender: UUID, request_id: str, step: str, recipient: UUID = AGENCY_A) -> dict[str, Any]:
    """A later step `sender` took on request `request_id` (a withdrawal carries its reason)."""
    return {
        **submission(sender, recipient),
        "request_id": request_id,
        "step": step,
        "request": None,
        "version": 3,
        "at": "2026-11-21T09:00:00Z",
        "reason": "Case closed" if step == "withdraw" else None,
    }
