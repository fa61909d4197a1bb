"""Where a request goes within the application: its path without the root path the
application is served under, as Starlette's routing matches it. The API's routers, the
edge's middleware and the console's mount all ask it."""

from __future__ import annotations

from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The path the routes are matched against: without the root path it is served
    under, as Starlette's routing takes it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("/", ""):
        return path[len(root) :]
    return path
