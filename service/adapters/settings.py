"""Configuration from the environment (prefix TRACEDESK_) or a .env file."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from service.adapters.database_addresses import (
    WRITABLE_SESSIONS,
    canonical,
    hosts,
    hosts_in_query,
)
from service.domain.photos import DEFAULT_MAX_BYTES, PhotoRules
from service.domain.trace_workflow import DEFAULT_DUE_POLICY, DuePolicy, Priority

# Signs tokens when no secret is configured, so a newcomer can try tracedesk at once.
# Everyone can read it here, so the server refuses to listen beyond loopback with it.
DEVELOPMENT_SECRET: Final = "tracedesk-development-secret-never-use-in-production"  # noqa: S105
MINIMUM_SECRET_BYTES: Final = 32
# Secrets printed in this repository (the development one, the example environment
# file's placeholder): whoever reads them can sign tokens.
_PUBLISHED_SECRETS: Final = (DEVELOPMENT_SECRET, "change-me")
# The drivers tracedesk speaks through, by the schemes operators write.
_DRIVERS: Final = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}
_URL_FORMS: Final = "postgresql://user:password@host:5432/database or sqlite:///path/to/file.db"
PHOTO_DIRECTORY: Final = "tracedesk-photos"


def _database_url(url: str, *, for_writes: bool) -> str:
    try:
        parsed = make_url(hosts_in_query(url))
    except (ArgumentError, ValueError):
        raise ValueError(f"not a database URL; write {_URL_FORMS}") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(f"tracedesk does not speak '{parsed.drivername}'; write {_URL_FORMS}")
    if driver == "postgresql+asyncpg":
        if not parsed.database:
            raise ValueError("names no database; write " + _URL_FORMS)
        parsed = canonical(parsed)  # raises ValueError, in one line, for a bad port
        several = len(hosts(parsed)) > 1
        if (
            for_writes
            and several
            and parsed.query.get("target_session_attrs") not in WRITABLE_SESSIONS
        ):
            raise ValueError(
                "lists several hosts but not which one takes writes; add "
                "target_session_attrs=read-write (a standby would be used otherwise)"
            )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class VerificationKey(BaseModel):
    """A key that only verifies tokens: an earlier signing key kept during rotation."""

    kid: str
    algorithm: Literal["HS256", "RS256", "ES256"]
    secret: SecretStr | None = None
    public_key_file: Path | None = None


class DueTimes(BaseModel):
    """How long the addressed agency has, as ISO 8601 durations (PT4H, P2D)."""

    acknowledge: timedelta
    respond: timedelta


def _default_due_times() -> dict[Priority, DueTimes]:
    return {
        priority: DueTimes(
            acknowledge=DEFAULT_DUE_POLICY.acknowledge_within[priority],
            respond=DEFAULT_DUE_POLICY.respond_within[priority],
        )
        for priority in Priority
    }


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACEDESK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./tracedesk.db",
        description=(
            "SQLAlchemy URL of the database: the SQLite file for trying tracedesk out, "
            "`postgresql+asyncpg://user:password@host/db` in production. With a primary "
            "and standbys (deploy/ha/README.md), list every host and ask for the one that "
            "takes writes: `postgresql://user:password@host1:5432,host2:5432/db"
            "?target_session_attrs=read-write`."
        ),
    )
    read_database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of a read replica (a standby) for serial searches and "
        "recovery listings, which may then miss a write made a moment before; everything "
        "else, and every read that must see the latest write (a recovery by its id, "
        "accounts, trace requests), stays on `TRACEDESK_DATABASE_URL`. Several hosts with "
        "`target_session_attrs=prefer-standby` read from a standby while there is one.",
    )
    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description=(
            "`production` writes one JSON object per log line; `development` writes readable lines."
        ),
    )
    log_level: str = Field(
        default="INFO",
        description=("Lowest level logged: `DEBUG`, `INFO`, `WARNING` or `ERROR`."),
    )

    host: str | None = Field(
        default=None,
        description="Address to listen on; defaults to 0.0.0.0 with a configured signing "
        "secret, 127.0.0.1 without one.",
    )
    port: int = Field(
        default=8000,
        description=("Port to listen on (`tracedesk serve --port` overrides it)."),
    )
    forwarded_allow_ips: str | None = Field(
        default=None,
        description="Addresses of the reverse proxies in front, comma-separated, whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed. Without it every client behind "
        "a proxy has the proxy's address: the audit trail records that address, and the "
        "sign-in pause by address counts them all as one.",
    )

    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = Field(
        default="HS256",
        description=(
            "How access tokens are signed: HS256 with `TRACEDESK_JWT_SECRET`, RS256 or "
            "ES256 with `TRACEDESK_JWT_PRIVATE_KEY_FILE`."
        ),
    )
    jwt_secret: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="HS256 signing secret (at least 32 bytes). Required in production; "
        "without it, in development, a built-in secret signs tokens and the server listens "
        "on loopback only.",
    )
    jwt_private_key_file: Path | None = Field(
        default=None, description="PEM private key for RS256 or ES256."
    )
    jwt_key_id: str = Field(
        default="primary",
        description=(
            "`kid` of the signing key in each token's header; give a new key a new id, so "
            "that keys can rotate."
        ),
    )
    jwt_verify_keys: list[VerificationKey] = Field(
        default_factory=list,
        description="Earlier keys still accepted for verification (JSON list), for rotation.",
    )
    access_token_minutes: int = Field(
        default=15,
        description=(
            "Lifetime of an access token. A token living longer is refused, so lowering "
            "it signs out the tokens already issued for longer (their refresh tokens "
            "still work)."
        ),
    )
    refresh_token_days: int = Field(
        default=14,
        description=(
            "Lifetime of a refresh token. Each is single-use; a reused one revokes its "
            "whole family."
        ),
    )

    trace_due_times: dict[Priority, DueTimes] = Field(
        default_factory=_default_due_times,
        description="Due times of trace requests per priority (JSON), e.g. "
        '{"urgent": {"acknowledge": "PT4H", "respond": "PT24H"}, '
        '"routine": {"acknowledge": "P2D", "respond": "P30D"}}',
    )

    connections_file: Path | None = Field(
        default=None,
        description="TOML file naming the registries recoveries are checked against and "
        "the peers (other tracedesk instances) trace requests travel to; see "
        "service/adapters/connections.py.",
    )
    worker: Literal["in-process", "external"] = Field(
        default="in-process",
        description="Who runs the outbox (registry checks, case-network linking, deliveries "
        "to peers) and the imports uploaded to the API: the server itself, or separate "
        "`tracedesk worker` processes.",
    )

    processes: int = Field(
        default=1,
        ge=1,
        description="Server processes sharing the port, each with its own pool, group "
        "commit and outbox worker; one per core on a machine of its own.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        description=("Larger request bodies are refused with 413."),
    )
    import_max_bytes: int = Field(
        default=2 * 1024**3,
        ge=1,
        description="Files uploaded to POST /api/v1/imports may be this large (the body "
        "limit above is for every other request).",
    )
    import_directory: Path = Field(
        default=Path(tempfile.gettempdir()) / "tracedesk-imports",
        description="Where uploaded import files wait until their job has run (then they "
        "are removed). Every server process must see it; keep it on persistent storage, so "
        "that a job interrupted by a restart can be run again.",
    )
    photo_dir: Path | None = Field(
        default=None,
        description="Where photos of markings are kept, as files named by their SHA-256 "
        "(evidence: back it up with the database, and never edit it). By default "
        "`tracedesk-photos` beside the SQLite file, or in the working directory with any "
        "other database. Every server process must see it, and may write to it.",
    )
    photo_max_bytes: int = Field(
        default=DEFAULT_MAX_BYTES,
        ge=1,
        description="Largest photo that may be attached to an item, in bytes; uploads of "
        "photos may be this large (plus the form around the file) whatever the body limit.",
    )
    db_pool_size: int = Field(
        default=20,
        description="PostgreSQL connections per server process; requests beyond it wait.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, GET /metrics (Prometheus) answers only requests that send it "
        "as a bearer token; unset, /metrics is open, so keep it off the reverse proxy.",
    )
    opentelemetry: bool = Field(
        default=False,
        description="OpenTelemetry traces of every request (FastAPI's spans), exported over "
        "OTLP/HTTP as the standard OTEL_EXPORTER_OTLP_* variables say, with the trace "
        "context passed on to peers. Needs `pip install 'tracedesk[telemetry]'`.",
    )

    @field_validator("database_url")
    @classmethod
    def _speakable_database(cls, url: str) -> str:
        """`postgres://` and `postgresql://` mean PostgreSQL through asyncpg, `sqlite://`
        SQLite through aiosqlite; anything else is refused here, in one line, rather than
        by a driver's traceback when the first command connects. Several PostgreSQL hosts
        are kept as one `host=name:port` parameter each, a form every part can parse."""
        return _database_url(url, for_writes=True)

    @field_validator("read_database_url")
    @classmethod
    def _readable_replica(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None:
            return None
        written = info.data.get("database_url", "")
        if not written.startswith("postgresql") or not url.startswith("postgres"):
            raise ValueError("a read replica is a PostgreSQL standby of a PostgreSQL database")
        return _database_url(url, for_writes=False)

    @field_validator("jwt_secret", mode="after")
    @classmethod
    def _secret_of_its_own(cls, secret: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if secret is None:
            production = info.data.get("environment") is Environment.PRODUCTION
            if production and info.data.get("jwt_algorithm", "HS256") == "HS256":
                raise ValueError(
                    "production needs a signing secret of its own: at least "
                    f"{MINIMUM_SECRET_BYTES} random bytes (openssl rand -base64 48)"
                )
            return None
        value = secret.get_secret_value()
        if len(value.encode()) < MINIMUM_SECRET_BYTES:
            raise ValueError(
                f"must be at least {MINIMUM_SECRET_BYTES} bytes (openssl rand -base64 48)"
            )
        if any(published in value.lower() for published in _PUBLISHED_SECRETS):
            raise ValueError(
                "is a secret published with tracedesk (the development secret or the "
                "example file's placeholder); anyone could sign tokens with it"
            )
        return secret

    @property
    def uses_development_secret(self) -> bool:
        return self.jwt_algorithm == "HS256" and self.jwt_secret is None

    @property
    def signing_secret(self) -> str:
        return DEVELOPMENT_SECRET if self.jwt_secret is None else self.jwt_secret.get_secret_value()

    def photo_directory(self) -> Path:
        """The directory of photos: the one configured, or one beside the SQLite file."""
        if self.photo_dir is not None:
            return self.photo_dir
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).parent / PHOTO_DIRECTORY
        return Path(PHOTO_DIRECTORY)

    def photo_rules(self) -> PhotoRules:
        return PhotoRules(max_bytes=self.photo_max_bytes)

    def due_policy(self) -> DuePolicy:
        """The configured due times; an incomplete or incoherent set is refused here."""
        times = self.trace_due_times
        missing = [p.value for p in Priority if p not in times]
        if missing:
            raise ValueError(f"TRACEDESK_TRACE_DUE_TIMES lacks {', '.join(missing)}")
        return DuePolicy(
            acknowledge_within={p: t.acknowledge for p, t in times.items()},
            respond_within={p: t.respond for p, t in times.items()},
        )
