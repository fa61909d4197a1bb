"""Use cases of the tracing workflow: ask, answer, follow up, read the inbox and outbox.

Every change is authorised by role and by side (the requesting agency's people act for
the requester, the addressed agency's for the responder), made against the version the
caller read, and audited in the same unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from service.auditing import audit_event
from service.dependencies import Dependencies
from service.domain.access import (
    Action,
    Actor,
    authorize,
    authorize_on_trace,
    step_permission,
)
from service.domain.custody import CustodyEventReport
from service.domain.errors import Forbidden, InvalidValue, ValidationFailed
from service.domain.ports.tracing import (
    Box,
    MessageCursor,
    MessagePage,
    TraceRequestCursor,
    TraceRequestFilter,
    TraceRequestPage,
)
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.trace_request import Stamp, TraceRequest
from service.domain.trace_thread import AttachmentReport, TraceMessage
from service.domain.trace_workflow import STEPS, Side, TraceAction, allowed_actions
from service.domain.traced_item import TracedItem
from service.trace_request_access import stored_trace_request

MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class RequestTrace:
    recovery_id: UUID
    item_id: UUID
    addressee_agency_id: UUID
    legal_justification: str
    intended_use: str
    priority: str
    submit: bool = False


# The workflow's commands, one per action; each names the action it performs.
@dataclass(frozen=True, slots=True)
class Submit:
    action = TraceAction.SUBMIT


@dataclass(frozen=True, slots=True)
class Acknowledge:
    action = TraceAction.ACKNOWLEDGE


@dataclass(frozen=True, slots=True)
class RequestInformation:
    question: str
    action = TraceAction.REQUEST_INFO


@dataclass(frozen=True, slots=True)
class ProvideInformation:
    answer: str
    action = TraceAction.PROVIDE_INFO


@dataclass(frozen=True, slots=True)
class Respond:
    outcome: str
    chain_of_custody: Sequence[CustodyEventReport]
    notes: str | None = None
    action = TraceAction.RESPOND


@dataclass(frozen=True, slots=True)
class Decline:
    reason: str
    action = TraceAction.DECLINE


@dataclass(frozen=True, slots=True)
class Withdraw:
    reason: str
    action = TraceAction.WITHDRAW


@dataclass(frozen=True, slots=True)
class Close:
    action = TraceAction.CLOSE


TraceCommand = (
    Submit
    | Acknowledge
    | RequestInformation
    | ProvideInformation
    | Respond
    | Decline
    | Withdraw
    | Close
)


def actions_for(actor: Actor, request: TraceRequest) -> list[TraceAction]:
    """The workflow actions this actor may take on the request now."""
    sides = {s for s in request.side_of(actor.agency_id) if actor.acts_for(s)}
    return [
        action
        for action in allowed_actions(request.status)
        if STEPS[action].side in sides and actor.may(step_permission(action))
    ]


async def request_trace(*, deps: Dependencies, actor: Actor, command: RequestTrace) -> TraceRequest:
    """Draft a trace request about an item of one of the agency's recoveries (and submit
    it at once when asked). The item is copied as it is now."""
    authorize(actor, Action.TRACE_REQUEST)
    stamp = Stamp.of(actor, deps.clock.now())
    async with deps.unit_of_work() as uow:
        item = await _item_to_trace(uow, actor, command)
        if await uow.agencies.get(command.addressee_agency_id) is None:
            raise ValidationFailed.of(InvalidValue("addressee.agency_id", "no such agency"))
        request = TraceRequest.create(
            request_id=deps.ids.new_id(),
            requester_agency_id=actor.agency_id,
            addressee_agency_id=command.addressee_agency_id,
            item=item,
            legal_justification=command.legal_justification,
            intended_use=command.intended_use,
            priority=command.priority,
            actor=stamp,
        )
        if command.submit:
            request.submit(stamp, expected_version=1, policy=deps.due_policy)
        uow.trace_requests.add(request)
        await uow.commit()
    return request


async def _item_to_trace(uow: UnitOfWork, actor: Actor, command: RequestTrace) -> TracedItem:
    recovery = await uow.recoveries.get(command.recovery_id)
    if recovery is None or not actor.reaches(Action.TRACE_REQUEST, recovery.agency_id):
        # The same answer for another agency's recovery as for none: nothing leaks.
        raise ValidationFailed.of(InvalidValue("recovery_id", "is not a recovery of your agency"))
    try:
        return TracedItem.of(recovery, command.item_id)
    except InvalidValue as problem:
        raise ValidationFailed.of(problem) from None


async def get_trace_request(*, deps: Dependencies, actor: Actor, request_id: UUID) -> TraceRequest:
    """A request with its history and responses, for either side. A view by the other
    agency is recorded: it reads the requesting agency's evidence."""
    async with deps.unit_of_work() as uow:
        request = await _visible(uow, actor, Action.TRACE_READ, request_id)
    if actor.agency_id != request.requester_agency_id:
        await deps.reads.record(
            audit_event(
                deps,
                actor=actor,
                action="trace_request.viewed",
                entity_type="trace_request",
                entity_id=request.id,
                changes={
                    "recovery_id": request.item.recovery_id,
                    "item_id": request.item.item_id,
                    "requester_agency_id": request.requester_agency_id,
                },
            )
        )
    return request


async def act_on_trace_request(
    *,
    deps: Dependencies,
    actor: Actor,
    request_id: UUID,
    expected_version: int,
    command: TraceCommand,
) -> TraceRequest:
    """Take one workflow action on a request read at `expected_version`."""
    permission = step_permission(command.action)
    authorize(actor, permission)
    stamp = Stamp.of(actor, deps.clock.now())
    async with deps.unit_of_work() as uow:
        request = await stored_trace_request(uow, request_id, visible_to=actor.agency_id)
        authorize_on_trace(
            actor,
            permission,
            agency_sides=request.side_of,
            side=STEPS[command.action].side,
            resource_id=request_id,
        )
        message = _apply(deps, stamp, request, expected_version, command)
        uow.trace_requests.save(request)
        if message is not None:
            uow.trace_thread.add(message)
        await uow.commit()
    return request


def _apply(
    deps: Dependencies,
    stamp: Stamp,
    request: TraceRequest,
    version: int,
    command: TraceCommand,
) -> TraceMessage | None:
    """Apply a command; for the exchange of information, the message that carries it
    into the thread."""
    if isinstance(command, Respond):
        request.respond(
            stamp,
            expected_version=version,
            response_id=deps.ids.new_id(),
            outcome=command.outcome,
            chain_of_custody=command.chain_of_custody,
            notes=command.notes,
        )
    elif isinstance(command, Decline):
        request.decline(
            stamp, expected_version=version, response_id=deps.ids.new_id(), reason=command.reason
        )
    elif isinstance(command, Submit):
        request.submit(stamp, expected_version=version, policy=deps.due_policy)
    elif isinstance(command, Acknowledge):
        request.acknowledge(stamp, expected_version=version)
    elif isinstance(command, RequestInformation):
        request.request_info(stamp, expected_version=version, question=command.question)
        return _message(deps, stamp, request, Side.RESPONDER, command.question)
    elif isinstance(command, ProvideInformation):
        request.provide_info(stamp, expected_version=version, answer=command.answer)
        return _message(deps, stamp, request, Side.REQUESTER, command.answer)
    elif isinstance(command, Withdraw):
        request.withdraw(stamp, expected_version=version, reason=command.reason)
    else:
        request.close(stamp, expected_version=version)
    return None


def _message(
    deps: Dependencies, stamp: Stamp, request: TraceRequest, side: Side, body: str
) -> TraceMessage:
    return TraceMessage.write(
        message_id=deps.ids.new_id(),
        request_id=request.id,
        author_id=stamp.by,
        author_agency_id=stamp.agency_id,
        side=side,
        body=body,
        now=request.updated_at,
    )


async def list_trace_requests(
    *,
    deps: Dependencies,
    actor: Actor,
    box: Box,
    request_filter: TraceRequestFilter,
    after: TraceRequestCursor | None,
    limit: int,
) -> TraceRequestPage:
    """The agency's outbox (for those who act for the requester) or inbox (for those who
    act for the responder), newest first."""
    _authorize_box(actor, box)
    async with deps.unit_of_work() as uow:
        page = await uow.trace_requests.page(
            agency_id=actor.agency_id,
            box=box,
            request_filter=request_filter,
            now=deps.clock.now(),
            after=after,
            limit=min(limit, MAX_PAGE_SIZE),
        )
    await _record_listing(deps, actor, box, page.requests)
    return page


async def owed_trace_requests(
    *, deps: Dependencies, actor: Actor, box: Box, limit: int
) -> list[TraceRequest]:
    """The requests of the box on which a step is owed, the earliest deadline first: in
    the inbox what the agency must do next, in the outbox what it waits for."""
    _authorize_box(actor, box)
    async with deps.unit_of_work() as uow:
        owed = await uow.trace_requests.owed(
            agency_id=actor.agency_id, box=box, limit=min(limit, MAX_PAGE_SIZE)
        )
    await _record_listing(deps, actor, box, owed)
    return owed


def _authorize_box(actor: Actor, box: Box) -> None:
    authorize(actor, Action.TRACE_READ)
    side = Side.REQUESTER if box is Box.OUTBOX else Side.RESPONDER
    if not actor.acts_for(side):
        raise Forbidden(Action.TRACE_READ.value)


async def _record_listing(
    deps: Dependencies, actor: Actor, box: Box, requests: Sequence[TraceRequest]
) -> None:
    """Listing another agency's requests reads its evidence: the read is recorded."""
    foreign = [r.id for r in requests if r.requester_agency_id != actor.agency_id]
    if foreign:
        await deps.reads.record(
            audit_event(
                deps,
                actor=actor,
                action="trace_requests.listed",
                entity_type="trace_request",
                entity_id="inbox",
                changes={"box": box.value, "requests": foreign},
            )
        )


async def post_message(
    *,
    deps: Dependencies,
    actor: Actor,
    request_id: UUID,
    body: str,
    attachments: Sequence[AttachmentReport] = (),
) -> TraceMessage:
    """Write to the other side on a request's thread."""
    authorize(actor, Action.TRACE_MESSAGE)
    async with deps.unit_of_work() as uow:
        request = await _visible(uow, actor, Action.TRACE_MESSAGE, request_id)
        request.check_thread_open()
        sides = request.side_of(actor.agency_id)
        # Someone whose agency asks itself writes for the side their role acts for.
        side = (
            Side.REQUESTER
            if Side.REQUESTER in sides and actor.acts_for(Side.REQUESTER)
            else Side.RESPONDER
        )
        message = TraceMessage.post(
            message_id=deps.ids.new_id(),
            request_id=request.id,
            author_id=actor.id,
            author_agency_id=actor.agency_id,
            recipient_agency_id=request.counterpart(actor.agency_id),
            side=side,
            body=body,
            attachments=attachments,
            now=deps.clock.now(),
            by=actor,
        )
        uow.trace_thread.add(message)
        await uow.commit()
    return message


async def read_messages(
    *,
    deps: Dependencies,
    actor: Actor,
    request_id: UUID,
    after: MessageCursor | None,
    limit: int,
) -> MessagePage:
    async with deps.unit_of_work() as uow:
        await _visible(uow, actor, Action.TRACE_READ, request_id)
        return await uow.trace_thread.messages(
            request_id, after=after, limit=min(limit, MAX_PAGE_SIZE)
        )


async def _visible(uow: UnitOfWork, actor: Actor, action: Action, request_id: UUID) -> TraceRequest:
    authorize(actor, action)
    request = await stored_trace_request(uow, request_id, visible_to=actor.agency_id)
    authorize_on_trace(
        actor, action, agency_sides=request.side_of, side=None, resource_id=request_id
    )
    return request
