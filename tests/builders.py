"""Small builders for domain tests: realistic defaults, overridable per test."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from argon2 import PasswordHasher

from service.adapters.bootstrap import build_dependencies
from service.adapters.images import PillowImages
from service.adapters.memory.photos import InMemoryPhotoStore
from service.adapters.passwords import Argon2PasswordHasher
from service.adapters.persistence.database import Database
from service.adapters.read_recorder import DirectReadRecorder
from service.adapters.reference_catalogue import packaged_catalogue
from service.adapters.secrets import SystemSecrets
from service.adapters.settings import Settings
from service.adapters.tokens import JoseTokenService, TokenKey
from service.dependencies import Dependencies
from service.domain.access import Actor, ActorKind, Role
from service.domain.geography import LocationReport
from service.domain.identity import SecurityPolicy
from service.domain.items import FirearmReport, ItemReport
from service.domain.recovery import Circumstances, Recovery
from service.domain.reference import ReferenceCatalogue
from service.recoveries import RecordRecovery
from service.side_effects import write_side_effects
from tests.fakes import NOW, SequentialIds, new_id

AGENCY_A = UUID("00000000-0000-7000-8000-00000000000a")
AGENCY_B = UUID("00000000-0000-7000-8000-00000000000b")
AGENCY_C = UUID("00000000-0000-7000-8000-00000000000c")


def actor(*roles: Role, agency: UUID = AGENCY_A) -> Actor:
    return Actor(
        id=new_id(),
        kind=ActorKind.USER,
        agency_id=agency,
        roles=frozenset(roles or [Role.INVESTIGATOR]),
    )


def firearm(**overrides: Any) -> FirearmReport:
    values: dict[str, Any] = {
        "make": "GLOCK GmbH",
        "model": "17",
        "calibre": "9mm Luger",
        "serial": "ABC 123",
        "type": "pistol",
        "country_of_manufacture": "AT",
    }
    values.update(overrides)
    return FirearmReport(**values)


def location(**overrides: Any) -> LocationReport:
    values: dict[str, Any] = {
        "description": "Rue X, Paris",
        "country": "FR",
        "lat": 48.85,
        "lon": 2.35,
    }
    values.update(overrides)
    return LocationReport(**values)


def recovery(
    *items: ItemReport,
    agency: UUID = AGENCY_A,
    recovered_at: datetime = datetime(2026, 11, 1, 10, 30, tzinfo=UTC),
    case_reference: str = "CASE-2026-0042",
    **overrides: Any,
) -> Recovery:
    return Recovery.record(
        recovery_id=new_id(),
        agency_id=agency,
        by=actor(agency=agency),
        now=NOW,
        case_reference=case_reference,
        recovered_at=recovered_at,
        location=overrides.pop("location", location()),
        circumstances=overrides.pop("circumstances", Circumstances.CRIME_SCENE),
        items=list(items) or [firearm()],
        new_id=new_id,
        catalogue=packaged_catalogue(),
        possessor=overrides.pop("possessor", None),
    )


def dependencies_for_tests(
    unit_of_work: Any,
    *,
    clock: Any = None,
    catalogue: ReferenceCatalogue | None = None,
    actors: Any = None,
) -> Dependencies:
    """Ports for tests: the given storage, cheap Argon2id, a test signing key."""
    from service.adapters.clock import SystemClock

    return Dependencies(
        storage=unit_of_work,
        side_effects=write_side_effects,
        clock=clock or SystemClock(),
        ids=SequentialIds(),
        catalogue=catalogue or packaged_catalogue(),
        passwords=Argon2PasswordHasher(
            PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        ),
        tokens=JoseTokenService(
            [TokenKey("test", "HS256", TEST_SECRET, TEST_SECRET)], lifetime=timedelta(minutes=15)
        ),
        actors=actors or _NoActorsHere(),
        reads=DirectReadRecorder(unit_of_work),
        secrets=SystemSecrets(),
        security=SecurityPolicy(),
        photo_store=InMemoryPhotoStore(),
        images=PillowImages(),
    )


class _NoActorsHere:
    """For tests that never authenticate; using it means the test forgot `actors=`."""

    async def active_actor(self, subject: Any) -> Any:
        raise AssertionError("pass actors= to dependencies_for_tests to authenticate")

    def forget(self, actor_id: UUID) -> None:
        """Nothing is remembered here: signing out needs no directory."""


TEST_SECRET = "test-secret-that-is-at-least-32-bytes-long"  # noqa: S105

# Argon2id with test-sized cost: the algorithm under test is the same, minus the wait.
FAST_HASHER = Argon2PasswordHasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def fast_dependencies(database: Database, settings: Settings) -> Dependencies:
    """The application's own dependencies, with the test-sized password hasher."""
    return dataclasses.replace(build_dependencies(database, settings), passwords=FAST_HASHER)


def record_command(
    *serials: str, case: str = "CASE-1", when: datetime | None = None
) -> RecordRecovery:
    """Recording a recovery of firearms with these serials (one ABC 123 by default)."""
    return RecordRecovery(
        case_reference=case,
        recovered_at=when or datetime(2026, 11, 1, tzinfo=UTC),
        location=location(),
        circumstances=Circumstances.CRIME_SCENE,
        items=[firearm(serial=s) for s in serials or ("ABC 123",)],
    )
