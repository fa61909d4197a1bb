"""Messages exchanged with other systems, versioned. Their JSON Schemas are published in
schemas/ (a test fails when the files and these models drift apart).

Readers are tolerant: unknown fields are ignored, so a peer may add fields in a minor
change; a missing or mistyped field is a broken message.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from service.adapters.moments import Day, Moment
from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.federation import (
    MESSAGE_STEP,
    TRAVELLING,
    ExchangedResponse,
    ExchangedThreadMessage,
    SubmittedRequest,
    TraceExchange,
)
from service.domain.registry import RegistryMatch, RegistryRecordReport
from service.domain.trace_thread import AttachmentReport
from service.domain.trace_workflow import Priority, TraceAction
from service.domain.traced_item import TracedItem

REGISTRY_SEARCH_V1: Final = "tracedesk.registry-search.v1"
TRACE_EXCHANGE_V1: Final = "tracedesk.trace-exchange.v1"
TRACE_RECEIPT_V1: Final = "tracedesk.trace-receipt.v1"


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegistryRecordMessage(Message):
    reference: str = Field(max_length=100)
    status: str = Field(max_length=16)
    serial: str = Field(max_length=64)
    make: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=64)
    calibre: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, max_length=2)
    recorded_on: Day | None = None
    details: dict[str, str] = Field(default_factory=dict)

    def report(self) -> RegistryRecordReport:
        return RegistryRecordReport(
            reference=self.reference,
            status=self.status,
            serial=self.serial,
            make=self.make,
            model=self.model,
            calibre=self.calibre,
            country=self.country,
            recorded_on=self.recorded_on,
            details=self.details,
        )


class RegistryMatchMessage(Message):
    record: RegistryRecordMessage
    match_kind: str
    confidence: float


class RegistrySearchAnswer(Message):
    """The answer to GET /api/v1/registries/{name}/search."""

    schema_version: Literal["tracedesk.registry-search.v1"] = REGISTRY_SEARCH_V1
    registry: str
    matches: list[RegistryMatchMessage]


def registry_answer(registry: str, matches: list[RegistryMatch]) -> RegistrySearchAnswer:
    return RegistrySearchAnswer(
        registry=registry,
        matches=[
            RegistryMatchMessage(
                record=RegistryRecordMessage(
                    reference=m.record.reference,
                    status=m.record.status.value,
                    serial=m.record.identifier.raw,
                    make=m.record.make.raw if m.record.make else None,
                    model=m.record.model,
                    calibre=m.record.calibre.raw if m.record.calibre else None,
                    country=m.record.country,
                    recorded_on=m.record.recorded_on,
                    details=dict(m.record.details),
                ),
                match_kind=m.kind.value,
                confidence=m.confidence,
            )
            for m in matches
        ],
    )


class TracedItemMessage(Message):
    """The item as the request carries it: identifiers and markings as entered, with
    what was derived from them, and the facts of the recovery a responder needs."""

    recovery_id: UUID
    item_id: UUID
    recovered_at: Moment
    recovery_country: str = Field(min_length=2, max_length=2)
    circumstances: str = Field(max_length=32)
    description: dict[str, Any]


class SubmittedRequestMessage(Message):
    requester_agency_id: UUID
    addressee_agency_id: UUID
    item: TracedItemMessage
    legal_justification: str = Field(max_length=4000)
    intended_use: str = Field(max_length=2000)
    priority: Priority
    created_at: Moment
    created_by: UUID
    acknowledge_by: Moment | None = None
    respond_by: Moment | None = None


class PartyMessage(Message):
    name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    country: str = Field(max_length=2)
    licence: str | None = Field(default=None, max_length=64)


class CustodyEventMessage(Message):
    kind: str = Field(max_length=32)
    date: Day
    party: PartyMessage


class ResponseMessage(Message):
    id: UUID
    outcome: str = Field(max_length=24)
    chain_of_custody: list[CustodyEventMessage] = Field(max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)


class AttachmentMessage(Message):
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=200)
    size_bytes: int = Field(ge=0)
    sha256: str = Field(min_length=64, max_length=64)


class ThreadMessageMessage(Message):
    id: UUID
    body: str = Field(max_length=10_000)
    attachments: list[AttachmentMessage] = Field(default_factory=list, max_length=20)


class TraceExchangeMessage(Message):
    """One step of a trace request, sent to the instance of the other agency:
    POST /api/v1/federation/trace-exchanges. `message_id` makes delivery idempotent."""

    schema_version: Literal["tracedesk.trace-exchange.v1"] = TRACE_EXCHANGE_V1
    message_id: UUID
    request_id: UUID
    step: Literal[tuple(sorted({MESSAGE_STEP, *(a.value for a in TRAVELLING)}))]  # type: ignore[valid-type]
    sender_agency_id: UUID
    recipient_agency_id: UUID
    by: UUID = Field(description="Who took the step, on the sending instance")
    at: Moment
    version: int = Field(
        ge=1, le=2**31 - 1, description="The sender's version once the step was taken"
    )
    reason: str | None = Field(default=None, max_length=4000)
    request: SubmittedRequestMessage | None = None
    response: ResponseMessage | None = None
    thread_message: ThreadMessageMessage | None = Field(
        default=None, description="With step `message`: a message on the request's thread"
    )

    @classmethod
    def of(cls, exchange: TraceExchange) -> TraceExchangeMessage:
        # The domain's dataclasses carry the messages' field names; only the step is
        # named differently (a workflow action, or a thread message).
        fields = {f.name: getattr(exchange, f.name) for f in dataclasses.fields(exchange)}
        fields["step"] = exchange.action.value if exchange.action else MESSAGE_STEP
        return cls.model_validate(fields, from_attributes=True)

    def exchange(self) -> TraceExchange:
        asked, answer, written = self.request, self.response, self.thread_message
        return TraceExchange(
            message_id=self.message_id,
            request_id=self.request_id,
            action=None if self.step == MESSAGE_STEP else TraceAction(self.step),
            sender_agency_id=self.sender_agency_id,
            recipient_agency_id=self.recipient_agency_id,
            by=self.by,
            at=self.at,
            version=self.version,
            reason=self.reason,
            request=None
            if asked is None
            else SubmittedRequest(
                **asked.model_dump(exclude={"item"}), item=TracedItem(**asked.item.model_dump())
            ),
            response=None
            if answer is None
            else ExchangedResponse(
                id=answer.id,
                outcome=answer.outcome,
                chain_of_custody=tuple(
                    CustodyEventReport(
                        kind=event.kind,
                        date=event.date,
                        party=PartyReport(**event.party.model_dump()),
                    )
                    for event in answer.chain_of_custody
                ),
                notes=answer.notes,
            ),
            thread_message=None
            if written is None
            else ExchangedThreadMessage(
                id=written.id,
                body=written.body,
                attachments=tuple(AttachmentReport(**a.model_dump()) for a in written.attachments),
            ),
        )


class TraceReceiptMessage(Message):
    """The answer to a trace exchange: taken now, or already taken before (`duplicate`)."""

    schema_version: Literal["tracedesk.trace-receipt.v1"] = TRACE_RECEIPT_V1
    message_id: UUID
    request_id: UUID
    status: str
    duplicate: bool


# Every message exchanged with peers, each with its versioned schema.
EXCHANGE_MESSAGES: Final[tuple[type[Message], ...]] = (
    RegistrySearchAnswer,
    TraceExchangeMessage,
    TraceReceiptMessage,
)
