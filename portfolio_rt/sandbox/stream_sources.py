"""Where a stream's data comes from: the sandbox's market, read at any instant.

A `PriceSource` answers what the stream needs besides the ticker's live prints: bars of a
minute, the day's bar so far, prices at instants (LULD reference prices, bars cut by late
trades), trades and quotes at an instant (the delayed feed), whether a symbol trades, its tape
and its LULD tier. `MarketSource` reads the sandbox's market; the test feed has its own
(`stream_test_feed.FakePaca`). Every method takes the instant it is asked about, so the delayed
feed reads the same source 15 minutes back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Final, Protocol

from .market import Bar, Quote, Trade

if TYPE_CHECKING:
    from .world import Sandbox

_MINUTE: Final = timedelta(minutes=1)
_CENT: Final = Decimal("0.01")


class PriceSource(Protocol):
    """What the stream reads about its symbols, at any instant."""

    symbols: Sequence[str]
    """Every symbol of the source (what `"*"` stands for)."""

    def has(self, symbol: str) -> bool:
        """Whether the symbol is the source's (exact spelling)."""
        ...

    def tape(self, symbol: str) -> str:
        """The symbol's SIP tape (A, B or C)."""
        ...

    def tier(self, symbol: str) -> int:
        """The symbol's LULD tier: 1 (S&P 500 and ETPs) or 2 (other NMS stocks)."""
        ...

    def is_open(self, symbol: str, t: datetime) -> bool:
        """Whether the symbol trades at `t`."""
        ...

    def session(self, t: datetime) -> tuple[datetime, datetime] | None:
        """The regular session (open, close) holding `t`, or None outside one."""
        ...

    def prices(self, symbol: str, times: Sequence[datetime]) -> list[Decimal]:
        """The symbol's price at each instant."""
        ...

    def minute_bar(self, symbol: str, minute: datetime) -> Bar | None:
        """The whole bar of `minute` (its start), or None when the symbol did not trade."""
        ...

    def daily_bar(self, symbol: str, t: datetime) -> Bar | None:
        """The day's bar up to `t`, or None when the symbol does not trade at `t`."""
        ...

    def trade(self, symbol: str, t: datetime) -> Trade:
        """A print at `t`."""
        ...

    def quote(self, symbol: str, t: datetime) -> Quote:
        """The top of the book at `t`."""
        ...


class MarketSource:
    """The sandbox's market, for the stocks or the crypto stream."""

    def __init__(self, sandbox: Sandbox, crypto: bool) -> None:
        self._sandbox = sandbox
        self._market = sandbox.market
        self._clock = sandbox.clock
        self._crypto = crypto
        self.symbols: Sequence[str] = tuple(
            inst.symbol
            for inst in sandbox.market.universe
            if (inst.asset_class == "crypto") == crypto
        )
        self._members = frozenset(self.symbols)

    def has(self, symbol: str) -> bool:
        """Whether `symbol` is one of the stream's (crypto pairs on the crypto stream only)."""
        return symbol in self._members

    def tape(self, symbol: str) -> str:
        """The tape the market prints the symbol's trades on ("" for crypto)."""
        return self._market.quote_at(symbol, self._sandbox.now()).tape

    def tier(self, symbol: str) -> int:
        """Tier 2 for small caps, tier 1 for the S&P 500 names and the ETFs."""
        return 2 if self._market.instrument(symbol).kind == "small_cap" else 1

    def is_open(self, symbol: str, t: datetime) -> bool:
        """Whether the symbol's market is open at `t` (the sandbox's market hours)."""
        return self._clock.is_open(self._market.instrument(symbol).asset_class, t)

    def session(self, t: datetime) -> tuple[datetime, datetime] | None:
        """The NYSE session holding `t`, whatever the sandbox's market hours."""
        if self._crypto:
            return None
        session = self._clock.calendar.session(self._clock.market_date(t))
        if session is None or not session[0] <= t < session[1]:
            return None
        return session

    def prices(self, symbol: str, times: Sequence[datetime]) -> list[Decimal]:
        """`Market.prices_at`."""
        return self._market.prices_at(symbol, times)

    def minute_bar(self, symbol: str, minute: datetime) -> Bar | None:
        """The market's bar of that minute; read off the price path when it has none (equities
        off-session in always-open mode)."""
        if not self.is_open(symbol, minute):
            return None
        with contextlib.suppress(Exception):
            for bar in self._market.minute_bars(symbol, minute, minute + _MINUTE):
                if bar.t == minute:
                    return bar
        return self._market.path_bar(symbol, minute)

    def daily_bar(self, symbol: str, t: datetime) -> Bar | None:
        """The day's bar up to `t`; for an instant in the past (the delayed feed) the market's
        bar of today is rebuilt from its minute bars up to `t`."""
        if not self.is_open(symbol, t):
            return None
        market = self._market
        today = t.astimezone(UTC).date() if self._crypto else self._clock.market_date(t)
        bars = [b for b in market.daily_bars(symbol, today - timedelta(days=7), today) if b.t <= t]
        if not bars:
            return None
        last = bars[-1]
        if self._sandbox.now() - t < _MINUTE or last.t + timedelta(days=1) <= t:
            return last
        minutes = [b for b in market.minute_bars(symbol, last.t, t - _MINUTE) if b.t + _MINUTE <= t]
        if not minutes:
            return bars[-2] if len(bars) > 1 else None
        return _combine(last.t, minutes)

    def trade(self, symbol: str, t: datetime) -> Trade:
        """`Market.trade_at`."""
        return self._market.trade_at(symbol, t)

    def quote(self, symbol: str, t: datetime) -> Quote:
        """`Market.quote_at`."""
        return self._market.quote_at(symbol, t)


def _combine(t: datetime, minutes: Sequence[Bar]) -> Bar:
    """One bar starting at `t` from consecutive minute bars."""
    volume = sum((Decimal(b.v) for b in minutes), Decimal(0))
    weighted = sum((b.vw * Decimal(b.v) for b in minutes), Decimal(0))
    vw = (weighted / volume).quantize(_CENT, ROUND_HALF_UP) if volume else minutes[-1].c
    v = minutes[0].v
    total: int | Decimal = int(volume) if isinstance(v, int) else volume
    return Bar(
        t=t,
        o=minutes[0].o,
        h=max(b.h for b in minutes),
        l=min(b.l for b in minutes),
        c=minutes[-1].c,
        v=total,
        n=sum(b.n for b in minutes),
        vw=vw,
    )


__all__ = ["MarketSource", "PriceSource"]
