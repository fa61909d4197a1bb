"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from importlib.metadata import version
from typing import Final

from fastapi import FastAPI

from service.adapters.api.documentation import install_documentation
from service.adapters.api.failures import UnexpectedErrors
from service.adapters.api.import_runner import ImportRunner
from service.adapters.api.methods import keep_fixed_paths
from service.adapters.api.middleware import BodySizeLimit, RequestContext, StorableText
from service.adapters.api.problems import document_problems_alone, install_problem_handlers
from service.adapters.api.routes import (
    audit,
    auth,
    exports,
    federation,
    health,
    imports,
    metrics,
    networks,
    photos,
    problem_types,
    recoveries,
    reference,
    registries,
    search,
    statistics,
    trace_requests,
)
from service.adapters.bootstrap import (
    batch_read_records,
    build_dependencies,
    open_database,
    open_replica,
    outbox_worker,
    reading_from,
    remember_actors,
    settle_for_serving,
)
from service.adapters.connections import close_connections
from service.adapters.console.app import console_app, mount_console
from service.adapters.console.routes import photos as console_photos
from service.adapters.logging import configure_logging
from service.adapters.metrics import observe_pool
from service.adapters.persistence.database import Database
from service.adapters.persistence.replica_routing import ReplicaRouting
from service.adapters.persistence.schema import database_schema, status
from service.adapters.settings import Settings
from service.adapters.telemetry import configure_tracing
from service.dependencies import Dependencies
from service.domain.items import ItemKind

# Around a photo uploaded with a form: its caption, the form token and the multipart
# framing. A photo a little over its limit still reaches the rules, which say so.
FORM_ALLOWANCE: Final = 64 * 1024


class SchemaNotCurrent(RuntimeError):
    pass


def app_for_server_process() -> FastAPI:
    """The application each of several `tracedesk serve` processes runs, configured, as
    the command was, from the environment."""
    settings = Settings()
    configure_logging(settings.environment, settings.log_level)
    return create_app(settings)


async def _watch_pool(database: Database, every_seconds: float = 5.0) -> None:
    """The pool's figures for /metrics, from each process (a scrape reaches one)."""
    while True:
        usage = database.pool_usage()
        if usage is None:
            return
        observe_pool(*usage)
        await asyncio.sleep(every_seconds)


def create_app(
    settings: Settings | None = None,
    *,
    dependencies: Callable[[Database, Settings], Dependencies] = build_dependencies,
) -> FastAPI:
    """The HTTP application. The database is opened, and its schema checked, when the
    application starts, not when this module is imported."""
    settings = settings or Settings()
    if settings.opentelemetry:
        configure_tracing()
    console = console_app()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        schema = await status(settings.database_url)
        if not schema.is_current:
            raise SchemaNotCurrent(schema.explain())
        database = await open_database(settings)
        try:
            replica = await open_replica(settings)
        except BaseException:
            await database.dispose()
            raise
        routing = ReplicaRouting(partial(database_schema, replica)) if replica is not None else None
        deps = reading_from(dependencies(database, settings), replica, routing)
        deps, feed = remember_actors(deps, database)
        deps, reads = batch_read_records(deps)
        if feed is not None:
            feed.start()
        reads.start()
        stop_worker = asyncio.Event()
        # Imports run where the outbox does: here, or in `tracedesk worker` processes.
        runner = ImportRunner(deps, settings.import_directory)
        importing = (
            asyncio.create_task(runner.run(stop_worker), name="import-runner")
            if settings.worker == "in-process"
            else None
        )
        worker = (
            asyncio.create_task(outbox_worker(deps).run(stop_worker), name="outbox-worker")
            if settings.worker == "in-process"
            else None
        )
        pool_watch = asyncio.create_task(_watch_pool(database), name="pool-metrics")
        replica_watch = (
            asyncio.create_task(routing.run(stop_worker), name="replica-probe")
            if routing is not None
            else None
        )
        try:
            app.state.database = database
            app.state.schema_status = partial(database_schema, database)
            app.state.replica = routing
            app.state.deps = console.state.deps = deps
            app.state.imports = runner
            settle_for_serving()
            yield
        finally:
            pool_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pool_watch
            stop_worker.set()
            if replica_watch is not None:
                await replica_watch
            if worker is not None:
                await worker
            # A job stops between batches or in one, which is then not written: run
            # again, by this or another process, it lands the rest.
            if importing is not None:
                importing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await importing
            await close_connections(deps.registries, deps.trace_channel)
            await reads.stop()
            if feed is not None:
                await feed.stop()
            await database.dispose()
            if replica is not None:
                await replica.dispose()

    app = FastAPI(
        title="tracedesk",
        summary="Firearm trace-request case management",
        description="Recoveries of firearms, ammunition and UAS/IED components; finding "
        "items again by serial however it was read. Errors are RFC 9457 problem details.",
        version=version("tracedesk"),
        lifespan=lifespan,
        docs_url=None,  # served by install_documentation, from the package
        redoc_url=None,
        telemetry={
            "tracing": settings.opentelemetry,
            # Metrics are Prometheus's (/metrics) and logs structlog's.
            "metrics": False,
            "logs": False,
        },
    )
    install_problem_handlers(app, union_tags=frozenset(kind.value for kind in ItemKind))
    app.state.metrics_token = (
        settings.metrics_token.get_secret_value() if settings.metrics_token else None
    )
    routers = (
        auth,
        exports,  # before recoveries: /recoveries/export is not a recovery's id
        recoveries,
        photos,
        imports,
        search,
        trace_requests,
        registries,
        federation,
        networks,
        statistics,
        reference,
        audit,
        health,
        metrics,
        problem_types,
    )
    for module in routers:
        app.include_router(module.router)
    install_documentation(app)
    document_problems_alone(app)
    keep_fixed_paths(app)
    # The web console answers every path the API does not own.
    console_pages = mount_console(app, console, [module.router for module in routers])
    # Added last, runs first: every response, even a refused one, carries the request id.
    # (Starlette's own body limit answers 413 in plain text, not as a problem.)
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(StorableText, pages=console_pages)
    photo_upload = settings.photo_max_bytes + FORM_ALLOWANCE
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        uploads={
            imports.router.prefix: settings.import_max_bytes,
            console_photos.UPLOAD: photo_upload,
            photos.UPLOAD: photo_upload,
        },
        pages=console_pages,
    )
    app.add_middleware(RequestContext)
    return app
