"""A trace request: from the agency holding a recovered item to the agency able to follow
its history. It carries the item as it was when the request was made, so later
corrections of the recovery do not change what was asked, and it keeps its whole history:
every transition, every response.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from service.domain.access import Actor
from service.domain.choices import choose
from service.domain.custody import CustodyEvent, CustodyEventReport, read_chain, time_to_crime
from service.domain.errors import (
    IllegalTransition,
    InvalidValue,
    StaleVersion,
    ValidationCollector,
    ValidationFailed,
)
from service.domain.events import DomainEvent, TraceRequestCreated, TraceStepTaken
from service.domain.text import check_text
from service.domain.trace_workflow import (
    THREAD_OPEN,
    DuePolicy,
    Outcome,
    Priority,
    Side,
    TraceAction,
    TraceStatus,
    allowed_actions,
    step_for,
)
from service.domain.traced_item import TracedItem

MAX_JUSTIFICATION: Final = 4000
MAX_INTENDED_USE: Final = 2000
MAX_REASON: Final = 4000
MAX_NOTES: Final = 10_000


@dataclass(frozen=True, slots=True)
class Transition:
    """One entry of a request's history: who moved it from which state to which, when,
    and why. `version` is the request's version once the transition is made."""

    version: int
    action: TraceAction
    from_status: TraceStatus | None
    to_status: TraceStatus
    at: datetime
    by: UUID
    by_agency_id: UUID
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TraceResponse:
    """An answer: the first, or a supplementary one. A refusal is an answer too (outcome
    `declined`, with its reason in `notes`)."""

    id: UUID
    number: int
    version: int  # the request's version this answer made
    outcome: Outcome
    chain_of_custody: tuple[CustodyEvent, ...]
    notes: str | None
    time_to_crime_days: int | None
    responded_at: datetime
    responded_by: UUID
    responder_agency_id: UUID


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who acted, for which agency, and when: what every entry of a history records.
    `actor` is who this instance records as acting (None for a step taken elsewhere)."""

    by: UUID
    agency_id: UUID
    at: datetime
    actor: Actor | None = None

    @classmethod
    def of(cls, actor: Actor, at: datetime) -> Stamp:
        return cls(by=actor.id, agency_id=actor.agency_id, at=at, actor=actor)


@dataclass
class TraceRequest:
    id: UUID
    requester_agency_id: UUID
    addressee_agency_id: UUID
    item: TracedItem
    legal_justification: str
    intended_use: str
    priority: Priority
    status: TraceStatus
    version: int
    created_at: datetime
    created_by: UUID
    updated_at: datetime
    submitted_at: datetime | None = None
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    ended_at: datetime | None = None
    acknowledge_by: datetime | None = None
    respond_by: datetime | None = None
    info_requested_at: datetime | None = None
    # The latest answer's, kept beside the history so a list can show them.
    outcome: Outcome | None = None
    time_to_crime_days: int | None = None
    transitions: tuple[Transition, ...] = ()
    responses: tuple[TraceResponse, ...] = ()
    # Whether `transitions` and `responses` were loaded (a list shows requests without).
    history_loaded: bool = field(default=True, compare=False)
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        request_id: UUID,
        requester_agency_id: UUID,
        addressee_agency_id: UUID,
        item: TracedItem,
        legal_justification: str,
        intended_use: str,
        priority: str,
        actor: Stamp,
    ) -> TraceRequest:
        """A draft request with the contents ITI paragraph 17 asks for; every problem is
        reported at once."""
        problems = ValidationCollector()
        _text(problems, legal_justification, "legal_justification", MAX_JUSTIFICATION)
        _text(problems, intended_use, "intended_use", MAX_INTENDED_USE)
        try:
            choose(Priority, priority, "priority")
        except InvalidValue as error:
            problems.add(error)
        problems.raise_if_any()
        request = cls(
            id=request_id,
            requester_agency_id=requester_agency_id,
            addressee_agency_id=addressee_agency_id,
            item=item,
            # Checked text is returned unchanged: evidence keeps what was entered.
            legal_justification=legal_justification,
            intended_use=intended_use,
            priority=Priority(priority),
            status=TraceStatus.DRAFT,
            version=1,
            created_at=actor.at,
            created_by=actor.by,
            updated_at=actor.at,
            transitions=(
                Transition(
                    version=1,
                    action=TraceAction.CREATE,
                    from_status=None,
                    to_status=TraceStatus.DRAFT,
                    at=actor.at,
                    by=actor.by,
                    by_agency_id=actor.agency_id,
                ),
            ),
        )
        request.events.append(TraceRequestCreated(request.id, request.as_requested(), actor.actor))
        return request

    def as_requested(self) -> dict[str, Any]:
        """What was asked (ITI paragraph 17), as the audit trail keeps it."""
        return {
            "requester_agency_id": self.requester_agency_id,
            "addressee_agency_id": self.addressee_agency_id,
            "item": self.item,
            "legal_justification": self.legal_justification,
            "intended_use": self.intended_use,
            "priority": self.priority,
        }

    # --- what both sides see -------------------------------------------------------

    @property
    def due_at(self) -> datetime | None:
        """When the step the responder owes next is due; None when nothing is owed."""
        if self.status is TraceStatus.SUBMITTED:
            return self.acknowledge_by
        if self.status is TraceStatus.ACKNOWLEDGED:
            return self.respond_by
        return None

    def overdue(self, now: datetime) -> bool:
        """A step is owed now, and its time has passed. An answer that came late is no
        longer overdue (nothing is owed): `answered_late` says so instead."""
        due = self.due_at
        return due is not None and now > due

    @property
    def answered_late(self) -> bool | None:
        """Whether the first answer (a response or a refusal) came after it was due;
        None until there is an answer with a due time to compare."""
        if self.first_response_at is None or self.respond_by is None:
            return None
        return self.first_response_at > self.respond_by

    @property
    def waiting_on(self) -> Side | None:
        if self.status in (TraceStatus.SUBMITTED, TraceStatus.ACKNOWLEDGED):
            return Side.RESPONDER
        if self.status in (TraceStatus.DRAFT, TraceStatus.INFO_REQUESTED, TraceStatus.RESPONDED):
            return Side.REQUESTER
        return None

    def counterpart(self, agency_id: UUID) -> UUID:
        """The other agency of the request, seen from one of its two."""
        if agency_id == self.requester_agency_id:
            return self.addressee_agency_id
        return self.requester_agency_id

    def side_of(self, agency_id: UUID) -> frozenset[Side]:
        """The sides an agency stands on (both when it asks itself)."""
        sides = set()
        if agency_id == self.requester_agency_id:
            sides.add(Side.REQUESTER)
        if agency_id == self.addressee_agency_id and self.submitted_at is not None:
            # Never sent (a draft, or a draft withdrawn): the addressee cannot see it.
            sides.add(Side.RESPONDER)
        return frozenset(sides)

    @property
    def thread_open(self) -> bool:
        """Whether the two sides may still write to each other on the request."""
        return self.status in THREAD_OPEN

    def check_thread_open(self) -> None:
        if self.status not in THREAD_OPEN:
            raise IllegalTransition(
                "trace request",
                self.status.value,
                "message",
                tuple(a.value for a in allowed_actions(self.status)),
            )

    # --- the workflow --------------------------------------------------------------

    def submit(self, actor: Stamp, *, expected_version: int, policy: DuePolicy) -> Transition:
        """Send the request; the policy sets when it is due, by its priority."""
        return self.submit_due(
            actor,
            expected_version=expected_version,
            acknowledge_by=actor.at + policy.acknowledge_within[self.priority],
            respond_by=actor.at + policy.respond_within[self.priority],
        )

    def submit_due(
        self,
        actor: Stamp,
        *,
        expected_version: int,
        acknowledge_by: datetime | None,
        respond_by: datetime | None,
    ) -> Transition:
        """Send the request, due when given (as another instance's policy set it)."""
        transition = self._advance(TraceAction.SUBMIT, actor, expected_version, None)
        self.submitted_at = actor.at
        self.acknowledge_by, self.respond_by = acknowledge_by, respond_by
        return self._taken(transition, actor)

    def acknowledge(self, actor: Stamp, *, expected_version: int) -> Transition:
        transition = self._advance(TraceAction.ACKNOWLEDGE, actor, expected_version, None)
        self.acknowledged_at = actor.at
        return self._taken(transition, actor)

    def request_info(self, actor: Stamp, *, expected_version: int, question: str) -> Transition:
        transition = self._advance(TraceAction.REQUEST_INFO, actor, expected_version, question)
        self.info_requested_at = actor.at
        return self._taken(transition, actor)

    def provide_info(self, actor: Stamp, *, expected_version: int, answer: str) -> Transition:
        transition = self._advance(TraceAction.PROVIDE_INFO, actor, expected_version, answer)
        if self.info_requested_at is not None and self.respond_by is not None:
            # The responder was waiting on the requester: that time is not theirs.
            self.respond_by += actor.at - self.info_requested_at
        self.info_requested_at = None
        return self._taken(transition, actor)

    def respond(
        self,
        actor: Stamp,
        *,
        expected_version: int,
        response_id: UUID,
        outcome: str,
        chain_of_custody: Sequence[CustodyEventReport],
        notes: str | None,
    ) -> TraceResponse:
        """Answer (or add a supplementary answer) with an outcome and the chain of custody."""
        # A change based on an old version is stale whatever it asks: the caller must
        # first see what changed.
        self._check_version(expected_version)
        step_for(TraceAction.RESPOND, self.status)
        response = self._validated_response(actor, response_id, outcome, chain_of_custody, notes)
        transition = self._advance(TraceAction.RESPOND, actor, expected_version, None)
        self._answered(response)
        self._taken(transition, actor, response)
        return response

    def decline(
        self, actor: Stamp, *, expected_version: int, response_id: UUID, reason: str
    ) -> TraceResponse:
        """Refuse or restrict the answer (ITI: confidentiality, national security, an
        ongoing investigation), saying why."""
        transition = self._advance(TraceAction.DECLINE, actor, expected_version, reason)
        response = TraceResponse(
            id=response_id,
            number=len(self.responses) + 1,
            version=self.version,
            outcome=Outcome.DECLINED,
            chain_of_custody=(),
            notes=reason,
            time_to_crime_days=None,
            responded_at=actor.at,
            responded_by=actor.by,
            responder_agency_id=actor.agency_id,
        )
        self._answered(response)
        self.ended_at = actor.at
        self._taken(transition, actor, response)
        return response

    def withdraw(self, actor: Stamp, *, expected_version: int, reason: str) -> Transition:
        transition = self._advance(TraceAction.WITHDRAW, actor, expected_version, reason)
        self.ended_at = actor.at
        self.info_requested_at = None
        return self._taken(transition, actor)

    def close(self, actor: Stamp, *, expected_version: int) -> Transition:
        transition = self._advance(TraceAction.CLOSE, actor, expected_version, None)
        self.ended_at = actor.at
        return self._taken(transition, actor)

    def _taken(
        self, transition: Transition, actor: Stamp, response: TraceResponse | None = None
    ) -> Transition:
        """Record the step once the request is as it leaves it."""
        self.events.append(
            TraceStepTaken(
                request_id=self.id,
                recovery_id=self.item.recovery_id,
                requester_agency_id=self.requester_agency_id,
                addressee_agency_id=self.addressee_agency_id,
                transition=transition,
                acknowledge_by=self.acknowledge_by,
                respond_by=self.respond_by,
                response=response,
                actor=actor.actor,
            )
        )
        return transition

    def _advance(
        self, action: TraceAction, actor: Stamp, expected_version: int, reason: str | None
    ) -> Transition:
        self._check_version(expected_version)
        step = step_for(action, self.status)
        if step.reason_required:
            problems = ValidationCollector()
            reason = _text(problems, reason or "", _REASON_FIELD[action], MAX_REASON)
            problems.raise_if_any()
        transition = Transition(
            version=self.version + 1,
            action=action,
            from_status=self.status,
            to_status=step.target,
            at=actor.at,
            by=actor.by,
            by_agency_id=actor.agency_id,
            reason=reason,
        )
        self.status = step.target
        self.version = transition.version
        self.updated_at = actor.at
        self.transitions = (*self.transitions, transition)
        return transition

    def _check_version(self, expected_version: int) -> None:
        if expected_version != self.version:
            raise StaleVersion("trace request", expected_version, self.version)

    def _validated_response(
        self,
        actor: Stamp,
        response_id: UUID,
        outcome: str,
        chain_of_custody: Sequence[CustodyEventReport],
        notes: str | None,
    ) -> TraceResponse:
        problems = ValidationCollector()
        chosen: Outcome | None = None
        try:
            chosen = choose(Outcome, outcome, "outcome")
        except InvalidValue as error:
            problems.add(error)
        if chosen is Outcome.DECLINED:
            problems.add(
                InvalidValue("outcome", "to decline, use the decline action with a reason")
            )
        if chosen in (Outcome.TRACED, Outcome.PARTIALLY_TRACED) and not chain_of_custody:
            problems.add(
                InvalidValue(
                    "chain_of_custody", f"a {chosen.value} answer names at least one event"
                )
            )
        if chosen is Outcome.NOT_TRACED and chain_of_custody:
            problems.add(
                InvalidValue("chain_of_custody", "a not_traced answer has no chain of custody")
            )
        chain: tuple[CustodyEvent, ...] = ()
        try:
            chain = read_chain(chain_of_custody, recovered_on=self.item.recovered_on)
        except ValidationFailed as failed:
            problems.extend(failed)
        kept_notes = None
        if notes is not None:
            kept_notes = _text(problems, notes, "notes", MAX_NOTES, required=False)
        problems.raise_if_any()
        return TraceResponse(
            id=response_id,
            number=len(self.responses) + 1,
            version=self.version + 1,
            outcome=Outcome(outcome),
            chain_of_custody=chain,
            notes=kept_notes,
            time_to_crime_days=time_to_crime(chain, recovered_on=self.item.recovered_on),
            responded_at=actor.at,
            responded_by=actor.by,
            responder_agency_id=actor.agency_id,
        )

    def _answered(self, response: TraceResponse) -> None:
        self.responses = (*self.responses, response)
        self.outcome = response.outcome
        self.time_to_crime_days = response.time_to_crime_days
        if self.first_response_at is None:
            self.first_response_at = response.responded_at


_REASON_FIELD: Final = {
    TraceAction.REQUEST_INFO: "question",
    TraceAction.PROVIDE_INFO: "answer",
    TraceAction.DECLINE: "reason",
    TraceAction.WITHDRAW: "reason",
}


def _text(
    problems: ValidationCollector, value: str, name: str, max_length: int, *, required: bool = True
) -> str | None:
    try:
        return check_text(value, name, max_length=max_length, multiline=True, required=required)
    except InvalidValue as error:
        problems.add(error)
        return None
