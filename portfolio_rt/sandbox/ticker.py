"""The live synthetic market: a background task that emits trades and quotes on the price path.

Every tick (every `interval_s`) it emits `trades_per_second × elapsed` trades, each with a quote,
over the symbols whose market is open, weighted toward popular symbols, with a round-robin share
so every symbol trades now and then. Each trade is `market.trade_at(symbol, t)` for a `t` spread
over the elapsed interval, so live prices always equal `market.price_at` at their timestamps.
Listeners receive each batch synchronously: nothing on this path awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import structlog

from ..core.tasks import BackgroundTask
from .market import Quote, Trade

if TYPE_CHECKING:
    from .calendar import MarketClock
    from .market import Market
    from .universe import Instrument

log = structlog.get_logger(__name__)

_KIND_WEIGHT: Final = MappingProxyType(
    {
        "large_cap": 3.0,
        "broad_etf": 4.0,
        "crypto": 4.0,
        "sector_etf": 1.5,
        "intl_etf": 1.0,
        "bond_etf": 1.0,
        "commodity_etf": 1.0,
        "small_cap": 0.7,
    }
)
_ROUND_ROBIN_SHARE: Final = 0.2
"""Share of the trades that walk the open symbols in turn, so all of them trade over time."""
_MAX_CATCH_UP_S: Final = 1.0
"""After a stall, at most this much time is filled with trades."""
_LOOKBACK_DAYS: Final = 10
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)
MAX_BATCH_TRADES: Final = 5_000
"""Trades per tick at most: an overloaded ticker thins its flow instead of falling behind."""


def popularity_weights(instruments: Sequence[Instrument]) -> list[float]:
    """Each symbol's share of the flow: by kind, decaying with its place among its kind."""
    ranks: dict[str, int] = {}
    weights = []
    for inst in instruments:
        rank = ranks.get(inst.kind, 0)
        ranks[inst.kind] = rank + 1
        weights.append(_KIND_WEIGHT.get(inst.kind, 1.0) / (1.0 + rank / 30.0))
    return weights


class Ticker(BackgroundTask):
    """Emits live trades and quotes for open markets and remembers the latest of each."""

    name = "sandbox-ticker"

    def __init__(
        self,
        market: Market,
        clock: MarketClock,
        *,
        trades_per_second: float,
        now: Callable[[], datetime],
        interval_s: float = 0.025,
        seed: int = 0,
        firehose: bool = False,
    ) -> None:
        super().__init__()
        self._market = market
        self._clock = clock
        self._now = now
        self.trades_per_second = trades_per_second
        self.interval_s = interval_s
        self.firehose = firehose
        """Benchmark mode: cheap copies of one priced tick per symbol per tick (not exact)."""
        self._instruments: tuple[Instrument, ...] = tuple(market.universe)
        self._weights = popularity_weights(self._instruments)
        self._rng = random.Random(f"{seed}:ticker")
        self._listeners: list[Callable[[Sequence[Trade | Quote]], None]] = []
        self._latest_trade: dict[str, Trade] = {}
        self._latest_quote: dict[str, Quote] = {}
        self._requested: dict[str, None] = {}
        self._wake = asyncio.Event()
        self._last_t: datetime | None = now()
        self._carry = 0.0
        self._cursor = 0
        self._open_cache: tuple[tuple[str, ...], list[Instrument], list[float]] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background task (idempotent)."""
        if not self.running:
            self._last_t = self._now()
            self._wake = asyncio.Event()
        super().start()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
            try:
                self.tick()
            except Exception:
                log.exception("ticker.tick_failed")
                await asyncio.sleep(self.interval_s)

    # -- listeners and requests ------------------------------------------------------------
    def add_listener(self, listener: Callable[[Sequence[Trade | Quote]], None]) -> None:
        """Call `listener(batch)` with every emitted batch (synchronously, on the loop)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Sequence[Trade | Quote]], None]) -> None:
        """Stop calling `listener`; unknown listeners are ignored."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def request_ticks(self, symbols: Iterable[str]) -> None:
        """Emit a fresh trade and quote of these symbols (if their market is open) promptly.

        Used by the stream when a client subscribes, so it sees data at once.
        """
        for symbol in symbols:
            inst = self._market.universe.get(symbol)
            if inst is not None:
                self._requested[inst.symbol] = None
        if self._requested and self.running:
            self._wake.set()

    # -- latest values ---------------------------------------------------------------------
    def latest_trade(self, symbol: str) -> Trade | None:
        """The last emitted trade, else the trade at the last instant the market was open."""
        inst = self._market.universe.get(symbol)
        if inst is None:
            return None
        trade = self._latest_trade.get(inst.symbol)
        if trade is not None:
            return trade
        t = self.last_open_instant(inst.asset_class, self._now())
        return None if t is None else self._market.trade_at(inst.symbol, t)

    def latest_quote(self, symbol: str) -> Quote | None:
        """The last emitted quote, else the quote at the last instant the market was open."""
        inst = self._market.universe.get(symbol)
        if inst is None:
            return None
        quote = self._latest_quote.get(inst.symbol)
        if quote is not None:
            return quote
        t = self.last_open_instant(inst.asset_class, self._now())
        return None if t is None else self._market.quote_at(inst.symbol, t)

    def last_open_instant(self, asset_class: str, t: datetime) -> datetime | None:
        """`t` when the market is open, else the close of the last session before `t`.

        The official close is `price_at(close)`, so a closed market's latest trade is the close.
        """
        if self._clock.is_open(asset_class, t):
            return t
        calendar = self._clock.calendar
        d = self._clock.market_date(t)
        for _ in range(_LOOKBACK_DAYS):
            session = calendar.session(d)
            if session is not None and session[0] <= t:
                return min(session[1], t)
            d = calendar.previous_trading_day(d)
        return None

    # -- emission --------------------------------------------------------------------------
    def tick(self) -> list[Trade | Quote]:
        """Emit one batch for the time since the previous tick; returns it (also for tests)."""
        now = self._now()
        start = self._last_t if self._last_t is not None else now
        self._last_t = now
        elapsed = min(max((now - start).total_seconds(), 0.0), _MAX_CATCH_UP_S)
        start = now - timedelta(seconds=elapsed)
        open_instruments, cum_weights = self._open_instruments(now)
        requested = [s for s in self._requested if self._is_open_symbol(s, now)]
        self._requested.clear()
        expected = self.trades_per_second * elapsed + self._carry
        count = int(expected)
        self._carry = expected - count
        if count > MAX_BATCH_TRADES:
            count, self._carry = MAX_BATCH_TRADES, 0.0
        symbols = self._choose(count, open_instruments, cum_weights)
        batch: list[Trade | Quote] = []
        step = elapsed / len(symbols) if symbols else 0.0
        timed = [
            (symbol, start + timedelta(seconds=step * (k + 1)) if step else now)
            for k, symbol in enumerate(symbols)
        ]
        timed.extend((symbol, now) for symbol in requested)
        market = self._market
        latest_trade, latest_quote = self._latest_trade, self._latest_quote
        make = self._firehose_ticks(now) if self.firehose else None
        for symbol, t in timed:
            if make is None:
                quote, trade = market.quote_at(symbol, t), market.trade_at(symbol, t)
            else:
                quote, trade = make(symbol, t)
            latest_quote[symbol] = quote
            latest_trade[symbol] = trade
            batch.append(quote)
            batch.append(trade)
        if batch:
            self._publish(batch)
        return batch

    def _firehose_ticks(self, now: datetime) -> Callable[[str, datetime], tuple[Quote, Trade]]:
        """Benchmark flow: each symbol is priced once per tick (at `now`), then copied."""
        market = self._market
        bases: dict[str, tuple[Quote, Trade]] = {}

        def make(symbol: str, t: datetime) -> tuple[Quote, Trade]:
            base = bases.get(symbol)
            if base is None:
                base = bases[symbol] = (market.quote_at(symbol, now), market.trade_at(symbol, now))
            q, tr = base
            trade_id = (t - _EPOCH) // _ONE_US
            return (
                Quote(
                    symbol,
                    t,
                    q.bid,
                    q.bid_size,
                    q.ask,
                    q.ask_size,
                    q.bid_exchange,
                    q.ask_exchange,
                    q.tape,
                    q.conditions,
                    q.nanos,
                ),
                Trade(
                    symbol,
                    t,
                    tr.price,
                    tr.size,
                    trade_id,
                    tr.exchange,
                    tr.tape,
                    tr.conditions,
                    tr.nanos,
                ),
            )

        return make

    def publish(self, batch: Sequence[Trade | Quote]) -> None:
        """Emit ready-made ticks as if the market had printed them (demos, benchmarks)."""
        for item in batch:
            if isinstance(item, Trade):
                self._latest_trade[item.symbol] = item
            else:
                self._latest_quote[item.symbol] = item
        self._publish(batch)

    def _publish(self, batch: Sequence[Trade | Quote]) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(batch)
            except Exception:
                log.exception("ticker.listener_failed")

    def _is_open_symbol(self, symbol: str, now: datetime) -> bool:
        inst = self._market.universe.get(symbol)
        return inst is not None and self._clock.is_open(inst.asset_class, now)

    def _open_instruments(self, now: datetime) -> tuple[list[Instrument], list[float]]:
        classes = sorted({i.asset_class for i in self._instruments})
        open_classes = tuple(c for c in classes if self._clock.is_open(c, now))
        cached = self._open_cache
        if cached is None or cached[0] != open_classes:
            chosen = [
                (inst, w)
                for inst, w in zip(self._instruments, self._weights, strict=True)
                if inst.asset_class in open_classes
            ]
            instruments = [inst for inst, _ in chosen]
            cum = list(itertools.accumulate(w for _, w in chosen))
            cached = (open_classes, instruments, cum)
            self._open_cache = cached
        return cached[1], cached[2]

    def _choose(self, count: int, instruments: list[Instrument], cum: list[float]) -> list[str]:
        if count <= 0 or not instruments:
            return []
        n = len(instruments)
        if count >= 20:
            rr = round(count * _ROUND_ROBIN_SHARE)
        else:
            rr = sum(1 for _ in range(count) if self._rng.random() < _ROUND_ROBIN_SHARE)
        picked = [instruments[(self._cursor + k) % n].symbol for k in range(rr)]
        self._cursor = (self._cursor + rr) % n
        if count > rr:
            sampled = self._rng.choices(instruments, cum_weights=cum, k=count - rr)
            picked.extend(inst.symbol for inst in sampled)
        return picked
