"""Reading a stored trace request, for the use cases of this instance and for steps
received from a peer."""

from __future__ import annotations

from uuid import UUID

from service.domain.errors import NotFound
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.trace_request import TraceRequest


async def stored_trace_request(
    uow: UnitOfWork, request_id: UUID, *, visible_to: UUID | None = None
) -> TraceRequest:
    """The request, or NotFound (also when `visible_to` stands on neither side of it).
    What the caller may do with it is decided by the caller."""
    request = await uow.trace_requests.get(request_id, visible_to=visible_to)
    if request is None:
        raise NotFound("trace request", str(request_id))
    return request
