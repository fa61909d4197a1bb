"""Page cursors: an opaque token for "after this (time, id)" in a list, the same for
the API and the console."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from uuid import UUID

from service.domain.errors import InvalidValue
from service.domain.moments import as_utc


def encode_cursor(moment: datetime, identifier: UUID) -> str:
    raw = json.dumps([moment.isoformat(), str(identifier)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[datetime, UUID]:
    """The position a cursor of ours names; anything else is InvalidValue on `cursor`."""
    try:
        padded = text + "=" * (-len(text) % 4)
        moment_text, identifier = json.loads(base64.urlsafe_b64decode(padded))
        moment = as_utc(datetime.fromisoformat(moment_text), "cursor")
        return moment, UUID(identifier)
    except (ValueError, TypeError, RecursionError, binascii.Error, InvalidValue):
        raise InvalidValue("cursor", "not a cursor this service issued") from None
