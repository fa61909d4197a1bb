"""A recovery's check against each registry: pending, checked, retrying, failed, or
never asked for, from the check messages asked for it."""

from __future__ import annotations

from datetime import timedelta

from service.domain.outbox import REGISTRY_CHECK, OutboxEntry, OutboxMessage
from service.domain.registry_hits import CheckState, RegistryCheck, check_states
from tests.builders import NOW, new_id

LATER = NOW + timedelta(minutes=5)


def asked(
    registry: str,
    version: int,
    *,
    attempts: int = 0,
    done: bool = False,
    failed: bool = False,
) -> OutboxEntry:
    message = OutboxMessage(
        id=new_id(),
        topic=REGISTRY_CHECK,
        payload={"recovery_id": str(new_id()), "registry": registry, "version": version},
        created_at=NOW,
        attempts=attempts,
    )
    return OutboxEntry(
        message=message,
        available_at=LATER if attempts else NOW,
        done_at=NOW + timedelta(seconds=version) if done else None,
        failed_at=LATER if failed else None,
    )


def test_each_registry_shows_where_its_latest_check_stands() -> None:
    states = check_states(
        ["iarms", "national", "peer", "lab", "new"],
        [
            asked("iarms", 1, done=True),
            asked("national", 1, done=True),
            asked("national", 2),
            asked("peer", 1, attempts=3),
            asked("lab", 1, attempts=20, failed=True),
        ],
    )
    assert states == [
        RegistryCheck("iarms", CheckState.CHECKED, NOW + timedelta(seconds=1), 1, None),
        RegistryCheck("lab", CheckState.FAILED, None, None, None),
        RegistryCheck("national", CheckState.PENDING, NOW + timedelta(seconds=1), 1, None),
        RegistryCheck("new", CheckState.NOT_CHECKED, None, None, None),
        RegistryCheck("peer", CheckState.RETRYING, None, None, LATER),
    ]


def test_no_registry_configured_means_no_checks() -> None:
    assert check_states([], [asked("gone", 1, done=True)]) == []
