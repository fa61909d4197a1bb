"""The connections file: what is accepted, and what is refused with a useful message."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.adapters.connections import ConfigurationError, read_connections


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "connections.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_adapter_is_configured_by_name(tmp_path: Path) -> None:
    settings = read_connections(
        write(
            tmp_path,
            '[[registry]]\nname = "iarms"\nadapter = "memory"\nfile = "iarms.ndjson"\n'
            '[[registry]]\nname = "national"\nadapter = "sql"\n'
            '[[registry]]\nname = "be"\nadapter = "http"\nurl = "https://be.example"\n'
            'client_id = "td_x"\nclient_secret_env = "BE_SECRET"\nremote_name = "national"\n'
            "timeout_seconds = 2\n",
        )
    ).registries
    assert [(s.name, s.adapter) for s in settings] == [
        ("iarms", "memory"),
        ("national", "sql"),
        ("be", "http"),
    ]
    assert settings[0].file == tmp_path / "iarms.ndjson"
    assert settings[2].remote_name == "national" and settings[2].timeout_seconds == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[registry]]\nname = "x"\nadapter = "ftp"\n', "adapter must be one of"),
        ('[[registry]]\nname = "x"\nadapter = "memory"\n', "needs `file`"),
        (
            '[[registry]]\nname = "x"\nadapter = "http"\nurl = "https://x"\n',
            "needs `url` and `client_id`",
        ),
        ('[[registry]]\nname = "x"\nadapter = "sql"\npassword = "p"\n', "unknown keys password"),
        ('[[registry]]\nname = "x"\nadapter = "sql"\n' * 2, "used twice: x"),
        ("[[registry]\n", "connections.toml"),
        ('[[peer]]\nname = "paris"\nurl = "https://p"\n', "`client_id` is needed"),
        (
            '[[peer]]\nname = "pa ris"\nurl = "https://p"\nclient_id = "x"\n'
            'client_secret_env = "S"\n',
            "name must be",
        ),
        (
            '[[peer]]\nname = "p"\nurl = "ftp://p"\nclient_id = "x"\nclient_secret_env = "S"\n',
            "http:// or https://",
        ),
        ('[[peers]]\nname = "p"\n', "unknown tables peers"),
    ],
)
def test_a_wrong_file_is_refused_with_what_is_wrong(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        read_connections(write(tmp_path, text))


def test_a_secret_comes_from_the_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (setting,) = read_connections(
        write(
            tmp_path,
            '[[registry]]\nname = "be"\nadapter = "http"\nurl = "https://be.example"\n'
            'client_id = "td_x"\nclient_secret_env = "BE_SECRET"\n',
        )
    ).registries
    monkeypatch.delenv("BE_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="no BE_SECRET"):
        setting.client_secret()
    monkeypatch.setenv("BE_SECRET", "s3cret")
    assert setting.client_secret() == "s3cret"


def test_peers_are_configured_by_name_with_their_secret_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connections = read_connections(
        write(
            tmp_path,
            '[[peer]]\nname = "berlin"\nurl = "https://tracedesk.bka.example"\n'
            'client_id = "td_b"\nclient_secret_env = "BERLIN_SECRET"\ntimeout_seconds = 3\n',
        )
    )
    (peer,) = connections.peers
    assert (peer.name, peer.url, peer.timeout_seconds) == (
        "berlin",
        "https://tracedesk.bka.example",
        3.0,
    )
    monkeypatch.delenv("BERLIN_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="no BERLIN_SECRET"):
        peer.client()
