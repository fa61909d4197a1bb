"""Federation: trace-request steps another tracedesk instance sends for its agencies."""

from __future__ import annotations

from fastapi import Response, status

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.exchange import TraceExchangeMessage, TraceReceiptMessage
from service.domain.access import Action
from service.trace_federation import receive_trace_exchange

router = ApiRouter(tags=["federation"])


@router.post(
    "/api/v1/federation/trace-exchanges",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": TraceReceiptMessage, "description": "Taken before: nothing changed"},
        **problem_responses(401, 403, 404, 409, 412, 422, 503),
    },
    openapi_extra=action(Action.FEDERATION_EXCHANGE),
)
async def receive(
    message: TraceExchangeMessage, deps: Deps, actor: CurrentActor, response: Response
) -> TraceReceiptMessage:
    """Take one step of a trace request that another instance sent: a submission lands in
    the addressed agency's inbox, an answer in the requester's outbox. The caller is a
    service account (scope `federation:exchange`) of an agency hosted on that peer; the
    sender must be an agency of the same peer. A message already taken is answered 200
    with `duplicate: true` and changes nothing; a new one 201."""
    receipt = await receive_trace_exchange(deps=deps, actor=actor, exchange=message.exchange())
    if receipt.duplicate:
        response.status_code = status.HTTP_200_OK
    return TraceReceiptMessage(
        message_id=message.message_id,
        request_id=receipt.request_id,
        status=receipt.status.value,
        duplicate=receipt.duplicate,
    )
