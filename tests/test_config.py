"""Settings: file, environment overrides, secrets, and one clear line for a bad key."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from portfolio_rt.config import ConfigError, Settings, load_settings, with_overrides

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads_and_matches_defaults() -> None:
    settings = load_settings(ROOT / "config.toml", env={})
    assert settings.server.port == 8080
    assert settings.sandbox.market_hours == "always_open"
    assert settings.sandbox_mode is True


def test_every_setting_is_in_the_shipped_config_with_a_comment() -> None:
    lines = (ROOT / "config.toml").read_text(encoding="utf-8").splitlines()
    documented: set[str] = set()
    section = ""
    for index, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip("[] ")
        elif "=" in line and not line.lstrip().startswith("#"):
            assert lines[index - 1].lstrip().startswith("#"), f"undocumented key: {line}"
            documented.add(f"{section}.{line.split('=')[0].strip()}")
    settings = Settings()
    expected = {
        f"{section.name}.{key.name}"
        for section in fields(settings)
        if section.name != "secrets"
        for key in fields(getattr(settings, section.name))
    }
    assert documented == expected


def test_environment_overrides_any_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 8080\n")
    env = {
        "PORTFOLIO_RT__SERVER__PORT": "9001",
        "PORTFOLIO_RT__SERVER__ALLOWED_ORIGINS": "https://a.example, https://b.example",
        "PORTFOLIO_RT__SANDBOX__TRADES_PER_SECOND": "12.5",
        "PORTFOLIO_RT__LOG__FORMAT": "json",
    }
    settings = load_settings(path, env=env)
    assert settings.server.port == 9001
    assert settings.server.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.sandbox.trades_per_second == 12.5
    assert settings.log.format == "json"


def test_credentials_switch_auto_mode_to_alpaca(tmp_path: Path) -> None:
    env = {"ALPACA_BROKER_API_KEY": "k", "ALPACA_BROKER_SECRET_KEY": "s"}
    settings = load_settings(write(tmp_path, ""), env=env)
    assert settings.sandbox_mode is False
    assert settings.secrets.alpaca_api_key == "k"


def test_secrets_never_appear_in_repr(tmp_path: Path) -> None:
    env = {"ALPACA_BROKER_SECRET_KEY": "very-secret-value", "PORTFOLIO_RT_SECRET": "signing-key"}
    settings = load_settings(write(tmp_path, ""), env=env)
    assert "very-secret-value" not in repr(settings)
    assert "signing-key" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "env", "named"),
    [
        ("[server]\nport = 'eighty'\n", {}, "server.port"),
        ("[server]\nport = 70000\n", {}, "server.port"),
        ("[server]\nprot = 80\n", {}, "server.prot"),
        ("[sandbox]\nmarket_hours = 'sometimes'\n", {}, "sandbox.market_hours"),
        ("", {"PORTFOLIO_RT__SERVER__PORT": "x"}, "server.port"),
        ("", {"PORTFOLIO_RT__ALPACA__MODE": "paper"}, "alpaca.mode"),
        ("[nonsense]\nx = 1\n", {}, "nonsense"),
    ],
)
def test_bad_setting_names_its_key(
    tmp_path: Path, text: str, env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings(write(tmp_path, text), env=env)


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml", env={})


def test_invalid_toml_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[server\n"), env={})


def test_with_overrides_validates(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), env={})
    assert with_overrides(settings, server={"port": 0}).server.port == 0
    with pytest.raises(ConfigError, match=r"server\.port"):
        with_overrides(settings, server={"port": -1})
