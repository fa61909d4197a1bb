"""Page cursors of the API: a cursor it did not issue is a 422 on `cursor`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from service.adapters import cursors
from service.adapters.api.problems import ProblemError
from service.domain.errors import InvalidValue

encode_cursor = cursors.encode_cursor


def decode_cursor(text: str) -> tuple[datetime, UUID]:
    try:
        return cursors.decode_cursor(text)
    except InvalidValue as refused:
        raise ProblemError.invalid_parameter(refused.field, refused.detail) from None
