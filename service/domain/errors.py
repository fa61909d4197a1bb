"""Errors that carry a domain meaning; the HTTP edge maps each to one problem type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final


def join_path(prefix: str, field: str) -> str:
    """`items.0` + `serial` -> `items.0.serial`; an empty part is the enclosing object."""
    return ".".join(part for part in (prefix, field) if part)


class DomainError(Exception):
    """Base of every error a rule of the domain can raise."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One rejected value: where it is (a dotted path such as `items.0.serial`) and why."""

    field: str
    detail: str


@dataclass
class InvalidValue(DomainError):
    """A single value breaks a rule."""

    field: str
    detail: str

    def __post_init__(self) -> None:
        super().__init__(f"{self.field}: {self.detail}")

    def at(self, prefix: str) -> InvalidValue:
        """The same problem seen from an enclosing object (`items.0` + `serial`)."""
        return InvalidValue(join_path(prefix, self.field), self.detail)


@dataclass
class ValidationFailed(DomainError):
    """Several values break rules; all are reported at once."""

    problems: list[FieldProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("; ".join(f"{p.field}: {p.detail}" for p in self.problems))

    @classmethod
    def of(cls, *problems: InvalidValue) -> ValidationFailed:
        return cls([FieldProblem(p.field, p.detail) for p in problems])


@dataclass
class NotFound(DomainError):
    """The resource does not exist, or the actor may not know that it does."""

    resource: str
    identifier: str

    def __post_init__(self) -> None:
        super().__init__(f"{self.resource} {self.identifier} not found")


@dataclass
class StaleVersion(DomainError):
    """A change was based on a version that is no longer current."""

    resource: str
    expected: int
    current: int | None

    def __post_init__(self) -> None:
        # `current` is unknown when a concurrent change won the race at commit.
        now = (
            f"is at version {self.current}"
            if self.current is not None
            else "was changed by someone else meanwhile"
        )
        super().__init__(f"{self.resource} {now}, the change was based on {self.expected}")


@dataclass
class Forbidden(DomainError):
    """The actor is known but their role does not allow the action."""

    action: str

    def __post_init__(self) -> None:
        super().__init__(f"not allowed: {self.action}")


class ValidationCollector:
    """Gathers problems from several checks so a request learns all of them at once."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, problem: InvalidValue) -> None:
        self.problems.append(FieldProblem(problem.field, problem.detail))

    def extend(self, error: ValidationFailed, prefix: str = "") -> None:
        for problem in error.problems:
            self.problems.append(FieldProblem(join_path(prefix, problem.field), problem.detail))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationFailed(list(self.problems))


@dataclass
class Unauthenticated(DomainError):
    """No valid credentials: missing, expired, tampered, or of a disabled account. The
    reason is logged, never told to the caller beyond this."""

    reason: str

    def __post_init__(self) -> None:
        super().__init__(self.reason)


# Identifiers a caller chose (a peer names its requests, messages and answers) that are
# taken: one answer for every one of them, which says no more than that one is.
IDENTIFIER_IN_USE: Final = "an identifier in the request is already in use"


@dataclass
class Conflict(DomainError):
    """The request contradicts what is stored (a name that is already taken)."""

    detail: str

    def __post_init__(self) -> None:
        super().__init__(self.detail)


@dataclass
class TooManyAttempts(DomainError):
    """Sign-in is paused for this account or address after repeated failures."""

    retry_after_seconds: int

    def __post_init__(self) -> None:
        super().__init__(f"retry in {self.retry_after_seconds} s")


@dataclass
class DatedAhead(DomainError):
    """Another instance sent a step dated later than this instance's clock allows: its
    clock runs ahead. Taken once this clock has caught up; never refused for good, or
    the step would be lost."""

    retry_after_seconds: int

    def __post_init__(self) -> None:
        super().__init__(
            f"the step is dated ahead of this instance's clock; retry in "
            f"{self.retry_after_seconds} s"
        )


@dataclass
class IllegalTransition(DomainError):
    """A workflow action the resource's current state does not allow."""

    resource: str
    status: str
    action: str
    allowed: tuple[str, ...]

    def __post_init__(self) -> None:
        allowed = ", ".join(self.allowed) or "none"
        super().__init__(
            f"'{self.action}' is not possible on a {self.resource} that is {self.status} "
            f"(allowed: {allowed})"
        )
