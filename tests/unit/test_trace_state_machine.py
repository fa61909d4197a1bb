"""Random sequences of workflow actions by random actors, against the real application
layer: no illegal transition is accepted, every accepted one is audited exactly once,
and deadlines and overdue flags follow an independent model of the rules."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.domain.access import Action, Actor, Role
from service.domain.errors import (
    Forbidden,
    IllegalTransition,
    NotFound,
    StaleVersion,
    ValidationFailed,
)
from service.domain.identity import Agency
from service.domain.ports.audit import AuditFilter
from service.domain.ports.tracing import Box, TraceRequestFilter
from service.domain.recovery import Recovery
from service.domain.trace_workflow import DEFAULT_DUE_POLICY, Priority, Side, TraceStatus
from service.recoveries import record_recovery
from service.trace_requests import (
    Acknowledge,
    Close,
    Decline,
    ProvideInformation,
    RequestInformation,
    RequestTrace,
    Respond,
    Submit,
    TraceCommand,
    Withdraw,
    act_on_trace_request,
    get_trace_request,
    list_trace_requests,
    request_trace,
)
from tests.builders import (
    AGENCY_A,
    AGENCY_B,
    NOW,
    actor,
    dependencies_for_tests,
    new_id,
    record_command,
)
from tests.fakes import Clock

T = TypeVar("T")
AGENCY_C = new_id()
ACTORS = {
    "investigator A": actor(Role.INVESTIGATOR, agency=AGENCY_A),
    "supervisor A": actor(Role.SUPERVISOR, agency=AGENCY_A),
    "officer A": actor(Role.TRACING_OFFICER, agency=AGENCY_A),
    "auditor A": actor(Role.AUDITOR, agency=AGENCY_A),
    "officer B": actor(Role.TRACING_OFFICER, agency=AGENCY_B),
    "supervisor B": actor(Role.SUPERVISOR, agency=AGENCY_B),
    "investigator B": actor(Role.INVESTIGATOR, agency=AGENCY_B),
    "officer C": actor(Role.TRACING_OFFICER, agency=AGENCY_C),
}
COMMANDS: dict[str, TraceCommand] = {
    "submit": Submit(),
    "acknowledge": Acknowledge(),
    "request-info": RequestInformation("Photographs of the markings, please."),
    "provide-info": ProvideInformation("Sent through the liaison officer."),
    "respond": Respond("not_traced", []),
    "decline": Decline("National security"),
    "withdraw": Withdraw("Traced through iARMS instead"),
    "close": Close(),
}

# The model: the rules restated independently of the code under test.
_S = TraceStatus
LEGAL = {
    "submit": ({_S.DRAFT}, _S.SUBMITTED, Side.REQUESTER, Action.TRACE_REQUEST),
    "acknowledge": ({_S.SUBMITTED}, _S.ACKNOWLEDGED, Side.RESPONDER, Action.TRACE_RESPOND),
    "request-info": ({_S.ACKNOWLEDGED}, _S.INFO_REQUESTED, Side.RESPONDER, Action.TRACE_RESPOND),
    "provide-info": ({_S.INFO_REQUESTED}, _S.ACKNOWLEDGED, Side.REQUESTER, Action.TRACE_REQUEST),
    "respond": (
        {_S.ACKNOWLEDGED, _S.RESPONDED},
        _S.RESPONDED,
        Side.RESPONDER,
        Action.TRACE_RESPOND,
    ),
    "decline": ({_S.SUBMITTED, _S.ACKNOWLEDGED}, _S.DECLINED, Side.RESPONDER, Action.TRACE_RESPOND),
    "withdraw": (
        {_S.DRAFT, _S.SUBMITTED, _S.ACKNOWLEDGED, _S.INFO_REQUESTED},
        _S.WITHDRAWN,
        Side.REQUESTER,
        Action.TRACE_REQUEST,
    ),
    "close": ({_S.RESPONDED}, _S.CLOSED, Side.REQUESTER, Action.TRACE_CLOSE),
}
SIDE_ROLES = {
    Side.REQUESTER: {Role.INVESTIGATOR, Role.SUPERVISOR},
    Side.RESPONDER: {Role.TRACING_OFFICER, Role.SUPERVISOR},
}


@dataclass
class Expected:
    status: TraceStatus
    version: int
    priority: Priority
    submitted_at: datetime | None = None
    paused_since: datetime | None = None
    paused: timedelta = field(default_factory=timedelta)

    def due_at(self) -> datetime | None:
        if self.submitted_at is None:
            return None
        if self.status is _S.SUBMITTED:
            return self.submitted_at + DEFAULT_DUE_POLICY.acknowledge_within[self.priority]
        if self.status is _S.ACKNOWLEDGED:
            respond = DEFAULT_DUE_POLICY.respond_within[self.priority]
            return self.submitted_at + respond + self.paused
        return None


def sides(who: Actor, model: Expected) -> set[Side]:
    found = set()
    if who.agency_id == AGENCY_A and who.roles & SIDE_ROLES[Side.REQUESTER]:
        found.add(Side.REQUESTER)
    # The addressee stands on its side once the request was sent: a draft, even one
    # withdrawn, never reaches it.
    if (
        who.agency_id == AGENCY_B
        and model.submitted_at is not None
        and who.roles & SIDE_ROLES[Side.RESPONDER]
    ):
        found.add(Side.RESPONDER)
    return found


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


class TracingWorkflow(RuleBasedStateMachine):
    requests = Bundle("requests")

    @initialize()
    def start(self) -> None:
        self.store = InMemoryStore()
        for agency_id in (AGENCY_A, AGENCY_B, AGENCY_C):
            self.store.agencies[agency_id] = Agency(agency_id, str(agency_id), "FR", "police", NOW)
        self.clock = Clock()
        self.deps = dependencies_for_tests(lambda: InMemoryUnitOfWork(self.store), clock=self.clock)
        self.recovery: Recovery = run(
            record_recovery(
                deps=self.deps, actor=ACTORS["investigator A"], command=record_command()
            )
        )
        self.model: dict[UUID, Expected] = {}

    @rule(
        target=requests,
        who=st.sampled_from(["investigator A", "supervisor A"]) | st.sampled_from(sorted(ACTORS)),
        submit=st.booleans(),
        priority=st.sampled_from(list(Priority)),
    )
    def ask(self, who: str, submit: bool, priority: Priority) -> UUID:
        asker = ACTORS[who]
        order = RequestTrace(
            recovery_id=self.recovery.id,
            item_id=self.recovery.items[0].id,
            addressee_agency_id=AGENCY_B,
            legal_justification="Seized from a trafficking network.",
            intended_use="Investigation",
            priority=priority.value,
            submit=submit,
        )
        try:
            made = run(request_trace(deps=self.deps, actor=asker, command=order))
        except Forbidden:
            assert not asker.may(Action.TRACE_REQUEST)
            return new_id()  # a request that does not exist: every action on it is NotFound
        except ValidationFailed:
            assert asker.agency_id != AGENCY_A  # only agency A holds the recovery
            return new_id()
        assert asker.may(Action.TRACE_REQUEST) and asker.agency_id == AGENCY_A
        self.model[made.id] = Expected(
            status=_S.SUBMITTED if submit else _S.DRAFT,
            version=2 if submit else 1,
            priority=priority,
            submitted_at=self.clock.moment if submit else None,
        )
        assert self._audited(made.id) == (2 if submit else 1)
        return made.id

    @rule(
        request_id=requests,
        who=st.sampled_from(sorted(ACTORS)),
        action=st.sampled_from(sorted(COMMANDS)),
        stale=st.booleans(),
    )
    def act(self, request_id: UUID, who: str, action: str, stale: bool) -> None:
        acting = ACTORS[who]
        model = self.model.get(request_id)
        version = (model.version if model else 1) - (1 if stale else 0)
        before = self._audited(request_id)
        try:
            run(
                act_on_trace_request(
                    deps=self.deps,
                    actor=acting,
                    request_id=request_id,
                    expected_version=version,
                    command=COMMANDS[action],
                )
            )
            outcome: type[Exception] | None = None
        except (Forbidden, NotFound, StaleVersion, IllegalTransition) as refused:
            outcome = type(refused)
        assert outcome == self._expected(acting, action, model, version), (who, action, model)
        if outcome is not None:
            assert self._audited(request_id) == before, "a refused action left a trace"
            return
        assert model is not None
        self._apply(model, action)
        assert self._audited(request_id) == before + 1

    @rule(request_id=requests, data=st.data())
    def advance(self, request_id: UUID, data: st.DataObject) -> None:
        """A legal action by someone of the right side: most random actions are refused,
        and the rules must also be checked deep into the workflow."""
        model = self.model.get(request_id)
        if model is None:
            return
        legal = [name for name, (sources, *_) in LEGAL.items() if model.status in sources]
        if not legal:
            return
        action = data.draw(st.sampled_from(legal))
        side, permission = LEGAL[action][2], LEGAL[action][3]
        fitting = [
            name
            for name, who in ACTORS.items()
            if who.may(permission) and side in sides(who, model)
        ]
        self.act(request_id, data.draw(st.sampled_from(fitting)), action, stale=False)

    @rule(request_id=requests, data=st.data(), steps=st.integers(min_value=2, max_value=6))
    def advance_with_time_passing(self, request_id: UUID, data: st.DataObject, steps: int) -> None:
        """Several legal actions in a row, time passing between them: the deep paths
        (information asked and given, late answers, supplements) within a short program."""
        for _ in range(steps):
            self.time_passes(data.draw(st.integers(min_value=1, max_value=24 * 20)))
            self.advance(request_id, data)

    @rule(hours=st.integers(min_value=0, max_value=24 * 40))
    def time_passes(self, hours: int) -> None:
        self.clock.moment += timedelta(hours=hours)

    @invariant()
    def stored_requests_follow_the_model(self) -> None:
        if not hasattr(self, "model"):
            return
        for request_id, model in self.model.items():
            stored = run(
                get_trace_request(
                    deps=self.deps, actor=ACTORS["supervisor A"], request_id=request_id
                )
            )
            assert (stored.status, stored.version) == (model.status, model.version)
            assert stored.due_at == model.due_at()
            due = model.due_at()
            assert stored.overdue(self.clock.moment) == (
                due is not None and self.clock.moment > due
            )
        overdue = run(
            list_trace_requests(
                deps=self.deps,
                actor=ACTORS["supervisor A"],
                box=Box.OUTBOX,
                request_filter=TraceRequestFilter(overdue=True),
                after=None,
                limit=200,
            )
        )
        expected = {
            request_id
            for request_id, model in self.model.items()
            if (due := model.due_at()) is not None and self.clock.moment > due
        }
        assert {r.id for r in overdue.requests} == expected

    def _expected(
        self, who: Actor, action: str, model: Expected | None, version: int
    ) -> type[Exception] | None:
        sources, _, side, permission = LEGAL[action]
        if not who.may(permission):
            return Forbidden
        if model is None:
            return NotFound
        standing = sides(who, model)
        if not standing:
            return NotFound
        if side not in standing:
            return Forbidden
        if version != model.version:
            return StaleVersion
        if model.status not in sources:
            return IllegalTransition
        return None

    def _apply(self, model: Expected, action: str) -> None:
        now = self.clock.moment
        model.status = LEGAL[action][1]
        model.version += 1
        if action == "submit":
            model.submitted_at = now
        elif action == "request-info":
            model.paused_since = now
        elif action == "provide-info" and model.paused_since is not None:
            model.paused += now - model.paused_since
            model.paused_since = None

    def _audited(self, request_id: UUID) -> int:
        async def count() -> int:
            async with self.deps.unit_of_work() as uow:
                found = await uow.audit.events(
                    AuditFilter(entity_type="trace_request", entity_id=str(request_id)),
                    after_seq=None,
                    limit=1000,
                )
            # Views by the other side are recorded too; they are reads, not transitions.
            return sum(1 for e in found if e.event.action != "trace_request.viewed")

        return run(count())


TracingWorkflow.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_tracing_workflow = TracingWorkflow.TestCase
