"""The market feed: the stocks and crypto readers, the market clock and the snapshot poller,
started and stopped together (by the instance that holds the stream lease)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import ClientSession

from ..config import Settings
from ..core.symbols import is_crypto
from ..ops.metrics import Metrics
from ..stream.market_hours import MarketHours
from ..stream.poller import FetchPrices, PricePoller
from ..stream.reader import Family, Sink, StreamReader
from .prices import PriceMap


class MarketFeed:
    """Every price source of one instance, feeding one price map."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: ClientSession,
        stocks_url: str,
        crypto_url: str,
        key: str,
        secret: str,
        prices: PriceMap,
        market: MarketHours,
        fetch_prices: FetchPrices | None,
        rank: Callable[[str], int],
        on_state: Callable[[StreamReader], None] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.prices = prices
        self.market = market
        stream = settings.stream
        families: dict[Family, str] = {"stocks": stocks_url}
        if stream.crypto:
            families["crypto"] = crypto_url
        self.readers: dict[str, StreamReader] = {
            family: StreamReader(
                family=family,
                url=url,
                key=key,
                secret=secret,
                session=session,
                settings=stream,
                sink=self._sink(family, metrics),
                market=market,
                rank=rank,
                on_state=on_state,
            )
            for family, url in families.items()
        }
        self.poller = (
            PricePoller(self, fetch_prices, stream.snapshot_poll_s)
            if fetch_prices is not None
            else None
        )
        self._wanted: set[str] = set()
        self.started = False

    def _sink(self, family: str, metrics: Metrics | None) -> Sink:
        """Frames into the price map, counted per frame (not per tick) when metrics are on."""
        apply = self.prices.apply
        if metrics is None:
            return apply

        def counted(messages: list[dict[str, Any]]) -> None:
            metrics.stream_received(family, "data", len(messages))
            apply(messages)

        return counted

    def want(self, symbols: set[str]) -> None:
        """Subscribe each reader to its family's share of `symbols`."""
        self._wanted = set(symbols)
        crypto = {s for s in symbols if is_crypto(s)}
        self.readers["stocks"].want(symbols - crypto)
        if "crypto" in self.readers:
            self.readers["crypto"].want(crypto)

    def overflow(self) -> set[str]:
        out: set[str] = set()
        for reader in self.readers.values():
            out |= reader.overflow
        if "crypto" not in self.readers:
            out |= {s for s in self._wanted if is_crypto(s)}
        return out

    def store(self, prices: Mapping[str, float]) -> None:
        self.prices.update(dict(prices))

    def start(self) -> None:
        for reader in self.readers.values():
            reader.start()
        if self.poller is not None:
            self.poller.start()
        self.started = True

    async def close(self) -> None:
        self.started = False
        if self.poller is not None:
            await self.poller.close()
        for reader in self.readers.values():
            await reader.close()

    def states(self) -> dict[str, str]:
        return {name: reader.state for name, reader in self.readers.items()}
