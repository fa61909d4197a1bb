"""The registries and peers this instance talks to: configured in a TOML file
(TRACEDESK_CONNECTIONS_FILE), not coded. Secrets are never in the file: it names the
environment variable that holds each one.

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

[[peer]]                       # another tracedesk instance hosting agencies that trace
name = "paris"                 # requests are exchanged with (`tracedesk admin
url = "https://tracedesk.paris.example"   # create-agency --peer paris --id ...`)
client_id = "td_9Xk..."        # an API key there, of a service account of one of our
client_secret_env = "TRACEDESK_PARIS_SECRET"   # agencies, with scope federation:exchange
timeout_seconds = 5
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from service.adapters.federation import HttpTraceChannel
from service.adapters.peers import PeerClient
from service.adapters.persistence.database import Database
from service.adapters.persistence.registry import SqlRegistry
from service.adapters.registries.http import HttpRegistry
from service.adapters.registries.memory import FileRegistry
from service.domain.identity import PEER_NAME
from service.domain.ports.registries import FirearmRegistry
from service.domain.reference import ReferenceCatalogue

ADAPTERS: Final = ("memory", "sql", "http")


class ConfigurationError(ValueError):
    """The connections file says something that cannot be used; the message says what."""


def _secret(what: str, variable: str | None) -> str:
    if not variable:
        raise ConfigurationError(f"{what}: client_secret_env is missing")
    secret = os.environ.get(variable)
    if not secret:
        raise ConfigurationError(f"{what}: the environment has no {variable}")
    return secret


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
        return _secret(f"registry {self.name!r}", self.client_secret_env)


@dataclass(frozen=True, slots=True)
class PeerSetting:
    name: str
    url: str
    client_id: str
    client_secret_env: str
    timeout_seconds: float = 5.0

    def client(self) -> PeerClient:
        return PeerClient(
            url=self.url,
            client_id=self.client_id,
            client_secret=_secret(f"peer {self.name!r}", self.client_secret_env),
            timeout_seconds=self.timeout_seconds,
            user_agent="tracedesk-federation-client",
            name=f"peer:{self.name}",
        )


@dataclass(frozen=True, slots=True)
class Connections:
    registries: tuple[RegistrySetting, ...] = ()
    peers: tuple[PeerSetting, ...] = ()


def read_connections(path: Path) -> Connections:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"{path}: {error}") from None
    unknown = set(document) - {"registry", "peer"}
    if unknown:
        raise ConfigurationError(f"{path}: unknown tables {', '.join(sorted(unknown))}")
    registries = tuple(
        _setting(path, number, entry)
        for number, entry in enumerate(_entries(path, document, "registry"), start=1)
    )
    peers = tuple(
        _peer(path, number, entry)
        for number, entry in enumerate(_entries(path, document, "peer"), start=1)
    )
    for kind, names in (
        ("registry", [r.name for r in registries]),
        ("peer", [p.name for p in peers]),
    ):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigurationError(f"{path}: {kind} names used twice: {', '.join(duplicates)}")
    return Connections(registries, peers)


def _entries(path: Path, document: dict[str, object], table: str) -> list[object]:
    entries = document.get(table, [])
    if not isinstance(entries, list):
        raise ConfigurationError(f"{path}: [[{table}]] entries expected")
    return entries


def _peer(path: Path, number: int, entry: object) -> PeerSetting:
    where = f"{path}, peer {number}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: a table expected")
    name = entry.get("name")
    if not isinstance(name, str) or not PEER_NAME.fullmatch(name):
        raise ConfigurationError(f"{where}: name must be 1 to 64 letters, digits, - or _")
    unknown = set(entry) - {"name", "url", "client_id", "client_secret_env", "timeout_seconds"}
    if unknown:
        raise ConfigurationError(f"{where} ({name}): unknown keys {', '.join(sorted(unknown))}")
    for key in ("url", "client_id", "client_secret_env"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ConfigurationError(f"{where} ({name}): `{key}` is needed")
    if not entry["url"].startswith(("http://", "https://")):
        raise ConfigurationError(f"{where} ({name}): url must be http:// or https://")
    return PeerSetting(
        name=name,
        url=entry["url"],
        client_id=entry["client_id"],
        client_secret_env=entry["client_secret_env"],
        timeout_seconds=_timeout(where, name, entry),
    )


def _timeout(where: str, name: str, entry: dict[str, object]) -> float:
    timeout = entry.get("timeout_seconds", 5.0)
    if not isinstance(timeout, int | float) or not 0 < timeout <= 120:
        raise ConfigurationError(f"{where} ({name}): timeout_seconds must be in (0, 120]")
    return float(timeout)


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
    timeout = _timeout(where, name, entry)
    return RegistrySetting(
        name=name,
        adapter=adapter,
        file=(path.parent / file) if isinstance(file, str) else None,
        url=entry.get("url"),
        client_id=entry.get("client_id"),
        client_secret_env=entry.get("client_secret_env"),
        remote_name=entry.get("remote_name"),
        timeout_seconds=timeout,
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


def build_trace_channel(peers: Sequence[PeerSetting]) -> HttpTraceChannel:
    return HttpTraceChannel({peer.name: peer.client() for peer in peers})


async def close_connections(
    registries: Mapping[str, FirearmRegistry], channel: object | None = None
) -> None:
    for registry in registries.values():
        if isinstance(registry, HttpRegistry):
            await registry.aclose()
    if isinstance(channel, HttpTraceChannel):
        await channel.aclose()
