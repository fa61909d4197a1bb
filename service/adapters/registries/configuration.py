"""Which registries (and peers) this instance uses: configured in a TOML file, not coded.

[[registry]]
name = "iarms"                 # how hits name it
adapter = "memory"             # memory: a file loaded at start
file = "iarms.ndjson"          # relative to this file

[[registry]]
name = "national"
adapter = "sql"                # imported with `tracedesk registry import national FILE`

[[registry]]
name = "partner-be"
adapter = "http"               # another tracedesk instance, or any service that speaks
url = "https://tracedesk.police.example.be"   # its registry API
client_id = "td_7Hq..."        # an API key of a service account there
client_secret_env = "TRACEDESK_PARTNER_BE_SECRET"   # where the secret is, never here
timeout_seconds = 5
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from service.adapters.persistence.database import Database
from service.adapters.persistence.registry import SqlRegistry
from service.adapters.registries.http import HttpRegistry
from service.adapters.registries.memory import FileRegistry
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import FirearmRegistry

ADAPTERS: Final = ("memory", "sql", "http")


class ConfigurationError(ValueError):
    """The registries file says something that cannot be used; the message says what."""


@dataclass(frozen=True, slots=True)
class RegistrySetting:
    name: str
    adapter: Literal["memory", "sql", "http"]
    file: Path | None = None
    url: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    remote_name: str | None = None
    timeout_seconds: float = 5.0

    def client_secret(self) -> str:
        if not self.client_secret_env:
            raise ConfigurationError(f"registry {self.name!r}: client_secret_env is missing")
        secret = os.environ.get(self.client_secret_env)
        if not secret:
            raise ConfigurationError(
                f"registry {self.name!r}: the environment has no {self.client_secret_env}"
            )
        return secret


def read_registry_settings(path: Path) -> list[RegistrySetting]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"{path}: {error}") from None
    entries = document.get("registry", [])
    if not isinstance(entries, list):
        raise ConfigurationError(f"{path}: [[registry]] entries expected")
    settings: list[RegistrySetting] = []
    for number, entry in enumerate(entries, start=1):
        settings.append(_setting(path, number, entry))
    names = [s.name for s in settings]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigurationError(f"{path}: registry names used twice: {', '.join(duplicates)}")
    return settings


def _setting(path: Path, number: int, entry: object) -> RegistrySetting:
    where = f"{path}, registry {number}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: a table expected")
    name, adapter = entry.get("name"), entry.get("adapter")
    if not isinstance(name, str) or not name or len(name) > 64:
        raise ConfigurationError(f"{where}: name must be text of 1 to 64 characters")
    if adapter not in ADAPTERS:
        raise ConfigurationError(f"{where} ({name}): adapter must be one of {', '.join(ADAPTERS)}")
    unknown = set(entry) - {
        "name",
        "adapter",
        "file",
        "url",
        "client_id",
        "client_secret_env",
        "remote_name",
        "timeout_seconds",
    }
    if unknown:
        raise ConfigurationError(f"{where} ({name}): unknown keys {', '.join(sorted(unknown))}")
    file = entry.get("file")
    if adapter == "memory" and not isinstance(file, str):
        raise ConfigurationError(f"{where} ({name}): a memory registry needs `file`")
    if adapter == "http" and not (isinstance(entry.get("url"), str) and entry.get("client_id")):
        raise ConfigurationError(f"{where} ({name}): an http registry needs `url` and `client_id`")
    timeout = entry.get("timeout_seconds", 5.0)
    if not isinstance(timeout, int | float) or not 0 < timeout <= 120:
        raise ConfigurationError(f"{where} ({name}): timeout_seconds must be in (0, 120]")
    return RegistrySetting(
        name=name,
        adapter=adapter,
        file=(path.parent / file) if isinstance(file, str) else None,
        url=entry.get("url"),
        client_id=entry.get("client_id"),
        client_secret_env=entry.get("client_secret_env"),
        remote_name=entry.get("remote_name"),
        timeout_seconds=float(timeout),
    )


def build_registries(
    settings: Sequence[RegistrySetting], database: Database, catalogue: ReferenceCatalogue
) -> dict[str, FirearmRegistry]:
    registries: dict[str, FirearmRegistry] = {}
    for setting in settings:
        if setting.adapter == "memory" and setting.file is not None:
            registries[setting.name] = FileRegistry(setting.name, setting.file, catalogue)
        elif setting.adapter == "sql":
            registries[setting.name] = SqlRegistry(setting.name, database, catalogue)
        else:
            registries[setting.name] = HttpRegistry(
                name=setting.name,
                url=setting.url or "",
                client_id=setting.client_id or "",
                client_secret=setting.client_secret(),
                catalogue=catalogue,
                remote_name=setting.remote_name,
                timeout_seconds=setting.timeout_seconds,
            )
    return registries


def held_here(settings: Sequence[RegistrySetting]) -> frozenset[str]:
    """The registries this instance holds itself, which it may offer to peers."""
    return frozenset(s.name for s in settings if s.adapter != "http")


async def close_registries(registries: Mapping[str, FirearmRegistry]) -> None:
    for registry in registries.values():
        if isinstance(registry, HttpRegistry):
            await registry.aclose()
