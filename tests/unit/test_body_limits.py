"""The body-size limit: uploads by exact path (imports) and by route (photos), and the
ordinary limit for everything else."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

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
