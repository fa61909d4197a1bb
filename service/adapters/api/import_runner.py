"""Runs the import jobs queued through the API, in each server process, one at a time.

An upload is kept in the import directory under its job's id until the job ends. Each
process looks for jobs nobody runs (queued, or whose process stopped: its claim ran out)
when told that one was queued, and every few seconds; a job started again lands what it
had not (the rows it landed before are found by their keys)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Final
from uuid import UUID

import structlog

from service.adapters.availability import unavailability
from service.adapters.tabular import open_rows
from service.adapters.tabular.mapping import ColumnMapping, read_mapping
from service.dependencies import Dependencies
from service.domain.errors import StaleVersion, ValidationFailed
from service.domain.imports import ImportJob
from service.recovery_import import abandon_import, claim_import, run_import

log = structlog.get_logger("tracedesk.imports")

LOOK_EVERY: Final = 5.0


def upload_path(directory: Path, job_id: UUID) -> Path:
    return directory / f"{job_id}.upload"


class ImportRunner:
    def __init__(self, deps: Dependencies, directory: Path) -> None:
        self._deps = deps
        self.directory = directory
        self._wake = asyncio.Event()

    def queued(self) -> None:
        """A job was queued here: look now rather than at the next round."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_waiting()
            except Exception as error:  # the database is down: keep trying, slowly
                if unavailability(error) is not None:
                    log.warning("imports paused: database unavailable", error=type(error).__name__)
                else:
                    log.exception("import runner could not run the waiting jobs")
            self._wake.clear()
            waiting = asyncio.ensure_future(self._wake.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiting, stopping}, timeout=LOOK_EVERY, return_when="FIRST_COMPLETED"
            )
            for task in (waiting, stopping):
                task.cancel()

    async def run_waiting(self) -> int:
        """Run every job nobody runs; how many ran."""
        ran = 0
        async with self._deps.unit_of_work() as uow:
            waiting = await uow.import_jobs.unclaimed(now=self._deps.clock.now())
        for job in waiting:
            if await self.run_job(job.id):
                ran += 1
        return ran

    async def run_job(self, job_id: UUID) -> ImportJob | None:
        claimed = await claim_import(deps=self._deps, job_id=job_id)
        if claimed is None:
            return None
        job, actor = claimed
        path = upload_path(self.directory, job.id)
        try:
            mapping = read_mapping(job.mapping) if job.mapping else ColumnMapping()
        except ValidationFailed:  # checked when queued; a release may read it differently
            mapping = ColumnMapping()
        finished: ImportJob | None
        try:
            finished = await run_import(
                deps=self._deps,
                job=job,
                actor=actor,
                open_rows=lambda: open_rows(path, job.source.format, mapping),
                rules=mapping.rules,
            )
        except StaleVersion:
            # Another process took the job up (this one overran its claim): it is theirs.
            log.info("import taken up by another process", import_id=str(job.id))
            return None
        except Exception as error:
            if unavailability(error) is not None:
                raise  # the database comes back: the job is taken up again then
            # Anything else would fail again at every claim, every two minutes, forever.
            log.exception("import stopped writing", import_id=str(job.id))
            finished = await abandon_import(
                deps=self._deps,
                job_id=job.id,
                actor=actor,
                failure=f"tracedesk could not write on from here ({type(error).__name__}); "
                f"what landed before stands; the error is logged with import {job.id}",
            )
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return finished
