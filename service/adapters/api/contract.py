"""Writes the public contracts under schemas/: `python -m service.adapters.api.contract`.

Tests compare the served documents with these files, so a change to the API that is
not regenerated and reviewed here fails CI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from service.adapters.api.app import create_app
from service.adapters.exchange import EXCHANGE_MESSAGES
from service.adapters.settings import Settings


def openapi_document() -> dict[str, Any]:
    # Generating the document needs no database: the app is never started.
    document: dict[str, Any] = create_app(Settings()).openapi()
    return document


def exchange_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of the messages exchanged with peers, by file name."""
    return {
        f"{model.model_fields['schema_version'].default}.json": model.model_json_schema()
        for model in EXCHANGE_MESSAGES
    }


def write(directory: Path) -> list[Path]:
    (directory / "exchange").mkdir(parents=True, exist_ok=True)
    documents = {"openapi.json": openapi_document()} | {
        f"exchange/{name}": schema for name, schema in exchange_schemas().items()
    }
    written = []
    for name, document in documents.items():
        target = directory / name
        target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        written.append(target)
    return written


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")
    for path in write(root):
        print(f"wrote {path}")
