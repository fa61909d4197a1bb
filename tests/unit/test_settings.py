"""Settings refused where they are read, one line each, never repeating their values:
database URLs tracedesk cannot speak, and signing secrets anyone could know."""

from __future__ import annotations

import pydantic
import pytest

from service.adapters.settings import DEVELOPMENT_SECRET, Environment, Settings

STRONG = "k" * 16 + "0123456789abcdefXYZ"


def refusal(**values: object) -> str:
    with pytest.raises(pydantic.ValidationError) as refused:
        Settings(_env_file=None, **values)  # type: ignore[call-arg]
    (error,) = refused.value.errors()
    return f"{error['loc'][0]}: {error['msg']}"


@pytest.mark.parametrize(
    ("written", "understood"),
    [
        (
            "postgres://app:pw@db.example:5432/tracedesk",
            "postgresql+asyncpg://app:pw@db.example:5432/tracedesk",
        ),
        ("postgresql://app@127.0.0.1/tracedesk", "postgresql+asyncpg://app@127.0.0.1/tracedesk"),
        (
            "postgresql+asyncpg://app@127.0.0.1/tracedesk",
            "postgresql+asyncpg://app@127.0.0.1/tracedesk",
        ),
        ("sqlite:///./tracedesk.db", "sqlite+aiosqlite:///./tracedesk.db"),
        # Several hosts, as `pg_autoctl show uri` prints them: one host= parameter each.
        (
            "postgres://app:pw@127.0.0.1:6001,127.0.0.1:6002/tracedesk"
            "?target_session_attrs=read-write&sslmode=prefer",
            "postgresql+asyncpg://app:pw@/tracedesk?host=127.0.0.1%3A6001&host=127.0.0.1%3A6002"
            "&sslmode=prefer&target_session_attrs=read-write",
        ),
        (  # a host without a port has PostgreSQL's
            "postgresql://app@db1,db2:5433/tracedesk?target_session_attrs=primary",
            "postgresql+asyncpg://app@/tracedesk?host=db1%3A5432&host=db2%3A5433"
            "&target_session_attrs=primary",
        ),
        (  # libpq's other form: hosts and ports as comma-separated parameters
            "postgresql://app@/tracedesk?host=db1,db2&port=5432,5433"
            "&target_session_attrs=read-write",
            "postgresql+asyncpg://app@/tracedesk?host=db1%3A5432&host=db2%3A5433"
            "&target_session_attrs=read-write",
        ),
        (  # SQLAlchemy's own form stays as it is
            "postgresql+asyncpg://app@/tracedesk?host=db1%3A1&host=db2%3A2"
            "&target_session_attrs=read-write",
            "postgresql+asyncpg://app@/tracedesk?host=db1%3A1&host=db2%3A2"
            "&target_session_attrs=read-write",
        ),
    ],
)
def test_the_usual_database_urls_mean_the_drivers_tracedesk_speaks(
    written: str, understood: str
) -> None:
    assert Settings(_env_file=None, database_url=written).database_url == understood  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("not a url", "not a database URL"),
        ("mysql://root@127.0.0.1/tracedesk", "does not speak 'mysql'"),
        ("postgresql+psycopg2://app:secret@127.0.0.1/tracedesk", "does not speak"),
        ("postgresql://app:secret@127.0.0.1", "names no database"),
        (
            "postgresql://app:secret@db1:5432,db2:5432/tracedesk",
            "lists several hosts but not which one takes writes; add "
            "target_session_attrs=read-write",
        ),
        (
            "postgresql://app:secret@db1:5432,db2:5432/tracedesk?target_session_attrs=any",
            "add target_session_attrs=read-write",
        ),
        (
            "postgresql://app:secret@db1:5432,db2:54x/tracedesk?target_session_attrs=read-write",
            "port '54x' is not a port number",
        ),
        (
            "postgresql://app:secret@/tracedesk?host=db1,db2,db3&port=1,2"
            "&target_session_attrs=read-write",
            "lists 3 hosts but 2 ports",
        ),
    ],
)
def test_other_database_urls_are_refused_in_one_line_without_their_password(
    written: str, said: str
) -> None:
    message = refusal(database_url=written)
    assert message.startswith("database_url: ") and said in message
    assert "secret" not in message


def test_a_short_secret_is_refused() -> None:
    assert "at least 32 bytes" in refusal(jwt_secret="five!")


@pytest.mark.parametrize("published", [DEVELOPMENT_SECRET, "CHANGE-ME" * 4])
def test_a_secret_published_with_tracedesk_is_refused(published: str) -> None:
    assert "published with tracedesk" in refusal(jwt_secret=published)


def test_production_needs_a_secret_of_its_own() -> None:
    assert "production needs a signing secret" in refusal(environment="production")
    settings = Settings(_env_file=None, environment="production", jwt_secret=STRONG)  # type: ignore[call-arg]
    assert settings.environment is Environment.PRODUCTION
    assert not settings.uses_development_secret


def test_development_without_a_secret_uses_the_built_in_one() -> None:
    assert Settings(_env_file=None).uses_development_secret  # type: ignore[call-arg]


def test_a_read_replica_may_be_any_of_several_hosts_standbys_first() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url="postgresql://app@db1,db2/tracedesk?target_session_attrs=read-write",
        read_database_url="postgresql://app@db1,db2/tracedesk?target_session_attrs=prefer-standby",
    )
    assert settings.read_database_url == (
        "postgresql+asyncpg://app@/tracedesk?host=db1%3A5432&host=db2%3A5432"
        "&target_session_attrs=prefer-standby"
    )


def test_a_read_replica_is_a_postgresql_standby() -> None:
    assert "a read replica is a PostgreSQL standby" in refusal(
        read_database_url="postgresql://app@db2/tracedesk"  # of the default SQLite file
    )
