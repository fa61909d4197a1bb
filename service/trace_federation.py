"""Trace requests between tracedesk instances: the steps taken here travel to the peer
hosting the other agency, through the outbox; the steps taken there arrive here and are
taken on this instance's copy, once, whatever how many times they are delivered.

Both sides record in their audit trail what they sent and what they received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.errors import (
    IDENTIFIER_IN_USE,
    Conflict,
    Forbidden,
    IllegalTransition,
    InvalidValue,
    NotFound,
    StaleVersion,
    ValidationFailed,
)
from service.domain.events import TraceExchangeSent
from service.domain.federation import (
    MESSAGE_STEP,
    DeliveryFailed,
    ReceivedExchange,
    TraceExchange,
    apply_exchange,
    check_exchange_times,
    exchange_of,
    mark_received,
    message_exchange,
    receipt,
    received_request,
    received_thread_message,
)
from service.domain.identity import Agency
from service.domain.outbox import TRACE_DELIVERY, HandlingFailed, OutboxMessage
from service.domain.ports.tracing import TraceChannel
from service.domain.ports.unit_of_work import EventSource, UnitOfWork
from service.domain.trace_request import TraceRequest, TraceResponse
from service.domain.trace_thread import TraceMessage
from service.domain.trace_workflow import STEPS, TraceAction, TraceStatus

log = structlog.get_logger("tracedesk.federation")


class TraceDeliveryHandler:
    """Delivers `trace.deliver` messages, one request's steps in order (the outbox
    hands over at most one message per request at a time)."""

    topic = TRACE_DELIVERY

    def __init__(self, deps: Dependencies, channel: TraceChannel) -> None:
        self._deps = deps
        self._channel = channel

    async def prepare(self) -> None:
        pass

    async def watch(self) -> None:
        """When a peer answers again, what waits for it goes now rather than after the
        backoff its failures earned (minutes, after a long outage)."""
        returned = await self._channel.returned()
        if not returned:
            return
        deps = self._deps
        async with deps.unit_of_work() as uow:
            hastened = await uow.outbox.hasten(TRACE_DELIVERY, now=deps.clock.now())
        log.info("peers answer again", peers=returned, deliveries_due=hastened)

    async def handle(
        self, uow: UnitOfWork, messages: Sequence[OutboxMessage]
    ) -> dict[UUID, HandlingFailed]:
        failures: dict[UUID, HandlingFailed] = {}
        for message in messages:
            failure = await self._deliver(uow, message)
            if failure is not None:
                failures[message.id] = failure
        return failures

    async def _deliver(self, uow: UnitOfWork, message: OutboxMessage) -> HandlingFailed | None:
        request_id = UUID(message.payload["request_id"])
        request = await uow.trace_requests.get(request_id)
        if request is None:
            return HandlingFailed(f"trace request {request_id} is not stored", permanent=True)
        exchange = await _exchange(uow, request, message)
        if exchange is None:
            return HandlingFailed("the thread message is not stored", permanent=True)
        recipient = await uow.agencies.get(exchange.recipient_agency_id)
        if recipient is None or recipient.peer is None:
            return HandlingFailed("the addressee is no longer an agency of a peer", permanent=True)
        try:
            await self._channel.deliver(recipient.peer, exchange)
        except DeliveryFailed as failed:
            log.warning(
                "trace exchange not delivered",
                peer=failed.peer,
                request_id=str(request_id),
                reason=failed.reason,
            )
            return HandlingFailed(f"{failed.peer}: {failed.reason}", permanent=not failed.retry)
        uow.record(
            TraceExchangeSent(
                request_id=request.id,
                message_id=exchange.message_id,
                peer=recipient.peer,
                step=exchange.action or MESSAGE_STEP,
                version=exchange.version,
                recipient_agency_id=exchange.recipient_agency_id,
            )
        )
        return None


async def _exchange(
    uow: UnitOfWork, request: TraceRequest, message: OutboxMessage
) -> TraceExchange | None:
    written_id = message.payload.get("thread_message_id")
    if written_id is None:
        return exchange_of(request, version=message.payload["version"], message_id=message.id)
    written = await uow.trace_thread.get(UUID(written_id))
    if written is None:
        return None
    return message_exchange(request, written, message_id=message.id)


@dataclass(frozen=True, slots=True)
class Receipt:
    request_id: UUID
    status: TraceStatus
    duplicate: bool


async def receive_trace_exchange(
    *, deps: Dependencies, actor: Actor, exchange: TraceExchange
) -> Receipt:
    """Take a step another instance sent. The caller is the peer's integration, acting
    for one of the peer's agencies; the sender must be an agency of that same peer and
    the recipient an agency of this instance."""
    authorize(actor, Action.FEDERATION_EXCHANGE)
    async with deps.unit_of_work() as uow:
        peer = await _calling_peer(uow, actor, exchange)
    check_exchange_times(exchange, now=deps.clock.now())
    try:
        return await _take(deps, actor, exchange, peer)
    except (Conflict, StaleVersion, IllegalTransition):
        # A copy of the same message delivered at the same moment (a peer retrying) may
        # have been taken meanwhile: then this one is a duplicate, not a refusal.
        async with deps.unit_of_work() as uow:
            taken = await uow.received_exchanges.get(exchange.message_id)
        if taken is None:
            raise
        return _duplicate(taken, exchange, peer)


async def _take(deps: Dependencies, actor: Actor, exchange: TraceExchange, peer: str) -> Receipt:
    async with deps.unit_of_work() as uow:
        taken = await uow.received_exchanges.get(exchange.message_id)
        if taken is not None:
            return _duplicate(taken, exchange, peer)
        changed: EventSource
        if exchange.action is TraceAction.SUBMIT:
            request, changed = await _received_submission(uow, exchange)
        elif exchange.action is None:
            request, changed = await _received_thread_message(uow, exchange)
        else:
            request, changed = await _received_step(uow, exchange)
        mark_received(changed.events, by=actor, peer=peer, message_id=exchange.message_id)
        uow.received_exchanges.add(
            receipt(exchange, peer=peer, now=deps.clock.now(), status=request.status)
        )
        await uow.commit()
    return Receipt(request.id, request.status, duplicate=False)


async def _calling_peer(uow: UnitOfWork, actor: Actor, exchange: TraceExchange) -> str:
    caller = await uow.agencies.get(actor.agency_id)
    if caller is None or caller.peer is None:
        raise Forbidden(f"{Action.FEDERATION_EXCHANGE.value} (only for an agency of a peer)")
    sender = await uow.agencies.get(exchange.sender_agency_id)
    if sender is None or sender.peer != caller.peer:
        raise ValidationFailed.of(
            InvalidValue("sender_agency_id", f"is not an agency of peer {caller.peer}")
        )
    recipient = await uow.agencies.get(exchange.recipient_agency_id)
    if not _hosted_here(recipient):
        raise ValidationFailed.of(
            InvalidValue("recipient_agency_id", "is not an agency of this instance")
        )
    return caller.peer


def _hosted_here(agency: Agency | None) -> bool:
    return agency is not None and agency.peer is None


def _duplicate(received: ReceivedExchange, exchange: TraceExchange, peer: str) -> Receipt:
    """A message taken before is answered from what was stored when it was taken, and
    only if it is the same message from the same peer: a message id says nothing about
    any other request, nor about what became of this one since."""
    step = exchange.action.value if exchange.action else MESSAGE_STEP
    if (received.peer, received.request_id, received.step) != (peer, exchange.request_id, step):
        raise Conflict(IDENTIFIER_IN_USE)
    log.info("trace exchange received again", message_id=str(exchange.message_id))
    return Receipt(received.request_id, received.status_after, duplicate=True)


async def _received_submission(
    uow: UnitOfWork, exchange: TraceExchange
) -> tuple[TraceRequest, TraceRequest]:
    if await uow.trace_requests.get(exchange.request_id) is not None:
        raise Conflict(IDENTIFIER_IN_USE)
    request = received_request(exchange)
    uow.trace_requests.add(request)
    return request, request


async def _exchanged_request(uow: UnitOfWork, exchange: TraceExchange) -> TraceRequest:
    """The request a received step is about. To a peer, a request that none of its
    agencies stands on does not exist, exactly as one that does not."""
    request = await uow.trace_requests.get(
        exchange.request_id, visible_to=exchange.sender_agency_id
    )
    if request is None:
        raise NotFound("trace request", str(exchange.request_id))
    return request


async def _received_step(
    uow: UnitOfWork, exchange: TraceExchange
) -> tuple[TraceRequest, TraceRequest]:
    request = await _exchanged_request(uow, exchange)
    step = apply_exchange(request, exchange)
    uow.trace_requests.save(request)
    if not isinstance(step, TraceResponse) and step.action in (
        TraceAction.REQUEST_INFO,
        TraceAction.PROVIDE_INFO,
    ):
        uow.trace_thread.add(
            TraceMessage.write(
                message_id=exchange.message_id,
                request_id=request.id,
                author_id=exchange.by,
                author_agency_id=exchange.sender_agency_id,
                side=STEPS[step.action].side,
                body=step.reason or "",
                now=exchange.at,
            )
        )
    return request, request


async def _received_thread_message(
    uow: UnitOfWork, exchange: TraceExchange
) -> tuple[TraceRequest, TraceMessage]:
    request = await _exchanged_request(uow, exchange)
    written = received_thread_message(request, exchange)
    uow.trace_thread.add(written)
    return request, written


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """How the steps taken here on a request are travelling to the other agency's
    instance: all `delivered`, some `waiting` (maybe after failed attempts, with the
    last error), or some `failed` for good (refused by the peer: a person must look)."""

    state: str
    waiting: int
    failed: int
    last_error: str | None
    next_attempt_at: datetime | None


async def delivery_state(*, deps: Dependencies, request: TraceRequest) -> DeliveryState | None:
    """None when nothing of this request travels (both agencies are hosted here). The
    caller has been allowed to read the request."""
    async with deps.unit_of_work() as uow:
        entries = await uow.outbox.by_key(str(request.id))
    if not entries:
        return None
    failed = [e for e in entries if e.failed_at is not None]
    waiting = [e for e in entries if e.done_at is None and e.failed_at is None]
    troubled = [e for e in (*failed, *waiting) if e.message.last_error]
    return DeliveryState(
        state="failed" if failed else "waiting" if waiting else "delivered",
        waiting=len(waiting),
        failed=len(failed),
        last_error=troubled[-1].message.last_error if troubled else None,
        next_attempt_at=min((e.available_at for e in waiting), default=None),
    )
