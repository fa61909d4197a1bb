"""A body cut short (it stops arriving, or goes past the limit while streaming) stores
nothing, even when what arrived of it reads as a whole request."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.types import Message

from service.adapters.api import middleware
from service.adapters.settings import Settings
from tests.api.conftest import Api, recovery_body
from tests.api.test_bad_input import stored_count


def _scope(token: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/recoveries",
        "raw_path": b"/api/v1/recoveries",
        "query_string": b"",
        "root_path": "",
        "server": ("tracedesk.test", 80),
        "client": ("192.0.2.1", 40000),
        "headers": [
            (b"host", b"tracedesk.test"),
            (b"authorization", token.encode()),
            (b"content-type", b"application/json"),
            *headers,
        ],
    }


async def _sent(api: Api, scope: dict[str, Any], chunks: list[bytes]) -> list[Message]:
    app = api.client._transport.app  # type: ignore[attr-defined]
    app.middleware_stack = None  # built again, with the limits the test set
    waiting = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in reversed(chunks)
    ]

    async def receive() -> Message:
        if waiting:
            return waiting.pop()
        await asyncio.sleep(3600)  # the client sends nothing more
        raise AssertionError("not reached")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=10)
    return sent


async def test_a_whole_body_that_never_ends_is_a_408_and_stores_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middleware, "BODY_STALL_SECONDS", 0.2)
    token = await api.user("investigator")
    body = json.dumps(recovery_body()).encode()
    # Every byte of a valid recovery, and one more announced that never comes.
    length = (b"content-length", str(len(body) + 1).encode())
    sent = await _sent(api, _scope(token, [length]), [body])
    assert sent[0]["status"] == 408
    assert json.loads(sent[1]["body"])["type"] == "/problems/request-timeout"
    assert await stored_count(api, token) == 0


async def test_a_streamed_body_past_the_limit_is_a_413_and_stores_nothing(api: Api) -> None:
    token = await api.user("investigator")
    body = json.dumps(recovery_body()).encode()
    limit = Settings.model_fields["max_body_bytes"].default
    # A valid recovery, then white space past the limit: no Content-Length to refuse by.
    padding = b" " * (limit - len(body) + 10)
    sent = await _sent(api, _scope(token, []), [body, padding])
    assert sent[0]["status"] == 413
    assert await stored_count(api, token) == 0
