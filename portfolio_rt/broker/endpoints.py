"""Where Alpaca is: the Broker API, the market-data API and the stream, with credentials."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Settings

_HOSTS = {
    "sandbox": (
        "https://broker-api.sandbox.alpaca.markets",
        "https://data.sandbox.alpaca.markets",
        "wss://stream.data.sandbox.alpaca.markets",
    ),
    "production": (
        "https://broker-api.alpaca.markets",
        "https://data.alpaca.markets",
        "wss://stream.data.alpaca.markets",
    ),
}


@dataclass(frozen=True)
class AlpacaEndpoints:
    """Base URLs without trailing slash (`broker_url + "/v1/..."`) and the keys for them."""

    broker_url: str
    data_url: str
    stream_url: str
    crypto_stream_url: str
    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    embedded_sandbox: bool = False


def alpaca_endpoints(settings: Settings) -> AlpacaEndpoints:
    """Alpaca's hosts for the configured environment, each replaceable by a URL override."""
    broker, data, stream_host = _HOSTS[settings.alpaca.environment]
    stream_base = settings.alpaca.stream_url.rstrip("/") or stream_host
    return AlpacaEndpoints(
        broker_url=settings.alpaca.broker_url.rstrip("/") or broker,
        data_url=settings.alpaca.data_url.rstrip("/") or data,
        stream_url=f"{stream_base}/v2/{settings.alpaca.data_feed}",
        crypto_stream_url=f"{stream_base}/v1beta3/crypto/us",
        api_key=settings.secrets.alpaca_api_key,
        secret_key=settings.secrets.alpaca_secret_key,
    )
