"""The audit chain: canonical events and the verification that finds any break."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from service.domain.audit import (
    GENESIS_HASH,
    AuditEvent,
    Break,
    ChainedEvent,
    chain_hash,
    recorded_value,
    verify_chain,
)
from tests.builders import new_id


def event(action: str = "recovery.recorded", **changes: object) -> AuditEvent:
    return AuditEvent(
        id=new_id(),
        occurred_at=datetime(2026, 11, 22, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        action=action,
        entity_type="recovery",
        entity_id=str(new_id()),
        changes=recorded_value(changes),
    )


def chain(*events: AuditEvent) -> list[ChainedEvent]:
    chained, previous = [], GENESIS_HASH
    for seq, e in enumerate(events, start=1):
        digest = chain_hash(previous, seq, e.payload())
        chained.append(ChainedEvent(seq, e.payload(), previous, digest))
        previous = digest
    return chained


def test_the_payload_is_canonical_json_in_utc() -> None:
    payload = event(b=1, a="x").payload()
    assert json.loads(payload)["occurred_at"] == "2026-11-22T09:00:00.000000Z"
    assert payload == json.dumps(
        json.loads(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_recorded_values_have_no_floats_and_no_naive_times() -> None:
    assert recorded_value({"lat": 48.85}) == {"lat": "48.85"}
    with pytest.raises(ValueError, match="zone"):
        recorded_value(datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(TypeError):
        recorded_value(object())


def test_an_intact_chain_verifies_with_its_head() -> None:
    events = chain(event(), event(), event())
    result = verify_chain(events, expected_head=(3, events[-1].hash))
    assert result.ok and result.count == 3 and result.head_seq == 3


def test_a_changed_event_is_found() -> None:
    events = chain(event(), event(), event())
    tampered = json.loads(events[1].payload)
    tampered["reason"] = "nothing happened"
    events[1] = ChainedEvent(2, json.dumps(tampered), events[1].prev_hash, events[1].hash)
    result = verify_chain(events)
    assert (result.ok, result.broken_at, result.problem) == (False, 2, Break.CHANGED)


def test_a_missing_event_is_found() -> None:
    events = chain(event(), event(), event())
    result = verify_chain([events[0], events[2]])
    assert (result.broken_at, result.problem) == (2, Break.MISSING)


def test_swapped_events_are_found() -> None:
    events = chain(event(), event(), event())
    first, second = events[0], events[1]
    swapped = [
        ChainedEvent(1, second.payload, second.prev_hash, second.hash),
        ChainedEvent(2, first.payload, first.prev_hash, first.hash),
        events[2],
    ]
    result = verify_chain(swapped)
    assert (result.broken_at, result.problem) == (1, Break.REORDERED)


def test_events_removed_from_the_end_are_found_through_the_head() -> None:
    events = chain(event(), event(), event())
    result = verify_chain(events[:2], expected_head=(3, events[2].hash))
    assert (result.broken_at, result.problem) == (3, Break.MISSING)


def test_searchable_columns_must_agree_with_the_payload() -> None:
    (only,) = chain(event())
    edited = ChainedEvent(
        1, only.payload, only.prev_hash, only.hash, {"action": "nothing.happened"}
    )
    assert verify_chain([edited]).problem is Break.CHANGED
    honest = ChainedEvent(
        1, only.payload, only.prev_hash, only.hash, {"action": "recovery.recorded"}
    )
    assert verify_chain([honest]).ok


def test_the_chain_hash_is_sha256_of_previous_position_and_payload() -> None:
    import hashlib

    expected = hashlib.sha256(f"{GENESIS_HASH}|1|{{}}".encode()).hexdigest()
    assert chain_hash(GENESIS_HASH, 1, "{}") == expected
