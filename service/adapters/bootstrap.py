"""Builds the application's ports from settings; used by the HTTP app and the CLI."""

from __future__ import annotations

import dataclasses
import gc
from datetime import timedelta

import structlog
from cryptography.hazmat.primitives import serialization

from service.adapters.availability import unavailability
from service.adapters.clock import SystemClock
from service.adapters.connections import (
    Connections,
    build_registries,
    build_trace_channel,
    held_here,
    read_connections,
)
from service.adapters.database_addresses import asyncpg_dsn
from service.adapters.ids import UuidV7Generator
from service.adapters.images import PillowImages
from service.adapters.passwords import Argon2PasswordHasher
from service.adapters.persistence.actors import (
    ActorChangeFeed,
    RememberingActorDirectory,
    SqlActorDirectory,
)
from service.adapters.persistence.connecting import HostByHost
from service.adapters.persistence.database import Database, PoolSettings
from service.adapters.persistence.database import open_database as open_storage
from service.adapters.persistence.replica_routing import ReplicaRouting
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.adapters.photo_files import FileSystemPhotoStore
from service.adapters.read_recorder import BatchingReadRecorder, DirectReadRecorder
from service.adapters.reference_catalogue import packaged_catalogue
from service.adapters.secrets import SystemSecrets
from service.adapters.settings import Settings, VerificationKey
from service.adapters.tokens import JoseTokenService, TokenKey
from service.dependencies import Dependencies
from service.domain.identity import SecurityPolicy
from service.domain.ports.unit_of_work import UnitOfWork
from service.linking_worker import NetworkLinkHandler
from service.outbox_worker import OutboxHandler, OutboxWorker
from service.registry_checks import RegistryCheckHandler
from service.side_effects import write_side_effects
from service.trace_federation import TraceDeliveryHandler

log = structlog.get_logger("tracedesk.database")

DEVELOPMENT_KEY_ID = "development"


async def open_database(settings: Settings) -> Database:
    return await open_storage(settings.database_url, PoolSettings(size=settings.db_pool_size))


async def open_replica(settings: Settings) -> Database | None:
    """The read replica, for a server that has one configured. A replica that cannot be
    reached when the server starts is done without: its reads go to the primary, which
    can serve them, rather than the server refusing to start or answering them 503."""
    if settings.read_database_url is None:
        return None
    try:
        return await open_storage(
            settings.read_database_url, PoolSettings(size=settings.db_pool_size)
        )
    except Exception as error:
        if unavailability(error) is None:
            raise
        log.warning(
            "read replica unreachable; searches and listings read from the primary",
            error=type(error).__name__,
        )
        return None


def reading_from(
    deps: Dependencies, replica: Database | None, routing: ReplicaRouting | None = None
) -> Dependencies:
    """Searches and listings read from the replica, when there is one, and while
    `routing` finds it answering (from the primary meanwhile)."""
    if replica is None:
        return deps
    primary = deps.storage

    def reading() -> UnitOfWork:
        if routing is not None and not routing.answering:
            return primary()
        return SqlUnitOfWork(replica)

    return dataclasses.replace(deps, replica=reading)


def token_service(settings: Settings) -> JoseTokenService:
    return JoseTokenService(
        [signing_key(settings), *(verification_key(key) for key in settings.jwt_verify_keys)],
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )


def signing_key(settings: Settings) -> TokenKey:
    if settings.jwt_algorithm == "HS256":
        kid = DEVELOPMENT_KEY_ID if settings.uses_development_secret else settings.jwt_key_id
        secret = settings.signing_secret
        return TokenKey(kid, "HS256", verification_material=secret, signing_material=secret)
    if settings.jwt_private_key_file is None:
        raise ValueError(f"{settings.jwt_algorithm} needs TRACEDESK_JWT_PRIVATE_KEY_FILE")
    private_pem = settings.jwt_private_key_file.read_text()
    return TokenKey(
        settings.jwt_key_id,
        settings.jwt_algorithm,
        verification_material=public_pem(private_pem),
        signing_material=private_pem,
    )


def verification_key(key: VerificationKey) -> TokenKey:
    """A key that only verifies: an earlier signing key, kept while its tokens live."""
    if key.algorithm == "HS256":
        if key.secret is None:
            raise ValueError(f"verification key {key.kid!r} (HS256) needs a secret")
        return TokenKey(key.kid, "HS256", verification_material=key.secret.get_secret_value())
    if key.public_key_file is None:
        raise ValueError(f"verification key {key.kid!r} needs public_key_file")
    return TokenKey(key.kid, key.algorithm, verification_material=key.public_key_file.read_text())


def public_pem(private_pem: str) -> str:
    """The public half of a PEM private key, as PEM."""
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    public: bytes = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode()


def build_dependencies(database: Database, settings: Settings) -> Dependencies:
    def unit_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(database)

    catalogue = packaged_catalogue()
    connections = (
        read_connections(settings.connections_file) if settings.connections_file else Connections()
    )
    return Dependencies(
        actors=SqlActorDirectory(database),
        reads=DirectReadRecorder(unit_of_work),
        storage=unit_of_work,
        side_effects=write_side_effects,
        clock=SystemClock(),
        ids=UuidV7Generator(),
        catalogue=catalogue,
        passwords=Argon2PasswordHasher(),
        tokens=token_service(settings),
        secrets=SystemSecrets(),
        security=SecurityPolicy(refresh_lifetime=timedelta(days=settings.refresh_token_days)),
        photo_store=FileSystemPhotoStore(settings.photo_directory()),
        images=PillowImages(),
        photo_rules=settings.photo_rules(),
        due_policy=settings.due_policy(),
        registries=build_registries(connections.registries, database, catalogue),
        shared_registries=held_here(connections.registries),
        trace_channel=build_trace_channel(connections.peers) if connections.peers else None,
    )


def remember_actors(
    deps: Dependencies, database: Database
) -> tuple[Dependencies, ActorChangeFeed | None]:
    """For a long-running server on PostgreSQL: remember active actors, kept honest by
    the database's change announcements. Start the returned feed, stop it at shutdown."""
    if database.dialect != "postgresql":
        return deps, None
    directory = RememberingActorDirectory(deps.actors)
    # Host by host like the pools: announcements come from the primary only, and the
    # DSN's target_session_attrs=read-write keeps the feed away from a standby.
    feed = ActorChangeFeed(asyncpg_dsn(database.url), directory, connect=HostByHost())
    return dataclasses.replace(deps, actors=directory), feed


def settle_for_serving() -> None:
    """Once everything long-lived is loaded: move it out of the garbage collector's way.

    Full collections otherwise walk every module, table definition and reference entry
    while a request waits; frozen objects are skipped, which shortens the latency tail."""
    gc.collect()
    gc.freeze()


def batch_read_records(deps: Dependencies) -> tuple[Dependencies, BatchingReadRecorder]:
    """For a long-running server: record reads in batches. Start the returned recorder,
    stop it at shutdown (which writes what is waiting)."""
    recorder = BatchingReadRecorder(deps.storage)
    return dataclasses.replace(deps, reads=recorder), recorder


def outbox_worker(deps: Dependencies) -> OutboxWorker:
    """The worker for every outbox topic this instance handles."""
    handlers: list[OutboxHandler] = [RegistryCheckHandler(deps), NetworkLinkHandler(deps)]
    watches = []
    if deps.trace_channel is not None:
        delivery = TraceDeliveryHandler(deps, deps.trace_channel)
        handlers.append(delivery)
        watches.append(delivery.watch)
    return OutboxWorker(
        deps,
        handlers,
        is_outage=lambda error: unavailability(error) is not None,
        watches=watches,
    )
