"""The API's documentation page, Swagger UI served from the package itself: FastAPI's
default loads it from a CDN, and the page is blank on a closed network."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

SWAGGER_UI: Final = "swagger-ui-5.35.0"
ASSETS: Final = Path(__file__).with_name("static") / SWAGGER_UI
ASSETS_PATH: Final = f"/docs/assets/{SWAGGER_UI}"


def install_documentation(app: FastAPI) -> None:
    """`/docs` and what it loads; the application is made with `docs_url=None`."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="documentation-assets")

    @app.get("/docs", include_in_schema=False)
    async def documentation() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
