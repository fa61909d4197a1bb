"""The demo data set loads, once, and tells the story the README's tour walks through."""

from __future__ import annotations

from service.adapters.demo import seed_demo
from service.adapters.memory import InMemoryActorDirectory, InMemoryStore, InMemoryUnitOfWork
from service.domain.access import Role
from service.domain.ports.tracing import Box, TraceRequestFilter
from service.domain.trace_request import TraceRequest
from service.domain.trace_workflow import TraceStatus
from service.trace_requests import list_trace_requests
from tests.builders import dependencies_for_tests


async def test_the_demo_loads_once_with_a_user_per_role_and_trace_requests() -> None:
    store = InMemoryStore()
    deps = dependencies_for_tests(
        lambda: InMemoryUnitOfWork(store), actors=InMemoryActorDirectory(store)
    )
    loaded = await seed_demo(deps)
    assert "6 agencies" in loaded and "4 trace requests" in loaded
    assert await seed_demo(deps) == "demo data already present"
    assert len(store.agencies) == 6 and len(store.trace_requests) == 4

    roles = {role for user in store.users.values() for role in user.roles}
    assert roles == set(Role)
    people = {user.username: user.as_actor() for user in store.users.values()}

    async def box(
        username: str, which: Box, request_filter: TraceRequestFilter | None = None
    ) -> list[TraceRequest]:
        page = await list_trace_requests(
            deps=deps,
            actor=people[username],
            box=which,
            request_filter=request_filter or TraceRequestFilter(),
            after=None,
            limit=50,
        )
        return page.requests

    paris_inbox = await box("trace.paris", Box.INBOX)
    assert [r.status for r in paris_inbox] == [TraceStatus.SUBMITTED]
    (urgent,) = await box("trace.london", Box.INBOX)
    assert urgent.overdue(deps.clock.now())
    outbox = await box("inv.paris", Box.OUTBOX)
    assert {r.status for r in outbox} == {
        TraceStatus.DRAFT,
        TraceStatus.SUBMITTED,
        TraceStatus.RESPONDED,
    }
    answered = next(r for r in outbox if r.status is TraceStatus.RESPONDED)
    assert answered.time_to_crime_days and answered.time_to_crime_days > 3000
    # The tour: overdue is what is owed past its time; Hamburg's answer owes nothing.
    assert answered.answered_late is False and not answered.overdue(deps.clock.now())
    overdue = await box("inv.paris", Box.OUTBOX, TraceRequestFilter(overdue=True))
    assert [r.id for r in overdue] == [urgent.id]
