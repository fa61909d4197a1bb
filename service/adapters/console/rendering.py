"""Pages from templates: a whole page for a browser, or, for an htmx request, only the
block of the same template that changed (jinja2-fragments)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from service.adapters.console import i18n
from service.adapters.console.labels import IDENTIFIER_FIELDS, country, field_label, label

TEMPLATES_DIR: Final = Path(__file__).with_name("templates")


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        # A name a template uses and no handler gave is a bug, not an empty string.
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext_, i18n.ngettext_, newstyle=True
    )
    environment.filters["moment"] = i18n.moment
    environment.filters["day"] = i18n.day
    environment.filters["number"] = i18n.number
    environment.filters["share"] = i18n.share
    environment.filters["label"] = label
    environment.filters["country"] = country
    environment.filters["field_label"] = field_label
    environment.filters["isolate"] = isolate
    environment.globals["IDENTIFIER_FIELDS"] = IDENTIFIER_FIELDS
    environment.globals["reading"] = i18n.reading
    environment.globals["zone_name"] = i18n.zone_name
    return environment


def isolate(value: object) -> Markup:
    """A value from a record (a model, a calibre, a place, an agency's name) set apart
    from the line around it, in its own direction: on an Arabic page "914 (converted)"
    stays so instead of becoming "(converted) 914"."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>%s</bdi>") % (value,)


ENVIRONMENT: Final = _environment()


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The template as a whole page; `block` only, when htmx asked for it."""
    values = {"request": request, **getattr(request.state, "console", {}), **context}
    if block is not None and is_htmx(request):
        html = render_block(ENVIRONMENT, template, block, values)
    else:
        html = ENVIRONMENT.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
