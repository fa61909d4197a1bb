"""The body-size limit: uploads by exact path (imports) and by route (photos), and the
ordinary limit for everything else."""

from __future__ import annotations

import asyncio
import json

from starlette.types import Message, Receive, Scope, Send

from service.adapters.api.middleware import BodySizeLimit


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("not called")


LIMITS = BodySizeLimit(
    _app,
    max_bytes=10,
    uploads={
        "/api/v1/imports": 1000,
        "/recoveries/{recovery_id}/items/{item_id}/photos": 500,
        "/api/v1/recoveries/{recovery_id}/items/{item_id}/photos": 400,
    },
)


def test_an_exact_upload_path_has_its_limit_and_only_it() -> None:
    assert LIMITS.limit_for("POST", "/api/v1/imports") == 1000
    assert LIMITS.limit_for("POST", "/api/v1/imports/") == 10
    assert LIMITS.limit_for("POST", "/api/v1/imports/0190-x") == 10


def test_a_route_with_parameters_stands_for_one_segment_each() -> None:
    assert LIMITS.limit_for("POST", "/recoveries/0190a/items/0190b/photos") == 500
    assert LIMITS.limit_for("POST", "/api/v1/recoveries/r/items/i/photos") == 400
    for path in (
        "/recoveries/a/b/items/c/photos",  # a parameter is one segment, never two
        "/recoveries//items/c/photos",
        "/recoveries/a/items/c/photos/d",
        "/x/recoveries/a/items/c/photos",
        "/recoveries/a/items/c/photosX",
    ):
        assert LIMITS.limit_for("POST", path) == 10, path


def test_only_posts_upload() -> None:
    assert LIMITS.limit_for("GET", "/api/v1/imports") == 10
    assert LIMITS.limit_for("PUT", "/recoveries/a/items/b/photos") == 10


async def test_a_body_that_stops_arriving_is_ended_with_a_408_and_the_connection_closed() -> None:
    seen: list[bytes] = []

    async def reading_app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            seen.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"stored"})

    chunks = [{"type": "http.request", "body": b'{"case', "more_body": True}]

    async def stalling_receive() -> Message:
        if chunks:
            return chunks.pop()
        await asyncio.sleep(3600)  # the client sends nothing more
        raise AssertionError("not reached")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/recoveries", "headers": []}
    limit = BodySizeLimit(reading_app, max_bytes=1000, stall_seconds=0.05)
    await asyncio.wait_for(limit(scope, stalling_receive, send), timeout=5)
    assert seen == [b'{"case', b""]
    start, body = sent
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    problem = json.loads(body["body"])
    assert problem["type"] == "/problems/request-timeout" and problem["status"] == 408
