"""The thread of a trace request: messages between the two sides, with the metadata of
their attachments (files themselves are not stored yet)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

from service.domain.access import Actor
from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.events import DomainEvent, ThreadMessagePosted
from service.domain.text import check_text
from service.domain.trace_workflow import Side

MAX_BODY: Final = 10_000
MAX_ATTACHMENTS: Final = 20
MAX_ATTACHMENT_BYTES: Final = 2 * 1024**3
_MEDIA_TYPE: Final = re.compile(
    r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$"
)
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class AttachmentReport:
    filename: str
    media_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """What identifies a file sent out of band: its name, type, size and digest, so both
    sides can tell they hold the same file."""

    filename: str
    media_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class TraceMessage:
    id: UUID
    request_id: UUID
    author_id: UUID
    author_agency_id: UUID
    side: Side
    body: str
    attachments: tuple[Attachment, ...]
    posted_at: datetime
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def post(
        cls,
        *,
        message_id: UUID,
        request_id: UUID,
        author_agency_id: UUID,
        recipient_agency_id: UUID,
        side: Side,
        body: str,
        attachments: Sequence[AttachmentReport] = (),
        now: datetime,
        author_id: UUID,
        by: Actor | None,
    ) -> TraceMessage:
        """A message written on the thread for the other side (a step's question or
        answer is `write`n with the step, which records it)."""
        message = cls.write(
            message_id=message_id,
            request_id=request_id,
            author_id=author_id,
            author_agency_id=author_agency_id,
            side=side,
            body=body,
            attachments=attachments,
            now=now,
        )
        message.events.append(ThreadMessagePosted(message, recipient_agency_id, by))
        return message

    @classmethod
    def write(
        cls,
        *,
        message_id: UUID,
        request_id: UUID,
        author_id: UUID,
        author_agency_id: UUID,
        side: Side,
        body: str,
        attachments: Sequence[AttachmentReport] = (),
        now: datetime,
    ) -> TraceMessage:
        problems = ValidationCollector()
        try:
            check_text(body, "body", max_length=MAX_BODY, multiline=True)
        except InvalidValue as error:
            problems.add(error)
        if len(attachments) > MAX_ATTACHMENTS:
            problems.add(InvalidValue("attachments", f"at most {MAX_ATTACHMENTS} per message"))
        kept = [_attachment(a, f"attachments.{i}", problems) for i, a in enumerate(attachments)]
        problems.raise_if_any()
        return cls(
            id=message_id,
            request_id=request_id,
            author_id=author_id,
            author_agency_id=author_agency_id,
            side=side,
            body=body,
            attachments=tuple(a for a in kept if a is not None),
            posted_at=now,
        )


def _attachment(
    report: AttachmentReport, path: str, problems: ValidationCollector
) -> Attachment | None:
    before = len(problems.problems)
    try:
        check_text(report.filename, f"{path}.filename", max_length=255)
        if "/" in report.filename or "\\" in report.filename:
            problems.add(InvalidValue(f"{path}.filename", "is a file name, not a path"))
    except InvalidValue as error:
        problems.add(error)
    if not _MEDIA_TYPE.match(report.media_type):
        problems.add(InvalidValue(f"{path}.media_type", "must be a media type such as image/jpeg"))
    if not 0 <= report.size_bytes <= MAX_ATTACHMENT_BYTES:
        problems.add(InvalidValue(f"{path}.size_bytes", "must be between 0 and 2 GiB"))
    if not _SHA256.match(report.sha256):
        problems.add(InvalidValue(f"{path}.sha256", "must be 64 lower-case hexadecimal digits"))
    if len(problems.problems) > before:
        return None
    return Attachment(report.filename, report.media_type, report.size_bytes, report.sha256)
