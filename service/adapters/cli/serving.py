"""Running tracedesk: the schema, the demo data, the HTTP server and the outbox worker."""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from service.adapters.cli.common import CommandFailed, schema_status, with_database
from service.adapters.logging import configure_logging
from service.adapters.settings import Settings
from service.dependencies import Dependencies


def db_upgrade(_: argparse.Namespace, settings: Settings) -> int:
    print(schema_status(settings, migrate=True).explain())
    return 0


def db_status(_: argparse.Namespace, settings: Settings) -> int:
    schema = schema_status(settings, migrate=False)
    print(schema.explain())
    return 0 if schema.is_current else 1


def with_demo_registries(settings: Settings) -> Settings:
    """The demo's iARMS-like registry, unless the operator configured registries."""
    if settings.connections_file is not None:
        return settings
    demo = Path(__file__).parents[1] / "registries" / "demo" / "registries.toml"
    return settings.model_copy(update={"connections_file": demo})


def seed_demo(_: argparse.Namespace, settings: Settings) -> int:
    from service.adapters.cli.progress import progress_bar
    from service.adapters.demo import seed_demo

    with progress_bar("loading the demo data", total=None, things="steps") as bar:
        summary = with_database(with_demo_registries(settings), seed_demo)
        bar.update(completed=1, done=1, total=1)
    print(summary)
    return 0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listening_address(settings: Settings, requested: str | None) -> str:
    """Where to listen. With the built-in development secret anyone could forge tokens,
    so only loopback is allowed; with a configured secret the default is all interfaces."""
    host = (
        requested
        or settings.host
        or ("127.0.0.1" if settings.uses_development_secret else "0.0.0.0")  # noqa: S104
    )
    if settings.uses_development_secret and not is_loopback(host):
        raise CommandFailed(
            f"refusing to listen on {host} with the built-in development signing secret; "
            "set TRACEDESK_JWT_SECRET (32+ random bytes) to serve beyond this machine"
        )
    return host


def start_tracing(settings: Settings) -> None:
    if not settings.opentelemetry:
        return
    from service.adapters.telemetry import TelemetryUnavailable, configure_tracing

    try:
        configure_tracing()
    except TelemetryUnavailable as missing:
        raise CommandFailed(str(missing)) from None


def refuse_a_taken_port(host: str, port: int) -> None:
    """Binds the address as the server will (SO_REUSEADDR, as uvicorn does, so a port
    left in TIME_WAIT is free), and lets it go again at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = "in use" if error.errno == errno.EADDRINUSE else error.strerror
            raise CommandFailed(
                f"cannot listen on {host}:{port}: {reason}; stop what holds it, or choose "
                "another port with --port or TRACEDESK_PORT"
            ) from None


def serve_http(arguments: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.adapters.api.app import create_app
    from service.adapters.api.http_protocol import problem_http_protocol

    configure_logging(settings.environment, settings.log_level)
    start_tracing(settings)
    host = listening_address(settings, arguments.host)
    port = arguments.port or settings.port
    # Found now, not after migrating and loading the demo.
    refuse_a_taken_port(host, port)
    schema = schema_status(settings, migrate=arguments.migrate)
    if not schema.is_current:
        raise CommandFailed(schema.explain())
    if arguments.demo:
        settings = with_demo_registries(settings)
        seed_demo(arguments, settings)
    processes = arguments.processes or settings.processes
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "http": problem_http_protocol(),
        # The client's address is the proxy's unless the operator names the proxies.
        "proxy_headers": settings.forwarded_allow_ips is not None,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }
    if processes == 1:
        uvicorn.run(create_app(settings), **options)
        return 0
    # Each process builds its application from the environment (uvicorn starts them
    # afresh), so what this command decided goes there first.
    if settings.connections_file is not None:
        os.environ["TRACEDESK_CONNECTIONS_FILE"] = str(settings.connections_file)
    # Each process writes its metrics here; a scrape of any of them adds them up. An
    # operator's own directory (PROMETHEUS_MULTIPROC_DIR) is used as it is; else one of
    # ours, removed when the server stops (a killed server leaves it in the temp dir).
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    metrics_directory = given or tempfile.mkdtemp(prefix="tracedesk-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_directory
    factory = "service.adapters.api.app:app_for_server_process"
    try:
        uvicorn.run(factory, factory=True, workers=processes, **options)
    finally:
        if given is None:
            shutil.rmtree(metrics_directory, ignore_errors=True)
    return 0


def run_worker(_: argparse.Namespace, settings: Settings) -> int:
    from service.adapters.api.import_runner import ImportRunner
    from service.adapters.bootstrap import outbox_worker
    from service.adapters.connections import close_connections

    configure_logging(settings.environment, settings.log_level)
    start_tracing(settings)

    async def work(deps: Dependencies) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        # Imports queued through the API run where the outbox does.
        imports = ImportRunner(deps, settings.import_directory).run(stop)
        try:
            await asyncio.gather(outbox_worker(deps).run(stop), imports)
        finally:
            await close_connections(deps.registries, deps.trace_channel)

    print("outbox worker running; stop with Ctrl-C", file=sys.stderr)
    with_database(settings, work)
    return 0
