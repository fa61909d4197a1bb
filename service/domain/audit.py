"""The audit trail: who changed what, when and why, in a chain nobody can rewrite unseen.

Each event is stored with its canonical JSON (the payload) and a hash over the previous
event's hash, its position and that payload. Changing, removing or reordering any stored
event breaks the chain at that point, and `verify_chain` says where and how.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Any, Final
from uuid import UUID

GENESIS_HASH: Final = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One recorded action. `changes` holds before/after values of what changed (or, for
    a creation, what was recorded); it must be JSON without floats."""

    id: UUID
    occurred_at: datetime
    action: str
    entity_type: str
    entity_id: str
    actor_id: UUID | None = None
    actor_kind: str | None = None
    actor_agency_id: UUID | None = None
    changes: Mapping[str, Any] | None = None
    reason: str | None = None
    request_id: str | None = None

    def payload(self) -> str:
        """The canonical JSON of the event: sorted keys, compact, UTC times to the
        microsecond with a Z, no floats. Its bytes are what the chain hashes."""
        document = {
            "id": str(self.id),
            "occurred_at": utc_text(self.occurred_at),
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "actor_id": str(self.actor_id) if self.actor_id else None,
            "actor_kind": self.actor_kind,
            "actor_agency_id": str(self.actor_agency_id) if self.actor_agency_id else None,
            "changes": self.changes,
            "reason": self.reason,
            "request_id": self.request_id,
        }
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit times must carry a zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(previous_hash: str, seq: int, payload: str) -> str:
    """SHA-256 (hex) of `previous_hash|seq|payload`, the payload's UTF-8 bytes as stored."""
    return hashlib.sha256(f"{previous_hash}|{seq}|{payload}".encode()).hexdigest()


# Tuples, not unions, and the concrete dict before the Mapping ABC: this runs for every
# value of every audited change, and those checks are the cheap ones.
_JSON_AS_IS: Final = (bool, int, str)
_SEQUENCES: Final = (list, tuple, set, frozenset)


def recorded_value(value: Any) -> Any:
    """A value as the audit trail records it: JSON types only, and numbers that are not
    integers as strings, so no reader can round them differently."""
    if value is None or isinstance(value, _JSON_AS_IS):
        return value
    if isinstance(value, dict):
        return {str(k): recorded_value(v) for k, v in value.items()}
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, StrEnum | Enum):
        return recorded_value(value.value)
    if isinstance(value, Mapping):
        return {str(k): recorded_value(v) for k, v in value.items()}
    if isinstance(value, _SEQUENCES):
        items = [recorded_value(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, set | frozenset) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: recorded_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot record {type(value).__name__} in the audit trail")


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    """An event as stored: its place in the chain, payload, and the hashes around it.

    `columns` are the values stored beside the payload for searching (actor, action,
    entity...); they must say what the payload says, or someone edited them."""

    seq: int
    payload: str
    prev_hash: str
    hash: str
    columns: Mapping[str, Any] | None = None


class Break(StrEnum):
    CHANGED = "changed"  # the event's content no longer matches its hash
    MISSING = "missing"  # a position in the chain is empty, or the chain ends early
    REORDERED = "reordered"  # the event does not follow the one before it


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    broken_at: int | None = None
    problem: Break | None = None
    detail: str | None = None


class ChainVerifier:
    """Recomputes a chain event by event (so it can be fed page by page) and stops at the
    first break."""

    def __init__(self) -> None:
        self._seq, self._hash, self._count = 0, GENESIS_HASH, 0
        self._broken: Verification | None = None

    @property
    def broken(self) -> bool:
        return self._broken is not None

    def feed(self, event: ChainedEvent) -> bool:
        """Check the next event; False once the chain is broken."""
        if self._broken is not None:
            return False
        problem = self._problem(event)
        if problem is not None:
            self._break(*problem)
            return False
        self._seq, self._hash, self._count = event.seq, event.hash, self._count + 1
        return True

    def result(self, expected_head: tuple[int, str] | None = None) -> Verification:
        """The outcome. `expected_head` (seq and hash of the last event, as stored beside
        the chain or anchored elsewhere) reveals events removed from the end, which the
        chain alone cannot."""
        if self._broken is not None:
            return self._broken
        if expected_head is not None and expected_head != (self._seq, self._hash):
            head_seq, _ = expected_head
            if head_seq > self._seq:
                return self._break(
                    self._seq + 1,
                    Break.MISSING,
                    f"the chain ends at {self._seq} but its head is at {head_seq}",
                )
            return self._break(head_seq, Break.CHANGED, "the recorded head does not match")
        return Verification(ok=True, count=self._count, head_seq=self._seq, head_hash=self._hash)

    def _problem(self, event: ChainedEvent) -> tuple[int, Break, str] | None:
        expected_seq = self._seq + 1
        if event.seq != expected_seq:
            detail = f"no event at position {expected_seq}; the next is {event.seq}"
            return expected_seq, Break.MISSING, detail
        if event.prev_hash != self._hash:
            detail = "the event does not name the hash of the event before it"
            return event.seq, Break.REORDERED, detail
        if chain_hash(event.prev_hash, event.seq, event.payload) != event.hash:
            return event.seq, Break.CHANGED, "the event's content does not match its hash"
        if event.columns is not None and not _columns_agree(event.payload, event.columns):
            detail = "the event's searchable columns differ from its recorded content"
            return event.seq, Break.CHANGED, detail
        return None

    def _break(self, at: int, problem: Break, detail: str) -> Verification:
        self._broken = Verification(
            ok=False,
            count=self._count,
            head_seq=self._seq,
            head_hash=self._hash,
            broken_at=at,
            problem=problem,
            detail=detail,
        )
        return self._broken


def verify_chain(
    events: Iterable[ChainedEvent], *, expected_head: tuple[int, str] | None = None
) -> Verification:
    """Recompute the chain from the first event and report the first break, if any."""
    verifier = ChainVerifier()
    for event in events:
        if not verifier.feed(event):
            break
    return verifier.result(expected_head)


def _columns_agree(payload: str, columns: Mapping[str, Any]) -> bool:
    recorded = json.loads(payload)
    return all(recorded.get(name) == recorded_value(value) for name, value in columns.items())
