"""Operating tracedesk: the audit trail, the outbox, the case networks, the registries."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from service.adapters.cli.common import CommandFailed, print_json, with_database
from service.adapters.connections import read_connections
from service.adapters.settings import Settings
from service.dependencies import Dependencies


def audit_verify(_: argparse.Namespace, settings: Settings) -> int:
    from service.audit_trail import verify_audit_trail

    result = with_database(settings, lambda deps: verify_audit_trail(deps=deps, actor=None))
    if result.ok:
        print(f"ok: {result.count} events, head {result.head_seq} {result.head_hash}")
        return 0
    print(
        f"broken at {result.broken_at} ({result.problem}): {result.detail}; "
        f"{result.count} events verified before it",
        file=sys.stderr,
    )
    return 1


def audit_export(arguments: argparse.Namespace, settings: Settings) -> int:
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

    written = with_database(settings, export)
    print(f"exported {written} events", file=sys.stderr)
    return 0


def outbox_status(_: argparse.Namespace, settings: Settings) -> int:
    async def status_of(deps: Dependencies) -> list[Any]:
        async with deps.unit_of_work() as uow:
            return await uow.outbox.backlog()

    backlog = with_database(settings, status_of)
    for entry in backlog:
        print_json(
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


def networks_rebuild(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.network_linking import NetworkLinkHandler, request_rebuild
    from service.outbox_worker import OutboxWorker

    async def rebuild(deps: Dependencies) -> None:
        await request_rebuild(deps)
        if arguments.wait:
            worker = OutboxWorker(deps, [NetworkLinkHandler(deps)])
            while await worker.run_once():
                pass

    with_database(settings, rebuild)
    done = "every recovery linked again" if arguments.wait else "rebuild queued for the worker"
    print(done, file=sys.stderr)
    return 0


def outbox_troubles(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.outbox_operations import outbox_troubles

    entries = with_database(
        settings, lambda deps: outbox_troubles(deps=deps, limit=arguments.limit)
    )
    for entry in entries:
        print_json(
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


def outbox_retry(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.outbox_operations import requeue_failed

    entry = with_database(
        settings,
        lambda deps: requeue_failed(deps=deps, message_id=arguments.id, reason=arguments.reason),
    )
    print_json({"id": entry.message.id, "topic": entry.message.topic, "state": "waiting"})
    return 0


def registry_import(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.adapters.registry_files import read_registry_file
    from service.registry_import import import_registry

    path = Path(arguments.file)
    if not path.is_file():
        raise CommandFailed(f"no such file: {path}")
    connections = read_connections(settings.connections_file) if settings.connections_file else None
    kept_here = {
        entry.name
        for entry in (connections.registries if connections else ())
        if entry.adapter == "sql"
    }
    if arguments.name not in kept_here:
        raise CommandFailed(
            f"no registry {arguments.name!r} is kept in this database: name it in the "
            'connections file (TRACEDESK_CONNECTIONS_FILE) with adapter = "sql"'
        )

    async def load(deps: Dependencies) -> int:
        read = read_registry_file(path, registry=arguments.name, catalogue=deps.catalogue)
        for problem in read.problems[:50]:
            where = f", {problem.field}" if problem.field else ""
            print(f"line {problem.line}{where}: {problem.detail}", file=sys.stderr)
        if len(read.problems) > 50:
            print(f"... and {len(read.problems) - 50} more refused lines", file=sys.stderr)
        summary = {"lines": read.lines, "valid": len(read.records), "refused": len(read.problems)}
        if arguments.dry_run:  # the same exit status as the import it stands for
            print_json({**summary, "dry_run": True})
            return 0 if not read.problems else 1
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        outcome = await import_registry(
            deps=deps,
            actor=None,
            registry=arguments.name,
            records=read.records,
            source=f"{path.name} sha256:{digest}",
        )
        print_json(
            {
                **summary,
                "added": outcome.added,
                "changed": outcome.changed,
                "unchanged": outcome.unchanged,
            }
        )
        return 0 if not read.problems else 1

    return with_database(settings, load)
