"""Recoveries in bulk: import from a file, export to one."""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import IO

from service.adapters.cli.common import CommandFailed, with_database
from service.adapters.cli.progress import print_summary, progress_bar
from service.adapters.settings import Settings
from service.adapters.tabular import open_rows
from service.adapters.tabular.formulas import spreadsheet_safe
from service.adapters.tabular.mapping import ColumnMapping, read_mapping
from service.adapters.tabular.reading import import_format
from service.adapters.tabular.writing import CsvExport, NdjsonExport, XlsxExport, rows_of
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.errors import InvalidValue
from service.domain.import_rows import UnreadableFile
from service.domain.imports import ImportFormat, ImportJob, ImportSource, ImportState
from service.domain.ports.recoveries import RecoveryFilter
from service.domain.recovery import Recovery
from service.recovery_export import export_recoveries
from service.recovery_import import claim_import, queue_import, rejected_rows, run_import

# The exit status says how an import ended: every row in, some rows rejected, or failed.
EXIT_STATUS = {ImportState.DONE: 0, ImportState.DONE_WITH_REJECTS: 1, ImportState.FAILED: 2}


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


async def acting_user(deps: Dependencies, username: str) -> Actor:
    """The person a console command acts for, as the API would see them."""
    async with deps.unit_of_work() as uow:
        user = await uow.users.by_username(username)
    if user is None or user.disabled:
        raise CommandFailed(f"no active user {username!r}")
    return user.as_actor()


def import_recoveries(arguments: argparse.Namespace, settings: Settings) -> int:
    path = Path(arguments.file)
    if not path.is_file():
        raise CommandFailed(f"no such file: {path}")
    try:
        format = ImportFormat(arguments.format) if arguments.format else import_format(path.name)
    except UnreadableFile as unknown:
        raise CommandFailed(f"{unknown.detail}; or give --format") from None
    mapping_text = (
        Path(arguments.mapping).read_text(encoding="utf-8") if arguments.mapping else None
    )
    mapping = read_mapping(mapping_text) if mapping_text else ColumnMapping()
    source = ImportSource(path.name, format, path.stat().st_size, file_digest(path))
    rejects = (
        Path(arguments.rejects) if arguments.rejects else path.with_name(path.name + ".rejects.csv")
    )

    async def run(deps: Dependencies) -> ImportJob:
        actor = await acting_user(deps, arguments.user)
        job = await queue_import(
            deps=deps,
            actor=actor,
            source=source,
            all_or_nothing=arguments.all_or_nothing,
            mapping=mapping_text,
        )
        claimed = await claim_import(deps=deps, job_id=job.id)
        if claimed is None:
            raise CommandFailed("the import could not start")
        job, actor = claimed
        with progress_bar("importing", total=source.size, things="rows") as bar:
            job = await run_import(
                deps=deps,
                job=job,
                actor=actor,
                open_rows=lambda: open_rows(path, format, mapping),
                rules=mapping.rules,
                progress=lambda j: bar.update(completed=j.bytes_read, done=j.counts.rows_read),
            )
            if job.state is not ImportState.FAILED or job.counts.rows_read:
                bar.update(completed=source.size, done=job.counts.rows_read)
        if job.counts.rows_rejected:
            with rejects.open("w", encoding="utf-8", newline="") as report:
                await write_report(deps, actor, job, report)
        _summary(job, rejects, bar.rate)
        return job

    job = with_database(settings, run)
    return EXIT_STATUS[job.state]


async def write_report(deps: Dependencies, actor: Actor, job: ImportJob, stream: IO[str]) -> int:
    """Every rejected row of the job, as CSV: line, column, reason."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(["line", "column", "reason"])
    after, written = 0, 0
    while True:
        rows = await rejected_rows(
            deps=deps, actor=actor, import_id=job.id, after=after, limit=5000
        )
        if not rows:
            return written
        writer.writerows(
            [row.line, spreadsheet_safe(row.column), spreadsheet_safe(row.reason)] for row in rows
        )
        written += len(rows)
        after = rows[-1].position


def _summary(job: ImportJob, rejects: Path, rate: float) -> None:
    counts = job.counts
    rows = [
        ("import", str(job.id)),
        ("state", job.state.value),
        ("rows read", f"{counts.rows_read:,}"),
        ("rows imported", f"{counts.rows_imported:,}"),
        ("rows imported before", f"{counts.rows_already_imported:,}"),
        ("rows rejected", f"{counts.rows_rejected:,}"),
        ("recoveries imported", f"{counts.recoveries_imported:,}"),
        ("batches", f"{counts.batches:,}"),
        ("rows per second", f"{rate:,.0f}"),
    ]
    if counts.rows_rejected:
        rows.append(("report of rejected rows", str(rejects)))
    if job.failure:
        rows.append(("failure", job.failure))
    print_summary(f"import of {job.source.name}", rows)


def export(arguments: argparse.Namespace, settings: Settings) -> int:
    if arguments.format == "xlsx" and arguments.output in (None, "-"):
        raise CommandFailed("an .xlsx export needs --output FILE")

    async def run(deps: Dependencies) -> int:
        actor = await acting_user(deps, arguments.user)
        catalogue = deps.catalogue
        make, calibre = arguments.make, arguments.calibre
        wanted = RecoveryFilter(
            case_reference=arguments.case_reference,
            country=arguments.country,
            recovered_from=arguments.recovered_from,
            recovered_to=arguments.recovered_to,
            make=(catalogue.resolve_make(make).canonical or make) if make else None,
            calibre=(catalogue.resolve_calibre(calibre).canonical or calibre) if calibre else None,
            item_kind=arguments.item_kind,
        )
        try:
            wanted.check()
        except InvalidValue as refused:
            option = "--" + refused.field.replace("_", "-")
            raise CommandFailed(f"{option}: {refused.detail}") from None
        pages = await export_recoveries(
            deps=deps, actor=actor, recovery_filter=wanted, format=arguments.format
        )
        return await _write(pages, arguments.format, arguments.output)

    written = with_database(settings, run)
    print(f"exported {written} items", file=sys.stderr)
    return 0


def moment(text: str) -> datetime:
    """A time given on the command line: ISO 8601 with its offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("ISO 8601, e.g. 2026-01-31T00:00:00Z") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give its offset, e.g. 2026-01-31T00:00:00Z")
    return value


async def _write(pages: AsyncIterator[list[Recovery]], format: str, output: str | None) -> int:
    written = 0
    with progress_bar("exporting", total=None, things="items") as bar:
        if format == "xlsx":
            workbook = XlsxExport(Path(output or "recoveries.xlsx"))
            async for page in pages:
                rows = list(rows_of(page))
                await asyncio.to_thread(workbook.add, rows)
                written += len(rows)
                bar.update(completed=written, done=written)
            await asyncio.to_thread(workbook.close)
            return written
        text = CsvExport() if format == "csv" else NdjsonExport()
        to_file = output not in (None, "-")
        stream = open(str(output), "w", encoding="utf-8", newline="") if to_file else sys.stdout  # noqa: SIM115
        try:
            stream.write(text.header())
            async for page in pages:
                rows = list(rows_of(page))
                stream.write(text.chunk(rows))
                written += len(rows)
                bar.update(completed=written, done=written)
        finally:
            if stream is not sys.stdout:
                stream.close()
    return written
