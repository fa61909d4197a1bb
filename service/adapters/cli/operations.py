"""Operating tracedesk: the audit trail, the outbox, the case networks, the registries."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
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
    from service.adapters.cli.progress import progress_bar
    from service.audit_trail import PAGE

    async def export(deps: Dependencies) -> int:
        output = (
            sys.stdout if arguments.file == "-" else open(arguments.file, "w", encoding="utf-8")
        )  # noqa: SIM115
        try:
            async with deps.unit_of_work() as uow:
                head_seq, head_hash = await uow.audit.head()
                after, written = 0, 0
                with progress_bar("exporting", total=head_seq, things="events") as bar:
                    while after < head_seq:
                        events = [
                            e
                            for e in await uow.audit.chain(after_seq=after, limit=PAGE)
                            if e.seq <= head_seq
                        ]
                        if not events:
                            break
                        for event in events:
                            line = {
                                "seq": event.seq,
                                "payload": event.payload,
                                "prev_hash": event.prev_hash,
                                "hash": event.hash,
                            }
                            output.write(json.dumps(line, ensure_ascii=False) + "\n")
                        written += len(events)
                        after = events[-1].seq
                        bar.update(completed=after, done=written)
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
    from service.adapters.cli.progress import progress_bar
    from service.linking_worker import NetworkLinkHandler, request_rebuild
    from service.outbox_worker import OutboxWorker

    async def rebuild(deps: Dependencies) -> None:
        await request_rebuild(deps)
        if arguments.wait:
            worker = OutboxWorker(deps, [NetworkLinkHandler(deps)])
            # Each linking message is a batch of recoveries (or what a batch asked for).
            with progress_bar("linking", total=None, things="messages") as bar:
                handled = 0
                while done := await worker.run_once():
                    handled += done
                    bar.update(completed=handled, done=handled)

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
    from service.adapters.cli.bulk import file_digest
    from service.adapters.cli.progress import Bar, progress_bar
    from service.adapters.registry_files import LineProblem, RegistryLines
    from service.domain.registry import RegistryRecord
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
        reading = RegistryLines(path, registry=arguments.name, catalogue=deps.catalogue)
        refused = valid = 0

        def records(bar: Bar) -> Iterator[RegistryRecord]:
            nonlocal refused, valid
            for entry in reading:
                if isinstance(entry, LineProblem):
                    # Every refused line, as it is met: a report, not a sample.
                    where = f", {entry.field}" if entry.field else ""
                    print(f"line {entry.line}{where}: {entry.detail}", file=sys.stderr)
                    refused += 1
                    continue
                valid += 1
                bar.update(completed=reading.bytes_read, done=reading.lines)
                yield entry

        size = path.stat().st_size
        with progress_bar("loading", total=size, things="lines") as bar:
            if arguments.dry_run:  # the same exit status as the import it stands for
                for _ in records(bar):
                    pass
            else:
                outcome = await import_registry(
                    deps=deps,
                    actor=None,
                    registry=arguments.name,
                    records=records(bar),
                    source=f"{path.name} sha256:{file_digest(path)}",
                )
        summary = {"lines": reading.lines, "valid": valid, "refused": refused}
        if arguments.dry_run:
            print_json({**summary, "dry_run": True})
        else:
            print_json(
                {
                    **summary,
                    "added": outcome.added,
                    "changed": outcome.changed,
                    "unchanged": outcome.unchanged,
                }
            )
        return 0 if not refused else 1

    return with_database(settings, load)
