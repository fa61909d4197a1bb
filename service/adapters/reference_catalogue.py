"""Loads the reference table of makes and calibres shipped inside the package."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from service.domain.reference import ReferenceCatalogue


@cache
def packaged_catalogue() -> ReferenceCatalogue:
    """The table this release ships; loaded once per process."""
    text = (
        resources.files("service.domain.reference_data")
        .joinpath("catalogue.json")
        .read_text(encoding="utf-8")
    )
    return ReferenceCatalogue.from_document(json.loads(text))
