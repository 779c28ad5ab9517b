"""Settings: one typed object, read from `config.toml`, overridable from the environment.

Every key in `config.toml` can be overridden by an environment variable named
`PORTFOLIO_RT__<SECTION>__<KEY>` (upper case), e.g. `PORTFOLIO_RT__SERVER__PORT=9000`.
Secrets never live in the file: they come only from the variables in `SECRET_ENV`.
A bad value stops start-up with a `ConfigError` whose message names the key.
"""

from __future__ import annotations

import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

ENV_PREFIX = "PORTFOLIO_RT__"
DEFAULT_CONFIG_PATH = Path("config.toml")

SECRET_ENV = {
    "alpaca_api_key": "ALPACA_BROKER_API_KEY",
    "alpaca_secret_key": "ALPACA_BROKER_SECRET_KEY",
    "session_secret": "PORTFOLIO_RT_SECRET",
    "metrics_token": "PORTFOLIO_RT_METRICS_TOKEN",
}


class ConfigError(ValueError):
    """A setting is missing, unknown or invalid; the message names the key."""


def _choice(*values: str) -> dict[str, Any]:
    return {"choices": values}


def _range(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"min": lo, "max": hi}


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = field(default=8080, metadata=_range(0, 65535))
    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ("localhost",)
    api_requests_per_s: float = field(default=20.0, metadata=_range(0, 100_000))
    api_request_burst: int = field(default=200, metadata=_range(1, 1_000_000))
    shutdown_timeout_s: float = field(default=5.0, metadata=_range(0, 60))
    max_body_bytes: int = field(default=65536, metadata=_range(1024, 16 * 1024 * 1024))
    trust_forwarded_headers: bool = False
    metrics_enabled: bool = True


@dataclass(frozen=True)
class LogSettings:
    format: str = field(default="auto", metadata=_choice("auto", "json", "console"))
    level: str = field(
        default="info", metadata=_choice("debug", "info", "warning", "error", "critical")
    )


@dataclass(frozen=True)
class AuthSettings:
    algorithm: str = field(default="HS256", metadata=_choice("HS256", "RS256", "ES256"))
    public_key_file: str = ""
    issuer: str = "portfolio_rt"
    audience: str = "portfolio_rt"
    account_claim: str = "account_id"
    token_ttl_s: int = field(default=43200, metadata=_range(60, 365 * 86400))
    max_token_ttl_s: int = field(default=30 * 86400, metadata=_range(60, 365 * 86400))
    revocations_file: str = ""
    demo_logins: str = field(default="auto", metadata=_choice("auto", "on", "off"))
    login_max_failures: int = field(default=5, metadata=_range(1, 1000))
    login_address_max_failures: int = field(default=20, metadata=_range(1, 100_000))
    login_window_s: float = field(default=300.0, metadata=_range(1, 86400))
    login_slowdown_max_s: float = field(default=8.0, metadata=_range(0, 60))
    login_max_per_address: int = field(default=30, metadata=_range(1, 100_000))
    login_hash_threads: int = field(default=2, metadata=_range(1, 64))
    cookie_name: str = "prt_session"
    cookie_secure: str = field(default="auto", metadata=_choice("auto", "always", "never"))


@dataclass(frozen=True)
class AlpacaSettings:
    mode: str = field(default="auto", metadata=_choice("auto", "sandbox", "alpaca"))
    environment: str = field(default="sandbox", metadata=_choice("sandbox", "production"))
    broker_url: str = ""
    data_url: str = ""
    stream_url: str = ""
    data_feed: str = field(default="iex", metadata=_choice("iex", "sip"))
    request_timeout_s: float = field(default=10.0, metadata=_range(0.1, 120))


@dataclass(frozen=True)
class BrokerSettings:
    cache_ttl_s: float = field(default=10.0, metadata=_range(0, 3600))
    history_cache_ttl_s: float = field(default=60.0, metadata=_range(0, 86400))
    asset_cache_ttl_s: float = field(default=21600.0, metadata=_range(0, 7 * 86400))
    max_stale_s: float = field(default=3600.0, metadata=_range(0, 7 * 86400))
    not_found_ttl_s: float = field(default=60.0, metadata=_range(0, 86400))
    cache_max_entries: int = field(default=50_000, metadata=_range(100, 10_000_000))
    retry_attempts: int = field(default=3, metadata=_range(0, 10))
    retry_base_delay_s: float = field(default=0.2, metadata=_range(0, 60))
    retry_max_delay_s: float = field(default=5.0, metadata=_range(0, 300))
    circuit_failure_threshold: int = field(default=5, metadata=_range(1, 1000))
    circuit_reset_s: float = field(default=10.0, metadata=_range(0.1, 3600))


@dataclass(frozen=True)
class FundsSettings:
    max_deposit: Decimal = field(default=Decimal("50000"), metadata=_range(1, 10_000_000))
    idempotency_ttl_s: float = field(default=86400.0, metadata=_range(60, 30 * 86400))


@dataclass(frozen=True)
class ReturnsSettings:
    benchmark_symbol: str = "SPY"


@dataclass(frozen=True)
class SandboxSettings:
    host: str = "127.0.0.1"
    port: int = field(default=0, metadata=_range(0, 65535))
    seed: int = 7
    extra_accounts: int = field(default=0, metadata=_range(0, 1_000_000))
    market_hours: str = field(default="always_open", metadata=_choice("real", "always_open"))
    trades_per_second: float = field(default=40.0, metadata=_range(0, 1_000_000))
    transfer_delay_s: float = field(default=30.0, metadata=_range(0, 7 * 86400))
    fill_delay_s: float = field(default=0.3, metadata=_range(0, 3600))
    history_years: int = field(default=6, metadata=_range(1, 20))


@dataclass(frozen=True)
class DashboardSettings:
    web_dir: str = ""
    scores_refresh_s: float = field(default=300.0, metadata=_range(10, 86400))


@dataclass(frozen=True)
class RedisSettings:
    url: str = ""
    prefix: str = "portfolio_rt"


@dataclass(frozen=True)
class StreamSettings:
    """The market-data stream reader (one connection per endpoint, stocks and crypto)."""

    enabled: bool = True
    encoding: str = field(default="msgpack", metadata=_choice("msgpack", "json"))
    crypto: bool = True
    reconnect_base_delay_s: float = field(default=1.0, metadata=_range(0.01, 60))
    reconnect_max_delay_s: float = field(default=30.0, metadata=_range(0.1, 3600))
    connection_limit_delay_s: float = field(default=15.0, metadata=_range(0.01, 3600))
    silence_timeout_s: float = field(default=30.0, metadata=_range(0.1, 3600))
    handshake_timeout_s: float = field(default=10.0, metadata=_range(0.1, 120))
    snapshot_poll_s: float = field(default=15.0, metadata=_range(0.1, 3600))
    clock_poll_s: float = field(default=60.0, metadata=_range(1, 3600))


@dataclass(frozen=True)
class EventsSettings:
    """The broker events consumer (Alpaca's server-sent event streams)."""

    enabled: bool = True
    silence_timeout_s: float = field(default=45.0, metadata=_range(1, 3600))
    reconnect_base_delay_s: float = field(default=1.0, metadata=_range(0.01, 60))
    reconnect_max_delay_s: float = field(default=30.0, metadata=_range(0.1, 3600))


@dataclass(frozen=True)
class RealtimeSettings:
    """Live values: holdings collection, revaluation, the WebSocket hub and scale-out."""

    push_interval_s: float = field(default=1.0, metadata=_range(0.01, 60))
    push_phases: int = field(default=10, metadata=_range(1, 100))
    collector_interval_s: float = field(default=60.0, metadata=_range(0.1, 86400))
    reconcile_interval_s: float = field(default=900.0, metadata=_range(0.1, 86400))
    account_refresh_s: float = field(default=60.0, metadata=_range(0.1, 86400))
    auth_timeout_s: float = field(default=5.0, metadata=_range(0.1, 120))
    heartbeat_s: float = field(default=25.0, metadata=_range(1, 3600))
    max_pending: int = field(default=16, metadata=_range(1, 10_000))
    max_sockets_per_account: int = field(default=20, metadata=_range(1, 10_000))
    send_timeout_s: float = field(default=10.0, metadata=_range(0.1, 600))
    fanout_interval_s: float = field(default=0.1, metadata=_range(0.01, 10))
    lease_ttl_s: float = field(default=5.0, metadata=_range(1, 600))


@dataclass(frozen=True)
class Secrets:
    """Values that only ever come from the environment; never logged, never in repr."""

    alpaca_api_key: str = field(default="", repr=False)
    alpaca_secret_key: str = field(default="", repr=False)
    session_secret: str = field(default="", repr=False)
    metrics_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    log: LogSettings = field(default_factory=LogSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    alpaca: AlpacaSettings = field(default_factory=AlpacaSettings)
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    funds: FundsSettings = field(default_factory=FundsSettings)
    returns: ReturnsSettings = field(default_factory=ReturnsSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    stream: StreamSettings = field(default_factory=StreamSettings)
    realtime: RealtimeSettings = field(default_factory=RealtimeSettings)
    events: EventsSettings = field(default_factory=EventsSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    secrets: Secrets = field(default_factory=Secrets, repr=False)

    @property
    def sandbox_mode(self) -> bool:
        """Sandbox when asked for, or in `auto` mode when no Alpaca credentials are set."""
        if self.alpaca.mode == "auto":
            return not (self.secrets.alpaca_api_key and self.secrets.alpaca_secret_key)
        return self.alpaca.mode == "sandbox"


T = TypeVar("T")

_SECTIONS = {f.name for f in fields(Settings) if f.name != "secrets"}


def load_settings(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Read `path` (if it exists), apply environment overrides, then `overrides`, and validate.

    `path=None` reads `config.toml` in the working directory when present; an explicit path
    that does not exist is an error.
    """
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None and not path.exists():
        raise ConfigError(f"config file not found: {path}")
    source = path or DEFAULT_CONFIG_PATH
    if source.exists():
        try:
            raw = tomllib.loads(source.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None

    unknown = set(raw) - _SECTIONS
    if unknown:
        raise ConfigError(f"unknown config section: {sorted(unknown)[0]}")

    values: dict[str, dict[str, Any]] = {name: dict(raw.get(name, {})) for name in _SECTIONS}
    for name, section in values.items():
        if not isinstance(raw.get(name, {}), dict):
            raise ConfigError(f"{name}: must be a table")
        _apply_env(name, section, env)
        if overrides and name in overrides:
            section.update(overrides[name])

    hints = get_type_hints(Settings)
    built = {name: _build(hints[name], name, values[name]) for name in _SECTIONS}
    secrets = Secrets(**{attr: env.get(var, "") for attr, var in SECRET_ENV.items()})
    return Settings(**built, secrets=secrets)


def with_overrides(settings: Settings, **sections: Mapping[str, Any]) -> Settings:
    """A copy of `settings` with some keys replaced (validated like the file's)."""
    changed: dict[str, Any] = {}
    for name, updates in sections.items():
        current = getattr(settings, name)
        merged = {f.name: getattr(current, f.name) for f in fields(current)} | dict(updates)
        changed[name] = _build(type(current), name, merged)
    return replace(settings, **changed)


def _apply_env(section: str, values: dict[str, Any], env: Mapping[str, str]) -> None:
    prefix = f"{ENV_PREFIX}{section.upper()}__"
    for var, text in env.items():
        if var.startswith(prefix):
            values[var[len(prefix) :].lower()] = _EnvText(text)


class _EnvText(str):
    """A value that came from the environment as text and must be parsed for its field."""


def _build(cls: type[T], section: str, values: Mapping[str, Any]) -> T:
    assert is_dataclass(cls)
    hints = get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"unknown config key: {section}.{sorted(unknown)[0]}")
    parsed: dict[str, Any] = {}
    for name, value in values.items():
        key = f"{section}.{name}"
        parsed[name] = _validate(key, _coerce(key, hints[name], value), known[name].metadata)
    return cls(**parsed)


def _coerce(key: str, hint: Any, value: Any) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
        origin = get_origin(hint)
    from_env = isinstance(value, _EnvText)
    try:
        if hint is bool:
            if from_env:
                lowered = value.strip().lower()
                if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError
                return lowered in {"1", "true", "yes", "on"}
            if not isinstance(value, bool):
                raise ValueError
            return value
        if hint is int:
            if isinstance(value, bool) or (not from_env and not isinstance(value, int)):
                raise ValueError
            return int(value)
        if hint is float:
            if isinstance(value, bool) or (not from_env and not isinstance(value, int | float)):
                raise ValueError
            return float(value)
        if hint is Decimal:
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise ValueError
            parsed = Decimal(str(value))
            if not parsed.is_finite():
                raise ValueError
            return parsed
        if hint is str:
            if not isinstance(value, str):
                raise ValueError
            return str(value)
        if origin is tuple:
            items = [v.strip() for v in value.split(",") if v.strip()] if from_env else value
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                raise ValueError
            return tuple(items)
    except (ValueError, ArithmeticError):
        expected = getattr(hint, "__name__", str(hint))
        raise ConfigError(f"{key}: expected {expected}, got {value!r}") from None
    raise ConfigError(f"{key}: unsupported setting type {hint!r}")


def _validate(key: str, value: Any, meta: Mapping[str, Any]) -> Any:
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{key}: must be one of {', '.join(choices)}; got {value!r}")
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and value < lo:
        raise ConfigError(f"{key}: must be at least {lo}; got {value!r}")
    if hi is not None and value > hi:
        raise ConfigError(f"{key}: must be at most {hi}; got {value!r}")
    return value
