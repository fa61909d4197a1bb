"""Your agency's recoveries as a file, streamed: NDJSON, CSV or .xlsx."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final, Literal

import anyio
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import problem_responses
from service.adapters.api.recovery_filters import RecoveryFilterQuery
from service.adapters.api.routers import ApiRouter
from service.adapters.tabular.writing import CsvExport, NdjsonExport, XlsxExport, rows_of
from service.domain.access import Action
from service.domain.recovery import Recovery
from service.recovery_export import export_recoveries

router = ApiRouter(prefix="/api/v1/recoveries", tags=["recoveries"])

MEDIA_TYPES: Final = {
    "ndjson": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/export",
    responses={
        200: {"content": {media: {} for media in MEDIA_TYPES.values()}},
        **problem_responses(401, 403, 422),
    },
    response_class=StreamingResponse,
    openapi_extra=action(Action.RECOVERY_EXPORT),
)
async def export(
    deps: Deps,
    actor: CurrentActor,
    recovery_filter: RecoveryFilterQuery,
    format: Literal["ndjson", "csv", "xlsx"] = "ndjson",
) -> Response:
    """Your agency's recoveries with the list's filters, one row per item in the columns
    an import reads (so the file imports again), newest first. Audited."""
    pages = await export_recoveries(
        deps=deps, actor=actor, recovery_filter=recovery_filter, format=format
    )
    name = f'attachment; filename="recoveries.{format}"'
    if format == "xlsx":
        path = await _workbook(pages)
        return FileResponse(
            path,
            media_type=MEDIA_TYPES[format],
            headers={"Content-Disposition": name},
            background=BackgroundTask(_remove, path),
        )
    writer = CsvExport() if format == "csv" else NdjsonExport()

    async def chunks() -> AsyncIterator[str]:
        yield writer.header()
        async for page in pages:
            yield writer.chunk(rows_of(page))

    return StreamingResponse(
        chunks(), media_type=MEDIA_TYPES[format], headers={"Content-Disposition": name}
    )


async def _workbook(pages: AsyncIterator[list[Recovery]]) -> Path:
    """A workbook is a zip whose directory comes last: written to a file first."""
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    await anyio.to_thread.run_sync(_close, handle)
    path = Path(name)
    workbook = XlsxExport(path)
    async for page in pages:
        rows = list(rows_of(page))
        await anyio.to_thread.run_sync(workbook.add, rows)
    await anyio.to_thread.run_sync(workbook.close)
    return path


def _close(handle: int) -> None:
    os.close(handle)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
