"""The market feed: the stocks and crypto readers, the market clock and the snapshot poller,
started and stopped together (by the instance that holds the stream lease)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import ClientSession

from ..config import Settings
from ..realtime.prices import PriceMap
from .market_hours import MarketHours
from .reader import StreamReader
from .snapshots import Get, SnapshotPoller


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
        get: Get | None,
        rank: Callable[[str], int],
        on_state: Callable[[StreamReader], None] | None = None,
    ) -> None:
        self.prices = prices
        self.market = market
        stream = settings.stream
        common = {
            "key": key,
            "secret": secret,
            "session": session,
            "settings": stream,
            "sink": prices.apply,
            "market": market,
            "rank": rank,
            "on_state": on_state,
        }
        self.readers: dict[str, StreamReader] = {
            "stocks": StreamReader(family="stocks", url=stocks_url, **common)  # type: ignore[arg-type]
        }
        if stream.crypto:
            self.readers["crypto"] = StreamReader(family="crypto", url=crypto_url, **common)  # type: ignore[arg-type]
        self.poller = (
            SnapshotPoller(self, get, stream.snapshot_poll_s, settings.alpaca.data_feed)
            if get is not None
            else None
        )
        self._wanted: set[str] = set()
        self.started = False

    def want(self, symbols: set[str]) -> None:
        """Subscribe each reader to its family's share of `symbols`."""
        self._wanted = set(symbols)
        crypto = {s for s in symbols if "/" in s}
        self.readers["stocks"].want(symbols - crypto)
        if "crypto" in self.readers:
            self.readers["crypto"].want(crypto)

    def overflow(self) -> set[str]:
        out: set[str] = set()
        for reader in self.readers.values():
            out |= reader.overflow
        if "crypto" not in self.readers:
            out |= {s for s in self._wanted if "/" in s}
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
