"""Trace requests between tracedesk instances.

When the two agencies of a request are hosted on different instances, each instance
keeps its own copy of the request. Every step taken on one side travels to the other
as an exchange message, and the other side takes the same step on its copy: the
submission carries the request as asked; an acknowledgement, a question, an answer, a
response, a refusal, a withdrawal or a closing carries who took it, when, and what they
said. Each side's copy keeps its own version numbers (they are its optimistic-locking
tokens); the steps, their times, their authors and the responses are the same on both.

A message is identified by its id, so a message delivered twice is recognised and
changes nothing; the messages of one request travel in the order they were written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from service.domain.access import Actor
from service.domain.choices import choose
from service.domain.custody import CustodyEvent, CustodyEventReport, PartyReport
from service.domain.errors import (
    DatedAhead,
    DomainError,
    InvalidValue,
    ValidationCollector,
    ValidationFailed,
)
from service.domain.events import (
    DomainEvent,
    Receipt,
    ThreadMessagePosted,
    TraceRequestCreated,
    TraceStepTaken,
)
from service.domain.geography import check_country
from service.domain.recovery import Circumstances
from service.domain.text import check_text
from service.domain.trace_request import Stamp, TraceRequest, TraceResponse, Transition
from service.domain.trace_thread import AttachmentReport, TraceMessage
from service.domain.trace_workflow import (
    STEPS,
    Priority,
    Side,
    TraceAction,
    TraceStatus,
)
from service.domain.traced_item import TracedItem

# How a thread message is named where steps are: on the wire and in what was received.
MESSAGE_STEP: Final = "message"

_ANSWERS: Final = frozenset({TraceAction.RESPOND, TraceAction.DECLINE})

# Every step of the workflow travels, except the making of a draft: a draft is not sent.
TRAVELLING: Final = frozenset(STEPS) - {TraceAction.CREATE}


@dataclass(frozen=True, slots=True)
class SubmittedRequest:
    """What a submission carries: the request as asked (ITI paragraph 17) and its
    deadlines, which the requester's policy set when it was submitted."""

    requester_agency_id: UUID
    addressee_agency_id: UUID
    item: TracedItem
    legal_justification: str
    intended_use: str
    priority: Priority
    created_at: datetime
    created_by: UUID
    acknowledge_by: datetime | None
    respond_by: datetime | None


@dataclass(frozen=True, slots=True)
class ExchangedResponse:
    """An answer as it travels; a refusal too (outcome `declined`, the reason as notes)."""

    id: UUID
    outcome: str
    chain_of_custody: tuple[CustodyEventReport, ...]
    notes: str | None


@dataclass(frozen=True, slots=True)
class ExchangedThreadMessage:
    """A message written on the request's thread (not a step of the workflow)."""

    id: UUID
    body: str
    attachments: tuple[AttachmentReport, ...] = ()


@dataclass(frozen=True, slots=True)
class TraceExchange:
    """One step of a request, or one message of its thread (`action` None), as it
    travels to the other side's instance."""

    message_id: UUID
    request_id: UUID
    action: TraceAction | None
    sender_agency_id: UUID
    recipient_agency_id: UUID
    by: UUID  # the person (or integration) who took the step, on the sending side
    at: datetime
    version: int  # the sender's version once the step was taken
    reason: str | None = None  # the question, the answer, why declined or withdrawn
    request: SubmittedRequest | None = None  # with a submission
    response: ExchangedResponse | None = None  # with a response
    thread_message: ExchangedThreadMessage | None = None  # with a thread message


def exchange_of(request: TraceRequest, *, version: int, message_id: UUID) -> TraceExchange:
    """The message telling the other side about the step that made `version`."""
    transition = next((t for t in request.transitions if t.version == version), None)
    if transition is None or transition.action not in TRAVELLING:
        raise ValueError(f"trace request {request.id} has no step at version {version} to send")
    sender = transition.by_agency_id
    recipient = request.counterpart(sender)
    return TraceExchange(
        message_id=message_id,
        request_id=request.id,
        action=transition.action,
        sender_agency_id=sender,
        recipient_agency_id=recipient,
        by=transition.by,
        at=transition.at,
        version=version,
        reason=transition.reason,
        request=_submitted(request) if transition.action is TraceAction.SUBMIT else None,
        response=_exchanged(request, version) if transition.action in _ANSWERS else None,
    )


def message_exchange(
    request: TraceRequest, message: TraceMessage, *, message_id: UUID
) -> TraceExchange:
    """The message telling the other side about a message written on the thread here."""
    return TraceExchange(
        message_id=message_id,
        request_id=request.id,
        action=None,
        sender_agency_id=message.author_agency_id,
        recipient_agency_id=request.counterpart(message.author_agency_id),
        by=message.author_id,
        at=message.posted_at,
        version=request.version,
        thread_message=ExchangedThreadMessage(
            id=message.id,
            body=message.body,
            attachments=tuple(
                AttachmentReport(a.filename, a.media_type, a.size_bytes, a.sha256)
                for a in message.attachments
            ),
        ),
    )


def received_thread_message(request: TraceRequest, exchange: TraceExchange) -> TraceMessage:
    """The receiving side's copy of a thread message, with the same id, author and time.
    Only the two parties write on a thread, and only while it is open."""
    written = exchange.thread_message
    if written is None:
        raise ValidationFailed.of(InvalidValue("thread_message", "the message is missing"))
    sender = exchange.sender_agency_id
    if not request.side_of(sender) or exchange.recipient_agency_id != request.counterpart(sender):
        raise ValidationFailed.of(
            InvalidValue("sender_agency_id", "does not write on this request's thread")
        )
    request.check_thread_open()
    return TraceMessage.post(
        message_id=written.id,
        request_id=request.id,
        author_id=exchange.by,
        author_agency_id=sender,
        recipient_agency_id=exchange.recipient_agency_id,
        side=Side.REQUESTER if sender == request.requester_agency_id else Side.RESPONDER,
        body=written.body,
        attachments=written.attachments,
        now=exchange.at,
        by=None,
    )


# How much of a received item's description is taken: what `describe` makes is flat,
# with a list or object of markings at most one level down.
MAX_DESCRIPTION_FIELDS: Final = 60
MAX_DESCRIPTION_DEPTH: Final = 3
MAX_DESCRIPTION_TEXT: Final = 2000


def check_received_item(item: TracedItem) -> None:
    """A peer's description of the item it asks about is evidence as any other: its
    circumstances and country are known values, and every text in it is printable and
    bounded (the description is otherwise the peer's to shape)."""
    problems = ValidationCollector()
    path = "request.item"
    try:
        choose(Circumstances, item.circumstances, f"{path}.circumstances")
    except InvalidValue as error:
        problems.add(error)
    try:
        check_country(item.recovery_country, f"{path}.recovery_country")
    except InvalidValue as error:
        problems.add(error)
    fields = 0

    def walk(value: Any, at: str, depth: int) -> None:
        nonlocal fields
        fields += 1
        if depth > MAX_DESCRIPTION_DEPTH or fields > MAX_DESCRIPTION_FIELDS:
            problems.add(InvalidValue(at, "the description is too large or too deep"))
            return
        if isinstance(value, str):
            try:
                check_text(value, at, max_length=MAX_DESCRIPTION_TEXT, required=False)
            except InvalidValue as error:
                problems.add(error)
        elif isinstance(value, Mapping):
            for key, inner in value.items():
                try:
                    check_text(str(key), at, max_length=64)
                except InvalidValue as error:
                    problems.add(error)
                    continue
                walk(inner, f"{at}.{key}", depth + 1)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, f"{at}.{index}", depth + 1)
        elif value is not None and not isinstance(value, bool | int | float):
            problems.add(InvalidValue(at, "must be text, a number, true, false or null"))

    walk(item.description, f"{path}.description", 0)
    problems.raise_if_any()


def mark_received(events: list[DomainEvent], *, by: Actor, peer: str, message_id: UUID) -> None:
    """What a peer's message just made happen here: recorded as done by the peer's
    integration (`by`), saying which peer and which message brought it."""
    receipt = Receipt(peer, message_id)
    for position, event in enumerate(events):
        if isinstance(event, TraceRequestCreated | TraceStepTaken | ThreadMessagePosted):
            events[position] = dataclasses.replace(event, actor=by, received=receipt)


def _submitted(request: TraceRequest) -> SubmittedRequest:
    return SubmittedRequest(
        requester_agency_id=request.requester_agency_id,
        addressee_agency_id=request.addressee_agency_id,
        item=request.item,
        legal_justification=request.legal_justification,
        intended_use=request.intended_use,
        priority=request.priority,
        created_at=request.created_at,
        created_by=request.created_by,
        acknowledge_by=request.acknowledge_by,
        respond_by=request.respond_by,
    )


def _exchanged(request: TraceRequest, version: int) -> ExchangedResponse:
    response = next(r for r in request.responses if r.version == version)
    return ExchangedResponse(
        id=response.id,
        outcome=response.outcome.value,
        chain_of_custody=tuple(_report(event) for event in response.chain_of_custody),
        notes=response.notes,
    )


def _report(event: CustodyEvent) -> CustodyEventReport:
    party = event.party
    return CustodyEventReport(
        kind=event.kind.value,
        date=event.date,
        party=PartyReport(party.name, party.role.value, party.country, party.licence),
    )


# How far ahead of this instance's clock another instance's may run: a step stamped
# later than that was not taken yet, whatever the sender says.
MAX_CLOCK_SKEW: Final = timedelta(minutes=10)


def check_exchange_times(exchange: TraceExchange, *, now: datetime) -> None:
    """The times a received message carries must be ones it could have: a request
    created before it was sent, its deadlines after it was sent and the answer's after
    the acknowledgement's (ValidationFailed); and taken no later than now, within a
    clock's skew (DatedAhead: to be sent again)."""
    problems = ValidationCollector()
    asked = exchange.request
    if asked is not None:
        if asked.created_at > exchange.at:
            problems.add(InvalidValue("request.created_at", "is after the request was sent"))
        for name, due in (
            ("acknowledge_by", asked.acknowledge_by),
            ("respond_by", asked.respond_by),
        ):
            if due is not None and due <= exchange.at:
                problems.add(InvalidValue(f"request.{name}", "is not after the request was sent"))
        if (
            asked.acknowledge_by is not None
            and asked.respond_by is not None
            and asked.respond_by < asked.acknowledge_by
        ):
            problems.add(InvalidValue("request.respond_by", "is before acknowledge_by"))
    problems.raise_if_any()
    ahead = exchange.at - (now + MAX_CLOCK_SKEW)
    if ahead > timedelta(0):
        # A clock runs ahead for a while; the step is taken once ours has caught up.
        raise DatedAhead(min(int(ahead.total_seconds()) + 1, 3600))


def received_request(exchange: TraceExchange) -> TraceRequest:
    """The receiving side's copy of a submitted request: created and submitted by the
    requester, at the times and with the deadlines the requester's instance recorded."""
    asked = exchange.request
    if exchange.action is not TraceAction.SUBMIT or asked is None:
        raise ValidationFailed.of(InvalidValue("request", "a submission carries the request"))
    if (asked.requester_agency_id, asked.addressee_agency_id) != (
        exchange.sender_agency_id,
        exchange.recipient_agency_id,
    ):
        raise ValidationFailed.of(
            InvalidValue("request", "is not from the sender to the recipient")
        )
    check_received_item(asked.item)
    request = TraceRequest.create(
        request_id=exchange.request_id,
        requester_agency_id=asked.requester_agency_id,
        addressee_agency_id=asked.addressee_agency_id,
        item=asked.item,
        legal_justification=asked.legal_justification,
        intended_use=asked.intended_use,
        priority=asked.priority.value,
        actor=Stamp(by=asked.created_by, agency_id=asked.requester_agency_id, at=asked.created_at),
    )
    # The deadlines are those the request was sent with: the receiver's own policy does
    # not apply to another instance's request.
    request.submit_due(
        _stamp(exchange),
        expected_version=1,
        acknowledge_by=asked.acknowledge_by,
        respond_by=asked.respond_by,
    )
    return request


def apply_exchange(request: TraceRequest, exchange: TraceExchange) -> Transition | TraceResponse:
    """Take on the receiving side's copy the step the other side took. The sender must
    stand on the side the step belongs to; the step must be allowed now (concurrent
    steps on both sides can make it not: that is an IllegalTransition, for people to
    sort out, never a silent overwrite)."""
    if exchange.action is None:
        raise ValidationFailed.of(InvalidValue("step", "a thread message is not a step"))
    side = STEPS[exchange.action].side
    if exchange.action is TraceAction.SUBMIT:
        raise ValidationFailed.of(InvalidValue("action", "this request was already submitted"))
    if side not in request.side_of(exchange.sender_agency_id) or (
        exchange.recipient_agency_id != request.counterpart(exchange.sender_agency_id)
    ):
        raise ValidationFailed.of(
            InvalidValue("sender_agency_id", "does not take this step on this request")
        )
    stamp, version = _stamp(exchange), request.version
    action = exchange.action
    if action is TraceAction.ACKNOWLEDGE:
        return request.acknowledge(stamp, expected_version=version)
    if action is TraceAction.REQUEST_INFO:
        return request.request_info(stamp, expected_version=version, question=exchange.reason or "")
    if action is TraceAction.PROVIDE_INFO:
        return request.provide_info(stamp, expected_version=version, answer=exchange.reason or "")
    if action is TraceAction.RESPOND:
        answer = exchange.response
        if answer is None:
            raise ValidationFailed.of(InvalidValue("response", "a response carries the answer"))
        return request.respond(
            stamp,
            expected_version=version,
            response_id=answer.id,
            outcome=answer.outcome,
            chain_of_custody=answer.chain_of_custody,
            notes=answer.notes,
        )
    if action is TraceAction.DECLINE:
        refusal = exchange.response
        return request.decline(
            stamp,
            expected_version=version,
            response_id=refusal.id if refusal else exchange.message_id,
            reason=exchange.reason or "",
        )
    if action is TraceAction.WITHDRAW:
        return request.withdraw(stamp, expected_version=version, reason=exchange.reason or "")
    return request.close(stamp, expected_version=version)


def _stamp(exchange: TraceExchange) -> Stamp:
    return Stamp(by=exchange.by, agency_id=exchange.sender_agency_id, at=exchange.at)


@dataclass
class DeliveryFailed(DomainError):
    """A peer did not take a message. `retry`: whether trying later may help (it was
    down, slow, overloaded) or not (it refused: the message needs a person's attention)."""

    peer: str
    reason: str
    retry: bool

    def __post_init__(self) -> None:
        super().__init__(f"delivery to {self.peer} failed: {self.reason}")


@dataclass(frozen=True, slots=True)
class ReceivedExchange:
    """A message taken from a peer, remembered so a second delivery changes nothing."""

    message_id: UUID
    request_id: UUID
    step: str  # a workflow action, or MESSAGE_STEP
    peer: str
    sender_agency_id: UUID
    received_at: datetime
    status_after: TraceStatus


def receipt(
    exchange: TraceExchange, *, peer: str, now: datetime, status: TraceStatus
) -> ReceivedExchange:
    return ReceivedExchange(
        message_id=exchange.message_id,
        request_id=exchange.request_id,
        step=exchange.action.value if exchange.action else MESSAGE_STEP,
        peer=peer,
        sender_agency_id=exchange.sender_agency_id,
        received_at=now,
        status_after=status,
    )
