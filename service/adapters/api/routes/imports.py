"""Imports of recoveries: upload a file (a job runs it), follow the job, read its report."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from uuid import UUID, uuid4

import anyio
from fastapi import Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.form_parts import one_part_each
from service.adapters.api.import_runner import ImportRunner, upload_path
from service.adapters.api.problems import problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.api.schemas.imports import ImportList, ImportPublic, import_public
from service.adapters.availability import file_store
from service.adapters.tabular.formulas import spreadsheet_safe
from service.adapters.tabular.mapping import MAX_MAPPING_BYTES, read_mapping
from service.adapters.tabular.reading import import_format
from service.domain.access import Action
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.import_rows import UnreadableFile
from service.domain.imports import ImportFormat, ImportSource
from service.recovery_import import import_job, import_jobs, queue_import, rejected_rows

router = ApiRouter(prefix="/api/v1/imports", tags=["imports"])


async def get_runner(request: Request) -> ImportRunner:
    runner: ImportRunner = request.app.state.imports
    return runner


Runner = Annotated[ImportRunner, Depends(get_runner)]


@router.post(
    "",
    status_code=202,
    responses=problem_responses(401, 403, 413, 422),
    openapi_extra=action(Action.RECOVERY_IMPORT),
    dependencies=[Depends(one_part_each("file", "mapping", "format", "all_or_nothing"))],
)
async def upload(
    deps: Deps,
    actor: CurrentActor,
    runner: Runner,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV, NDJSON or .xlsx; one row per item")],
    mapping: Annotated[
        UploadFile | None, File(description="The file's columns and values (TOML)")
    ] = None,
    format: Annotated[ImportFormat | None, Form(description="By default from the name")] = None,
    all_or_nothing: Annotated[bool, Form(description="Nothing lands if a row fails")] = False,
) -> ImportPublic:
    """Import recoveries into your agency. The file is kept and imported by a job: follow
    it at the `Location` given; rejected rows are listed, every one, in its report. One
    file per request: a field sent twice is a 422, and nothing is queued."""
    name = Path(file.filename or "upload").name[:200]
    try:
        chosen = format or import_format(name)
    except UnreadableFile as unknown:
        raise ValidationFailed.of(InvalidValue("file", unknown.detail)) from None
    mapping_text = await _mapping_text(mapping)
    directory = runner.directory
    with file_store():
        await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
    waiting = directory / f"{uuid4()}.partial"
    try:
        with file_store():
            size, digest = await anyio.to_thread.run_sync(_keep, file.file, waiting)
        job = await queue_import(
            deps=deps,
            actor=actor,
            source=ImportSource(name, chosen, size, digest),
            all_or_nothing=all_or_nothing,
            mapping=mapping_text,
        )
        with file_store():
            await anyio.Path(waiting).rename(upload_path(directory, job.id))
    finally:
        with contextlib.suppress(FileNotFoundError):
            await anyio.Path(waiting).unlink()
    runner.queued()
    response.headers["Location"] = f"{router.prefix}/{job.id}"
    return import_public(job, now=deps.clock.now())


def _keep(upload: BinaryIO, path: Path) -> tuple[int, str]:
    """Copy the upload where the job will read it; its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as kept:
        while chunk := upload.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            kept.write(chunk)
    return size, digest.hexdigest()


async def _mapping_text(mapping: UploadFile | None) -> str | None:
    if mapping is None:
        return None
    raw = await mapping.read(MAX_MAPPING_BYTES + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed.of(InvalidValue("mapping", "must be UTF-8 text")) from None
    read_mapping(text)  # every problem of the mapping now, not in the job
    return text


@router.get(
    "",
    responses=problem_responses(401, 403),
    openapi_extra=action(Action.RECOVERY_IMPORT),
)
async def list_imports(deps: Deps, actor: CurrentActor) -> ImportList:
    """Your agency's latest imports, newest first."""
    jobs = await import_jobs(deps=deps, actor=actor)
    now = deps.clock.now()
    return ImportList(imports=[import_public(job, now=now) for job in jobs])


@router.get(
    "/{import_id}",
    responses=problem_responses(401, 403, 404),
    openapi_extra=action(Action.RECOVERY_IMPORT),
)
async def read_import(import_id: UUID, deps: Deps, actor: CurrentActor) -> ImportPublic:
    """An import's state, counts and progress (rows per second, time left)."""
    job = await import_job(deps=deps, actor=actor, import_id=import_id)
    return import_public(job, now=deps.clock.now())


@router.get(
    "/{import_id}/rejects",
    responses={
        200: {"content": {"text/csv": {}}, "description": "line, column, reason"},
        **problem_responses(401, 403, 404),
    },
    response_class=StreamingResponse,
    openapi_extra=action(Action.RECOVERY_IMPORT),
)
async def rejects(import_id: UUID, deps: Deps, actor: CurrentActor) -> StreamingResponse:
    """Every rejected row of an import, as CSV: its line, the file's column (empty: the
    row as a whole) and why."""
    await import_job(deps=deps, actor=actor, import_id=import_id)

    async def lines() -> AsyncIterator[str]:
        yield _csv_line(["line", "column", "reason"])
        after = 0
        while rows := await rejected_rows(
            deps=deps, actor=actor, import_id=import_id, after=after, limit=5000
        ):
            yield "".join(
                _csv_line([r.line, spreadsheet_safe(r.column), spreadsheet_safe(r.reason)])
                for r in rows
            )
            after = rows[-1].position

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{import_id}-rejects.csv"'},
    )


def _csv_line(cells: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()
