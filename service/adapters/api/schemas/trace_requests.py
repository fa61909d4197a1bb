"""The public shape of trace requests, their answers, threads and statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from service.adapters.api.schemas.recoveries import CountryCode, Strict
from service.adapters.moments import Day
from service.domain.custody import CustodyEvent, CustodyEventKind, CustodyEventReport, PartyReport
from service.domain.trace_request import (
    MAX_INTENDED_USE,
    MAX_JUSTIFICATION,
    MAX_NOTES,
    MAX_REASON,
    TraceRequest,
    TraceResponse,
    Transition,
)
from service.domain.trace_statistics import Durations, TracingFigures
from service.domain.trace_thread import MAX_BODY, AttachmentReport, TraceMessage
from service.domain.trace_workflow import Outcome, Priority, Side, TraceAction, TraceStatus
from service.trace_requests import RequestTrace


class AddresseeIn(Strict):
    agency_id: UUID = Field(description="The agency able to follow the item's history")


class TraceRequestCreate(Strict):
    """ITI paragraph 17: the item (from one of your recoveries), why it is considered
    illicit, and what the information will be used for."""

    recovery_id: UUID
    item_id: UUID = Field(description="The item of that recovery to trace")
    addressee: AddresseeIn
    legal_justification: str = Field(
        min_length=1,
        max_length=MAX_JUSTIFICATION,
        examples=["Recovered at a homicide scene; possession without licence is an offence."],
    )
    intended_use: str = Field(
        min_length=1, max_length=MAX_INTENDED_USE, examples=["Criminal investigation"]
    )
    priority: Priority = Priority.ROUTINE
    submit: bool = Field(
        default=False, strict=True, description="Submit at once instead of keeping a draft"
    )

    def command(self) -> RequestTrace:
        return RequestTrace(
            recovery_id=self.recovery_id,
            item_id=self.item_id,
            addressee_agency_id=self.addressee.agency_id,
            legal_justification=self.legal_justification,
            intended_use=self.intended_use,
            priority=self.priority.value,
            submit=self.submit,
        )


class QuestionIn(Strict):
    question: str = Field(
        min_length=1, max_length=MAX_REASON, examples=["Please send photographs of the frame."]
    )


class AnswerIn(Strict):
    answer: str = Field(min_length=1, max_length=MAX_REASON)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=MAX_REASON)


class PartyIn(Strict):
    name: str = Field(max_length=200, examples=["Armurerie Centrale SARL"])
    role: str = Field(
        description="manufacturer, exporter, importer, wholesaler, dealer, retail_purchaser, "
        "government_holder",
        examples=["dealer"],
    )
    country: CountryCode
    licence: str | None = Field(
        default=None, max_length=64, description="Licence or registration number"
    )


class CustodyEventIn(Strict):
    kind: str = Field(
        description="manufacture, export, import, sale, transfer, reported_lost, "
        "reported_stolen, government_custody",
        examples=["sale"],
    )
    date: Day
    party: PartyIn

    def report(self) -> CustodyEventReport:
        party = self.party
        return CustodyEventReport(
            self.kind, self.date, PartyReport(party.name, party.role, party.country, party.licence)
        )


class ResponseIn(Strict):
    outcome: str = Field(
        description="traced, partially_traced or not_traced (to decline, use /decline)",
        examples=["traced"],
    )
    chain_of_custody: list[CustodyEventIn] = Field(default_factory=list, max_length=100)
    notes: str | None = Field(default=None, max_length=MAX_NOTES)


class AttachmentIn(Strict):
    filename: str = Field(max_length=255, examples=["frame-left.jpg"])
    media_type: str = Field(max_length=127, examples=["image/jpeg"])
    size_bytes: int = Field(ge=0, strict=True)
    sha256: str = Field(min_length=64, max_length=64)

    def report(self) -> AttachmentReport:
        return AttachmentReport(self.filename, self.media_type, self.size_bytes, self.sha256)


class MessageIn(Strict):
    body: str = Field(min_length=1, max_length=MAX_BODY)
    attachments: list[AttachmentIn] = Field(
        default_factory=list, max_length=20, description="Metadata only; files travel apart"
    )


class TracedItemOut(BaseModel):
    recovery_id: UUID
    item_id: UUID
    recovered_at: datetime
    recovery_country: str
    circumstances: str
    description: dict[str, Any] = Field(
        description="The item's identifiers and markings as sent: raw values, canonical "
        "make and calibre, normalized serial"
    )


class TransitionOut(BaseModel):
    version: int
    action: TraceAction
    from_status: TraceStatus | None
    to_status: TraceStatus
    at: datetime
    by: UUID
    by_agency_id: UUID
    reason: str | None


class PartyOut(BaseModel):
    name: str
    role: str
    country: str
    licence: str | None


class CustodyEventOut(BaseModel):
    kind: CustodyEventKind
    date: date
    party: PartyOut


class ResponseOut(BaseModel):
    id: UUID
    number: int = Field(description="1 for the first answer, then supplementary ones")
    outcome: Outcome
    chain_of_custody: list[CustodyEventOut]
    notes: str | None
    time_to_crime_days: int | None
    responded_at: datetime
    responded_by: UUID
    responder_agency_id: UUID


class TraceRequestSummary(BaseModel):
    id: UUID
    requester_agency_id: UUID
    addressee_agency_id: UUID
    item: TracedItemOut
    priority: Priority
    status: TraceStatus
    version: int
    created_at: datetime
    submitted_at: datetime | None
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    ended_at: datetime | None
    acknowledge_by: datetime | None
    respond_by: datetime | None
    due_at: datetime | None = Field(description="When the step owed next is due")
    overdue: bool = Field(
        description="A step is owed now and its due time has passed (for either side: "
        "the requester sees what its addressee owes it)"
    )
    answered_late: bool | None = Field(
        description="The first answer came after `respond_by`; null before an answer. "
        "An answered request is no longer overdue, whenever the answer came"
    )
    waiting_on: Side | None
    outcome: Outcome | None
    time_to_crime_days: int | None
    your_actions: list[TraceAction] = Field(
        description="The actions you may take on the request now"
    )


class DeliveryOut(BaseModel):
    state: Literal["delivered", "waiting", "failed"] = Field(
        description="How the steps taken here travel to the other agency's instance: all "
        "delivered, some waiting (retried with a growing delay), or some refused by the "
        "peer for good (someone must look)"
    )
    waiting: int
    failed: int
    last_error: str | None = Field(description="Why the last attempt failed, if it did")
    next_attempt_at: datetime | None


class TraceRequestPublic(TraceRequestSummary):
    legal_justification: str
    intended_use: str
    history: list[TransitionOut]
    responses: list[ResponseOut]
    delivery: DeliveryOut | None = Field(
        default=None,
        description="Only when the other agency works on another tracedesk instance",
    )


class TraceRequestPage(BaseModel):
    requests: list[TraceRequestSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class AttachmentOut(BaseModel):
    filename: str
    media_type: str
    size_bytes: int
    sha256: str


class MessageOut(BaseModel):
    id: UUID
    request_id: UUID
    author_id: UUID
    author_agency_id: UUID
    side: Side
    body: str
    attachments: list[AttachmentOut]
    posted_at: datetime


class MessagePage(BaseModel):
    messages: list[MessageOut]
    next_cursor: str | None


class DurationsOut(BaseModel):
    count: int
    median_hours: float | None
    p90_hours: float | None


class TracingFiguresOut(BaseModel):
    responding_agency_id: UUID
    period: str
    submitted: int
    by_outcome: dict[str, int]
    time_to_acknowledge: DurationsOut
    time_to_respond: DurationsOut
    answers_due: int = Field(description="Answers given plus answers overdue")
    answered_on_time: int
    on_time_share: float | None
    time_to_crime: dict[str, int] = Field(description="Traced weapons per time-to-crime band")
    short_time_to_crime: int = Field(description="Traced weapons recovered within 3 years")


class TracingStatisticsOut(BaseModel):
    box: str
    period: str
    submitted_from: datetime
    submitted_to: datetime
    figures: list[TracingFiguresOut]


def _event_out(event: CustodyEvent) -> CustodyEventOut:
    party = event.party
    return CustodyEventOut(
        kind=event.kind,
        date=event.date,
        party=PartyOut(
            name=party.name, role=party.role.value, country=party.country, licence=party.licence
        ),
    )


def _response_out(response: TraceResponse) -> ResponseOut:
    return ResponseOut(
        id=response.id,
        number=response.number,
        outcome=response.outcome,
        chain_of_custody=[_event_out(e) for e in response.chain_of_custody],
        notes=response.notes,
        time_to_crime_days=response.time_to_crime_days,
        responded_at=response.responded_at,
        responded_by=response.responded_by,
        responder_agency_id=response.responder_agency_id,
    )


def _transition_out(transition: Transition) -> TransitionOut:
    return TransitionOut(
        version=transition.version,
        action=transition.action,
        from_status=transition.from_status,
        to_status=transition.to_status,
        at=transition.at,
        by=transition.by,
        by_agency_id=transition.by_agency_id,
        reason=transition.reason,
    )


def _summary_fields(
    request: TraceRequest, now: datetime, your_actions: list[TraceAction]
) -> dict[str, Any]:
    item = request.item
    return {
        "id": request.id,
        "requester_agency_id": request.requester_agency_id,
        "addressee_agency_id": request.addressee_agency_id,
        "item": TracedItemOut(
            recovery_id=item.recovery_id,
            item_id=item.item_id,
            recovered_at=item.recovered_at,
            recovery_country=item.recovery_country,
            circumstances=item.circumstances,
            description=dict(item.description),
        ),
        "priority": request.priority,
        "status": request.status,
        "version": request.version,
        "created_at": request.created_at,
        "submitted_at": request.submitted_at,
        "acknowledged_at": request.acknowledged_at,
        "first_response_at": request.first_response_at,
        "ended_at": request.ended_at,
        "acknowledge_by": request.acknowledge_by,
        "respond_by": request.respond_by,
        "due_at": request.due_at,
        "overdue": request.overdue(now),
        "answered_late": request.answered_late,
        "waiting_on": request.waiting_on,
        "outcome": request.outcome,
        "time_to_crime_days": request.time_to_crime_days,
        "your_actions": your_actions,
    }


def trace_request_public(
    request: TraceRequest, now: datetime, your_actions: list[TraceAction]
) -> TraceRequestPublic:
    return TraceRequestPublic(
        **_summary_fields(request, now, your_actions),
        legal_justification=request.legal_justification,
        intended_use=request.intended_use,
        history=[_transition_out(t) for t in request.transitions],
        responses=[_response_out(r) for r in request.responses],
    )


def trace_request_summary(
    request: TraceRequest, now: datetime, your_actions: list[TraceAction]
) -> TraceRequestSummary:
    return TraceRequestSummary(**_summary_fields(request, now, your_actions))


def message_out(message: TraceMessage) -> MessageOut:
    return MessageOut(
        id=message.id,
        request_id=message.request_id,
        author_id=message.author_id,
        author_agency_id=message.author_agency_id,
        side=message.side,
        body=message.body,
        attachments=[
            AttachmentOut(
                filename=a.filename,
                media_type=a.media_type,
                size_bytes=a.size_bytes,
                sha256=a.sha256,
            )
            for a in message.attachments
        ],
        posted_at=message.posted_at,
    )


def _durations(durations: Durations) -> DurationsOut:
    return DurationsOut(
        count=durations.count, median_hours=durations.median_hours, p90_hours=durations.p90_hours
    )


def figures_out(figures: TracingFigures) -> TracingFiguresOut:
    return TracingFiguresOut(
        responding_agency_id=figures.responding_agency_id,
        period=figures.period,
        submitted=figures.submitted,
        by_outcome=figures.by_outcome,
        time_to_acknowledge=_durations(figures.time_to_acknowledge),
        time_to_respond=_durations(figures.time_to_respond),
        answers_due=figures.answers_due,
        answered_on_time=figures.answered_on_time,
        on_time_share=figures.on_time_share,
        time_to_crime=figures.time_to_crime,
        short_time_to_crime=figures.short_time_to_crime,
    )
