"""`/docs` is Swagger UI served by tracedesk itself: nothing on the page comes from
another host."""

from __future__ import annotations

import re

from tests.api.conftest import Api


async def test_the_documentation_page_loads_only_tracedesks_own_assets(api: Api) -> None:
    page = await api.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    loaded = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    loaded += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
    assert loaded, "the page loads nothing?"
    assert all(url.startswith("/") and not url.startswith("//") for url in loaded), loaded
    assert "cdn" not in page.text.lower()
    for url in loaded:
        asset = await api.client.get(url)
        assert asset.status_code == 200, url
    script = await api.client.get(next(u for u in loaded if u.endswith(".js")))
    assert "javascript" in script.headers["content-type"]
    assert len(script.content) > 1_000_000  # the whole bundle, not a placeholder
    redirect = await api.client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
