"""The `tracedesk` command: serve, migrate, seed demo data, administer accounts."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import pydantic
from dotenv import dotenv_values

from service.adapters.cli.admin import (
    create_agency,
    create_api_key,
    create_service_account,
    create_user,
    disable_user,
    list_agencies,
    revoke_key,
)
from service.adapters.cli.bulk import export, import_recoveries, moment
from service.adapters.cli.common import CommandFailed, at_least_one, unreadable
from service.adapters.cli.operations import (
    audit_export,
    audit_verify,
    networks_rebuild,
    outbox_retry,
    outbox_status,
    outbox_troubles,
    registry_import,
)
from service.adapters.cli.serving import db_status, db_upgrade, run_worker, seed_demo, serve_http
from service.adapters.settings import Settings
from service.domain.errors import DomainError, ValidationFailed
from service.domain.items import ItemKind


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if not hasattr(arguments, "run"):
        parser.print_help()
        return 2
    for name, value in vars(arguments).items():
        refusal = unreadable(value) if isinstance(value, str) else None
        if refusal is not None:
            print(f"tracedesk: --{name.replace('_', '-')}: {refusal}", file=sys.stderr)
            return 2
    if arguments.env_file is not None:
        refusal = _read_environment_file(arguments.env_file)
        if refusal is not None:
            print(f"tracedesk: --env-file: {refusal}", file=sys.stderr)
            return 2
    try:
        settings = Settings()
    except pydantic.ValidationError as invalid:
        # Named as the operator set them; the values are not repeated (secrets among them).
        for error in invalid.errors():
            setting, *path = (str(part) for part in error["loc"])
            where = f" ({'.'.join(path)})" if path else ""
            message = error["msg"].removeprefix("Value error, ")
            print(f"tracedesk: TRACEDESK_{setting.upper()}{where}: {message}", file=sys.stderr)
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


def _read_environment_file(path: Path) -> str | None:
    """The settings of an environment file (systemd's EnvironmentFile, with its comments),
    under those of the environment itself, as systemd would start the service; put in
    this process's environment so that the server processes it starts read them too."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return f"cannot read {path}: {error.strerror}"
    except UnicodeDecodeError:
        return f"{path} is not UTF-8 text"
    values = dotenv_values(stream=io.StringIO(text))
    for name, value in values.items():
        if value is not None:
            os.environ.setdefault(name, value)
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tracedesk", description=__doc__)
    parser.add_argument(
        "--env-file",
        type=Path,
        help="read settings from this file first, as the systemd unit does "
        "(e.g. /etc/tracedesk/tracedesk.env); the environment's own settings win",
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", help="address to listen on (default: see docs/configuration.md)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--migrate", action="store_true", help="apply pending migrations first")
    serve.add_argument("--demo", action="store_true", help="load the demo data set if absent")
    serve.add_argument(
        "--processes", type=at_least_one, help="server processes sharing the port (default 1)"
    )
    serve.set_defaults(run=serve_http)

    database = commands.add_parser("db", help="database schema").add_subparsers(title="actions")
    database.add_parser("upgrade", help="apply pending migrations").set_defaults(run=db_upgrade)
    database.add_parser("status", help="show the schema revision").set_defaults(run=db_status)

    commands.add_parser("seed-demo", help="load the demo data set").set_defaults(run=seed_demo)

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
    agency.set_defaults(run=create_agency)

    user = admin.add_parser("create-user", help="create a user (password asked for)")
    user.add_argument("--agency", required=True, help="agency id or exact name")
    user.add_argument("--username", required=True)
    user.add_argument("--display-name", required=True)
    user.add_argument("--role", action="append", required=True, dest="roles")
    user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user.set_defaults(run=create_user)

    admin.add_parser("list-agencies", help="agencies and their ids").set_defaults(run=list_agencies)

    disable = admin.add_parser("disable-user", help="stop a user from signing in or acting")
    disable.add_argument("--username", required=True)
    disable.add_argument("--reason", required=True)
    disable.set_defaults(run=disable_user)

    account = admin.add_parser("create-service-account", help="an integration of an agency")
    account.add_argument("--agency", required=True, help="agency id or exact name")
    account.add_argument("--name", required=True)
    account.add_argument("--scope", action="append", required=True, dest="scopes")
    account.set_defaults(run=create_service_account)

    key = admin.add_parser("create-api-key", help="a key for a service account (shown once)")
    key.add_argument("--service-account", required=True, help="service account id")
    key.set_defaults(run=create_api_key)

    revoke = admin.add_parser("revoke-key", help="revoke an API key by its client id")
    revoke.add_argument("--client-id", required=True)
    revoke.add_argument("--reason", required=True)
    revoke.set_defaults(run=revoke_key)

    commands.add_parser(
        "worker", help="run the outbox (registry checks, deliveries) until interrupted"
    ).set_defaults(run=run_worker)

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
    rebuild.set_defaults(run=networks_rebuild)
    troubles = outbox.add_parser("troubles", help="messages that failed, with why")
    troubles.add_argument("--limit", type=int, default=50)
    troubles.set_defaults(run=outbox_troubles)
    retry = outbox.add_parser("retry", help="send a message set aside as failed again")
    retry.add_argument("--id", required=True, type=UUID, help="the message id (see troubles)")
    retry.add_argument("--reason", required=True, help="what was fixed (audited)")
    retry.set_defaults(run=outbox_retry)
    outbox.add_parser("status", help="waiting and failed messages per topic").set_defaults(
        run=outbox_status
    )

    registry = commands.add_parser("registry", help="registries kept in this database")
    registry_actions = registry.add_subparsers(title="actions")
    load = registry_actions.add_parser(
        "import",
        aliases=["load"],
        help="add or update a registry's records from NDJSON or CSV (idempotent)",
    )
    load.add_argument("name", help="the registry's name, as configured (adapter = sql)")
    load.add_argument("file", help="NDJSON (.ndjson, .jsonl) or CSV (.csv)")
    load.add_argument("--dry-run", action="store_true", help="validate and report, change nothing")
    load.set_defaults(run=registry_import)

    _bulk(commands)

    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(title="actions")
    audit.add_parser("verify", help="recompute the hash chain").set_defaults(run=audit_verify)
    export = audit.add_parser("export", help="write the chain as NDJSON, then its head")
    export.add_argument("file", help="where to write (- for standard output)")
    export.set_defaults(run=audit_export)
    return parser


def _bulk(commands: Any) -> None:
    """`import recoveries FILE` and `export recoveries`."""
    what = commands.add_parser("import", help="recoveries from a file").add_subparsers(
        dest="import_command", required=True
    )
    recoveries = what.add_parser(
        "recoveries", help="import a CSV, NDJSON or .xlsx file into a user's agency"
    )
    recoveries.add_argument("file", help="one row per item; .csv, .ndjson or .xlsx")
    recoveries.add_argument("--user", required=True, help="who imports (their agency receives)")
    recoveries.add_argument("--mapping", help="the file's columns and values (TOML)")
    recoveries.add_argument("--format", choices=["csv", "ndjson", "xlsx"])
    recoveries.add_argument(
        "--all-or-nothing", action="store_true", help="import nothing if any row is rejected"
    )
    recoveries.add_argument(
        "--rejects", help="where to write the rejected rows (default: FILE.rejects.csv)"
    )
    recoveries.set_defaults(run=import_recoveries)

    out = commands.add_parser("export", help="recoveries to a file").add_subparsers(
        dest="export_command", required=True
    )
    exported = out.add_parser("recoveries", help="a user's agency's recoveries, one row per item")
    exported.add_argument("--user", required=True, help="who exports (their agency's recoveries)")
    exported.add_argument("--format", choices=["ndjson", "csv", "xlsx"], default="ndjson")
    exported.add_argument("--output", help="the file to write (default: standard output)")
    exported.add_argument("--case-reference")
    exported.add_argument("--country", help="ISO 3166-1 alpha-2")
    exported.add_argument("--recovered-from", type=moment, help="inclusive, ISO 8601")
    exported.add_argument("--recovered-to", type=moment, help="exclusive, ISO 8601")
    exported.add_argument("--make", help="any spelling")
    exported.add_argument("--calibre", help="any spelling")
    exported.add_argument("--item-kind", type=ItemKind, choices=list(ItemKind))
    exported.set_defaults(run=export)
