"""The `tracedesk` command: serve, migrate, seed demo data, administer accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import hashlib
import ipaddress
import json
import os
import signal
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import pydantic

from service import accounts
from service.adapters.bootstrap import build_dependencies, open_database
from service.adapters.logging import configure_logging
from service.adapters.persistence.schema import SchemaStatus, status, upgrade
from service.adapters.settings import Settings
from service.dependencies import Dependencies
from service.domain.errors import DomainError, ValidationFailed
from service.domain.identity import Agency

T = TypeVar("T")


class CommandFailed(Exception):
    """A command could not do its work; the message says what to do instead."""


def _at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if not hasattr(arguments, "run"):
        parser.print_help()
        return 2
    for name, value in vars(arguments).items():
        refusal = _unreadable(value) if isinstance(value, str) else None
        if refusal is not None:
            print(f"tracedesk: --{name.replace('_', '-')}: {refusal}", file=sys.stderr)
            return 2
    try:
        settings = Settings()
    except pydantic.ValidationError as invalid:
        # Named as the operator set them; the values are not repeated (secrets among them).
        for error in invalid.errors():
            setting, *path = (str(part) for part in error["loc"])
            where = f" ({'.'.join(path)})" if path else ""
            print(f"tracedesk: TRACEDESK_{setting.upper()}{where}: {error['msg']}", file=sys.stderr)
        return 2
    try:
        result: int = arguments.run(arguments, settings)
        return result
    except CommandFailed as failure:
        print(f"tracedesk: {failure}", file=sys.stderr)
        return 2
    except ValidationFailed as failure:
        for problem in failure.problems:
            print(f"tracedesk: {problem.field or 'value'}: {problem.detail}", file=sys.stderr)
        return 2
    except DomainError as failure:
        print(f"tracedesk: {failure}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tracedesk", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", help="address to listen on (default: see README)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--migrate", action="store_true", help="apply pending migrations first")
    serve.add_argument("--demo", action="store_true", help="load the demo data set if absent")
    serve.add_argument(
        "--processes", type=_at_least_one, help="server processes sharing the port (default 1)"
    )
    serve.set_defaults(run=_serve)

    database = commands.add_parser("db", help="database schema").add_subparsers(title="actions")
    database.add_parser("upgrade", help="apply pending migrations").set_defaults(run=_db_upgrade)
    database.add_parser("status", help="show the schema revision").set_defaults(run=_db_status)

    commands.add_parser("seed-demo", help="load the demo data set").set_defaults(run=_seed_demo)

    admin = commands.add_parser("admin", help="agencies and accounts").add_subparsers(
        title="actions"
    )
    agency = admin.add_parser("create-agency", help="register an agency")
    agency.add_argument("--name", required=True)
    agency.add_argument("--country", required=True, help="ISO 3166-1 alpha-2")
    agency.add_argument("--kind", default="police")
    agency.add_argument(
        "--peer", help="the configured peer (tracedesk instance) the agency works on, if not here"
    )
    agency.add_argument(
        "--id", type=UUID, help="the agency's id (for an agency of a peer: its id there)"
    )
    agency.set_defaults(run=_create_agency)

    user = admin.add_parser("create-user", help="create a user (password asked for)")
    user.add_argument("--agency", required=True, help="agency id or exact name")
    user.add_argument("--username", required=True)
    user.add_argument("--display-name", required=True)
    user.add_argument("--role", action="append", required=True, dest="roles")
    user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user.set_defaults(run=_create_user)

    admin.add_parser("list-agencies", help="agencies and their ids").set_defaults(
        run=_list_agencies
    )

    disable = admin.add_parser("disable-user", help="stop a user from signing in or acting")
    disable.add_argument("--username", required=True)
    disable.add_argument("--reason", required=True)
    disable.set_defaults(run=_disable_user)

    account = admin.add_parser("create-service-account", help="an integration of an agency")
    account.add_argument("--agency", required=True, help="agency id or exact name")
    account.add_argument("--name", required=True)
    account.add_argument("--scope", action="append", required=True, dest="scopes")
    account.set_defaults(run=_create_service_account)

    key = admin.add_parser("create-api-key", help="a key for a service account (shown once)")
    key.add_argument("--service-account", required=True, help="service account id")
    key.set_defaults(run=_create_api_key)

    revoke = admin.add_parser("revoke-key", help="revoke an API key by its client id")
    revoke.add_argument("--client-id", required=True)
    revoke.add_argument("--reason", required=True)
    revoke.set_defaults(run=_revoke_key)

    commands.add_parser(
        "worker", help="run the outbox (registry checks, deliveries) until interrupted"
    ).set_defaults(run=_worker)

    outbox = commands.add_parser("outbox", help="work waiting to be done").add_subparsers(
        title="actions"
    )
    networks = commands.add_parser("networks", help="case networks").add_subparsers(
        dest="networks_command", required=True
    )
    rebuild = networks.add_parser(
        "rebuild", help="link every recovery again (after a rule changed); idempotent"
    )
    rebuild.add_argument(
        "--wait", action="store_true", help="link here, until done, instead of by the worker"
    )
    rebuild.set_defaults(run=_networks_rebuild)
    troubles = outbox.add_parser("troubles", help="messages that failed, with why")
    troubles.add_argument("--limit", type=int, default=50)
    troubles.set_defaults(run=_outbox_troubles)
    retry = outbox.add_parser("retry", help="send a message set aside as failed again")
    retry.add_argument("--id", required=True, type=UUID, help="the message id (see troubles)")
    retry.add_argument("--reason", required=True, help="what was fixed (audited)")
    retry.set_defaults(run=_outbox_retry)
    outbox.add_parser("status", help="waiting and failed messages per topic").set_defaults(
        run=_outbox_status
    )

    registry = commands.add_parser("registry", help="registries kept in this database")
    registry_actions = registry.add_subparsers(title="actions")
    load = registry_actions.add_parser(
        "import", help="add or update a registry's records from NDJSON or CSV (idempotent)"
    )
    load.add_argument("name", help="the registry's name, as configured (adapter = sql)")
    load.add_argument("file", help="NDJSON (.ndjson, .jsonl) or CSV (.csv)")
    load.add_argument("--dry-run", action="store_true", help="validate and report, change nothing")
    load.set_defaults(run=_registry_import)

    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(title="actions")
    audit.add_parser("verify", help="recompute the hash chain").set_defaults(run=_audit_verify)
    export = audit.add_parser("export", help="write the chain as NDJSON, then its head")
    export.add_argument("file", help="where to write (- for standard output)")
    export.set_defaults(run=_audit_export)
    return parser


def _with_database(
    settings: Settings, work: Callable[[Dependencies], Awaitable[T]], *, migrated: bool = True
) -> T:
    async def run() -> T:
        if migrated:
            schema = await status(settings.database_url)
            if not schema.is_current:
                raise CommandFailed(schema.explain())
        database = await open_database(settings)
        try:
            return await work(build_dependencies(database, settings))
        finally:
            await database.dispose()

    return asyncio.run(run())


def _schema(settings: Settings, *, migrate: bool) -> SchemaStatus:
    return asyncio.run((upgrade if migrate else status)(settings.database_url))


def _db_upgrade(_: argparse.Namespace, settings: Settings) -> int:
    print(_schema(settings, migrate=True).explain())
    return 0


def _db_status(_: argparse.Namespace, settings: Settings) -> int:
    schema = _schema(settings, migrate=False)
    print(schema.explain())
    return 0 if schema.is_current else 1


def with_demo_registries(settings: Settings) -> Settings:
    """The demo's iARMS-like registry, unless the operator configured registries."""
    if settings.connections_file is not None:
        return settings
    demo = Path(__file__).parent / "registries" / "demo" / "registries.toml"
    return settings.model_copy(update={"connections_file": demo})


def _seed_demo(_: argparse.Namespace, settings: Settings) -> int:
    from service.adapters.demo import seed_demo

    summary = _with_database(with_demo_registries(settings), seed_demo)
    print(summary)
    return 0


def _is_loopback(host: str) -> bool:
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
    if settings.uses_development_secret and not _is_loopback(host):
        raise CommandFailed(
            f"refusing to listen on {host} with the built-in development signing secret; "
            "set TRACEDESK_JWT_SECRET (32+ random bytes) to serve beyond this machine"
        )
    return host


def _serve(arguments: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.adapters.api.app import create_app

    configure_logging(settings.environment, settings.log_level)
    host = listening_address(settings, arguments.host)
    schema = _schema(settings, migrate=arguments.migrate)
    if not schema.is_current:
        raise CommandFailed(schema.explain())
    if arguments.demo:
        settings = with_demo_registries(settings)
        _seed_demo(arguments, settings)
    processes = arguments.processes or settings.processes
    options: dict[str, Any] = {
        "host": host,
        "port": arguments.port or settings.port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
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
    factory = "service.adapters.api.app:app_for_server_process"
    uvicorn.run(factory, factory=True, workers=processes, **options)
    return 0


def _print(document: dict[str, Any]) -> None:
    print(json.dumps(document, ensure_ascii=False, default=str))


def _create_agency(arguments: argparse.Namespace, settings: Settings) -> int:
    agency = _with_database(
        settings,
        lambda deps: accounts.register_agency(
            deps=deps,
            name=arguments.name,
            country=arguments.country,
            kind=arguments.kind,
            agency_id=arguments.id,
            peer=arguments.peer,
        ),
    )
    _print(_agency_line(agency))
    return 0


def _list_agencies(_: argparse.Namespace, settings: Settings) -> int:
    async def listing(deps: Dependencies) -> None:
        async with deps.unit_of_work() as uow:
            for agency in await uow.agencies.all():
                _print(_agency_line(agency))

    _with_database(settings, listing)
    return 0


def _agency_line(agency: Agency) -> dict[str, Any]:
    line: dict[str, Any] = {"agency_id": agency.id, "name": agency.name, "country": agency.country}
    if agency.peer:
        line["peer"] = agency.peer
    return line


def _unreadable(text: str) -> str | None:
    """Why text typed on the command line cannot be taken as it is: bytes that are not
    UTF-8 (Python keeps them as lone surrogates) or control characters."""
    if text.isprintable():
        return None
    for char in text:
        if 0xDC80 <= ord(char) <= 0xDCFF:
            return "not UTF-8 text"
        if unicodedata.category(char) in ("Cc", "Cs"):
            return f"must not contain control characters (U+{ord(char):04X})"
    return None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        raw = sys.stdin.buffer.readline().rstrip(b"\r\n")
        try:
            password = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CommandFailed("the password on standard input is not UTF-8 text") from None
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CommandFailed("the passwords differ")
    refusal = _unreadable(password)
    if refusal is not None:
        raise CommandFailed(f"the password {refusal}")
    return password


async def _agency_id(deps: Dependencies, reference: str) -> UUID:
    async with deps.unit_of_work() as uow:
        try:
            agency = await uow.agencies.get(UUID(reference))
        except ValueError:
            agency = await uow.agencies.by_name(reference)
    if agency is None:
        raise CommandFailed(f"no agency {reference!r}; see `tracedesk admin list-agencies`")
    return agency.id


def _create_user(arguments: argparse.Namespace, settings: Settings) -> int:
    password = _read_password(arguments.password_stdin)

    async def create(deps: Dependencies) -> Any:
        return await accounts.register_user(
            deps=deps,
            agency_id=await _agency_id(deps, arguments.agency),
            username=arguments.username,
            display_name=arguments.display_name,
            roles=arguments.roles,
            password=password,
        )

    user = _with_database(settings, create)
    _print({"user_id": user.id, "username": user.username, "roles": sorted(user.roles)})
    return 0


def _disable_user(arguments: argparse.Namespace, settings: Settings) -> int:
    async def disable(deps: Dependencies) -> Any:
        async with deps.unit_of_work() as uow:
            user = await uow.users.by_username(arguments.username.strip().lower())
        if user is None:
            raise CommandFailed(f"no user {arguments.username!r}")
        return await accounts.disable_user(deps=deps, user_id=user.id, reason=arguments.reason)

    user = _with_database(settings, disable)
    _print({"user_id": user.id, "username": user.username, "disabled": True})
    return 0


def _create_service_account(arguments: argparse.Namespace, settings: Settings) -> int:
    async def create(deps: Dependencies) -> Any:
        return await accounts.register_service_account(
            deps=deps,
            agency_id=await _agency_id(deps, arguments.agency),
            name=arguments.name,
            scopes=arguments.scopes,
        )

    account = _with_database(settings, create)
    _print(
        {"service_account_id": account.id, "name": account.name, "scopes": sorted(account.scopes)}
    )
    return 0


def _create_api_key(arguments: argparse.Namespace, settings: Settings) -> int:
    try:
        service_account = UUID(arguments.service_account)
    except ValueError:
        raise CommandFailed(
            "--service-account takes the id printed by create-service-account"
        ) from None
    issued = _with_database(
        settings,
        lambda deps: accounts.issue_api_key(deps=deps, service_account_id=service_account),
    )
    _print({"client_id": issued.client_id, "client_secret": issued.secret})
    print(
        "The client_secret is shown once; store it now. It cannot be shown again.", file=sys.stderr
    )
    return 0


def _revoke_key(arguments: argparse.Namespace, settings: Settings) -> int:
    key = _with_database(
        settings,
        lambda deps: accounts.revoke_api_key(
            deps=deps, public_id=arguments.client_id, reason=arguments.reason
        ),
    )
    _print({"client_id": key.public_id, "revoked_at": key.revoked_at})
    return 0


def _audit_verify(_: argparse.Namespace, settings: Settings) -> int:
    from service.audit_trail import verify_audit_trail

    result = _with_database(settings, lambda deps: verify_audit_trail(deps=deps, actor=None))
    if result.ok:
        print(f"ok: {result.count} events, head {result.head_seq} {result.head_hash}")
        return 0
    print(
        f"broken at {result.broken_at} ({result.problem}): {result.detail}; "
        f"{result.count} events verified before it",
        file=sys.stderr,
    )
    return 1


def _audit_export(arguments: argparse.Namespace, settings: Settings) -> int:
    """NDJSON: one line per event (seq, payload, prev_hash, hash), then a line with the
    head. Anyone can recompute the chain from it with sha256("prev|seq|payload")."""
    from service.audit_trail import PAGE

    async def export(deps: Dependencies) -> int:
        output = (
            sys.stdout if arguments.file == "-" else open(arguments.file, "w", encoding="utf-8")
        )  # noqa: SIM115
        try:
            async with deps.unit_of_work() as uow:
                head_seq, head_hash = await uow.audit.head()
                after, written = 0, 0
                while after < head_seq:
                    events = await uow.audit.chain(after_seq=after, limit=PAGE)
                    if not events:
                        break
                    for event in events:
                        if event.seq > head_seq:
                            break
                        line = {
                            "seq": event.seq,
                            "payload": event.payload,
                            "prev_hash": event.prev_hash,
                            "hash": event.hash,
                        }
                        output.write(json.dumps(line, ensure_ascii=False) + "\n")
                        written += 1
                    after = events[-1].seq
                output.write(json.dumps({"head": {"seq": head_seq, "hash": head_hash}}) + "\n")
        finally:
            if output is not sys.stdout:
                output.close()
        return written

    written = _with_database(settings, export)
    print(f"exported {written} events", file=sys.stderr)
    return 0


def _worker(_: argparse.Namespace, settings: Settings) -> int:
    from service.adapters.bootstrap import outbox_worker
    from service.adapters.connections import close_connections

    configure_logging(settings.environment, settings.log_level)

    async def work(deps: Dependencies) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        try:
            await outbox_worker(deps).run(stop)
        finally:
            await close_connections(deps.registries, deps.trace_channel)

    print("outbox worker running; stop with Ctrl-C", file=sys.stderr)
    _with_database(settings, work)
    return 0


def _outbox_status(_: argparse.Namespace, settings: Settings) -> int:
    async def status_of(deps: Dependencies) -> list[Any]:
        async with deps.unit_of_work() as uow:
            return await uow.outbox.backlog()

    backlog = _with_database(settings, status_of)
    for entry in backlog:
        _print(
            {
                "topic": entry.topic,
                "waiting": entry.waiting,
                "failed": entry.failed,
                "oldest_waiting": entry.oldest_waiting,
            }
        )
    if not backlog:
        print("nothing waiting")
    return 1 if any(entry.failed for entry in backlog) else 0


def _networks_rebuild(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.network_linking import NetworkLinkHandler, request_rebuild
    from service.outbox_worker import OutboxWorker

    async def rebuild(deps: Dependencies) -> None:
        await request_rebuild(deps)
        if arguments.wait:
            worker = OutboxWorker(deps, [NetworkLinkHandler(deps)])
            while await worker.run_once():
                pass

    _with_database(settings, rebuild)
    done = "every recovery linked again" if arguments.wait else "rebuild queued for the worker"
    print(done, file=sys.stderr)
    return 0


def _outbox_troubles(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.outbox_operations import outbox_troubles

    entries = _with_database(
        settings, lambda deps: outbox_troubles(deps=deps, limit=arguments.limit)
    )
    for entry in entries:
        _print(
            {
                "id": entry.message.id,
                "topic": entry.message.topic,
                "state": "failed" if entry.failed_at else "waiting",
                "attempts": entry.message.attempts,
                "last_error": entry.message.last_error,
                "next_attempt_at": None if entry.failed_at else entry.available_at,
                "payload": dict(entry.message.payload),
            }
        )
    if not entries:
        print("no troubles")
    return 1 if any(entry.failed_at for entry in entries) else 0


def _outbox_retry(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.outbox_operations import requeue_failed

    entry = _with_database(
        settings,
        lambda deps: requeue_failed(deps=deps, message_id=arguments.id, reason=arguments.reason),
    )
    _print({"id": entry.message.id, "topic": entry.message.topic, "state": "waiting"})
    return 0


def _registry_import(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.adapters.registry_files import read_registry_file
    from service.registry_import import import_registry

    path = Path(arguments.file)
    if not path.is_file():
        raise CommandFailed(f"no such file: {path}")

    async def load(deps: Dependencies) -> int:
        read = read_registry_file(path, registry=arguments.name, catalogue=deps.catalogue)
        for problem in read.problems[:50]:
            where = f".{problem.field}" if problem.field else ""
            print(f"line {problem.line}{where}: {problem.detail}", file=sys.stderr)
        if len(read.problems) > 50:
            print(f"... and {len(read.problems) - 50} more refused lines", file=sys.stderr)
        summary = {"lines": read.lines, "valid": len(read.records), "refused": len(read.problems)}
        if arguments.dry_run:
            _print({**summary, "dry_run": True})
            return 0
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        outcome = await import_registry(
            deps=deps,
            actor=None,
            registry=arguments.name,
            records=read.records,
            source=f"{path.name} sha256:{digest}",
        )
        _print(
            {
                **summary,
                "added": outcome.added,
                "changed": outcome.changed,
                "unchanged": outcome.unchanged,
            }
        )
        return 0 if not read.problems else 1

    return _with_database(settings, load)


if __name__ == "__main__":
    raise SystemExit(main())
