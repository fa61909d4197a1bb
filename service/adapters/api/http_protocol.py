"""The HTTP parser's own refusals as problem documents.

A request whose request line or headers cannot be parsed never reaches the application:
uvicorn answers it with a text/plain 400 itself. The protocol classes here answer it as
every other refusal is answered, with an RFC 9457 document, so a client (or a proxy's
log) sees one kind of error whatever layer refused. They live at module level because
server processes receive them pickled."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

from service.adapters.api.problems import PROBLEM_MEDIA_TYPE, problem_bytes

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional: uvicorn then parses with h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


def _refusal(reason: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    body = problem_bytes("malformed-http", detail=reason)
    head = [b"HTTP/1.1 400 Bad Request\r\n"]
    head += [name + b": " + value + b"\r\n" for name, value in default_headers]
    head.append(
        f"content-type: {PROBLEM_MEDIA_TYPE}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n".encode("ascii")
    )
    return b"".join(head) + body


class ProblemH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        self.transport.write(_refusal(msg, self.server_state.default_headers))
        self.transport.close()


if HttpToolsProtocol is not None:

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            self.transport.write(_refusal(msg, self.server_state.default_headers))
            self.transport.close()


def problem_http_protocol() -> type[asyncio.Protocol]:
    """The parser uvicorn's "auto" would choose (httptools when it is installed), answering
    its refusals as problems."""
    if HttpToolsProtocol is None:
        return ProblemH11Protocol
    return ProblemHttpToolsProtocol
