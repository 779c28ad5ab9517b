"""Bars at any Alpaca timeframe, built from the market's daily and minute bars.

Minutes and hours aggregate the market's one-minute bars into clock-aligned buckets; weeks and
months aggregate daily bars into buckets that start at local midnight (New York for equities,
UTC for crypto), as Alpaca labels them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from .data_params import TimeFrame
from .market import Volume

if TYPE_CHECKING:
    from .universe import Instrument
    from .world import Sandbox

NY = ZoneInfo("America/New_York")
CHUNK_S = 7 * 86_400
"""Intraday bars are built this many seconds at a time while filling a page."""


class BarLike(Protocol):
    """What a bar needs for the wire; `market.Bar` and `AggBar` both have it."""

    @property
    def t(self) -> datetime: ...
    @property
    def o(self) -> Decimal: ...
    @property
    def h(self) -> Decimal: ...
    @property
    def l(self) -> Decimal: ...  # noqa: E743 - Alpaca's field name
    @property
    def c(self) -> Decimal: ...
    @property
    def v(self) -> Volume: ...
    @property
    def n(self) -> int: ...
    @property
    def vw(self) -> Decimal: ...


@dataclass(frozen=True)
class AggBar:
    """A bar built from smaller bars or from the price path."""

    t: datetime
    o: Decimal
    h: Decimal
    l: Decimal  # noqa: E741 - Alpaca's field name
    c: Decimal
    v: Volume
    n: int
    vw: Decimal


def aggregate(bars: Iterable[BarLike], bucket: Callable[[datetime], datetime]) -> list[AggBar]:
    """Merge consecutive bars that fall into the same bucket (bars ascending in time)."""
    out: list[AggBar] = []
    group: list[BarLike] = []
    label: datetime | None = None

    def flush() -> None:
        if not group or label is None:
            return
        volume: Volume = sum((b.v for b in group[1:]), group[0].v)
        weighted = sum((b.vw * b.v for b in group), Decimal(0))
        vw = weighted / volume if volume > 0 else group[-1].c
        out.append(
            AggBar(
                t=label,
                o=group[0].o,
                h=max(b.h for b in group),
                l=min(b.l for b in group),
                c=group[-1].c,
                v=volume,
                n=sum(b.n for b in group),
                vw=vw.quantize(Decimal("0.000001")),
            )
        )

    for bar in bars:
        key = bucket(bar.t)
        if key != label:
            flush()
            group, label = [], key
        group.append(bar)
    flush()
    return out


def bucket_function(tf: TimeFrame, crypto: bool) -> Callable[[datetime], datetime]:
    """Label of the bucket a bar time falls in; weeks/months start at local midnight."""
    tz = UTC if crypto else NY
    if tf.unit == "Min":
        step = 60 * tf.amount
        return lambda t: datetime.fromtimestamp(int(t.timestamp()) // step * step, UTC)
    if tf.unit == "Hour":
        step = 3600 * tf.amount
        return lambda t: datetime.fromtimestamp(int(t.timestamp()) // step * step, UTC)
    if tf.unit == "Week":

        def week(t: datetime) -> datetime:
            local = t.astimezone(tz).date()
            monday = local - timedelta(days=local.weekday())
            return datetime.combine(monday, time(0), tz).astimezone(UTC)

        return week

    def month(t: datetime) -> datetime:
        local = t.astimezone(tz).date()
        index = (local.year * 12 + local.month - 1) // tf.amount * tf.amount
        first = date(index // 12, index % 12 + 1, 1)
        return datetime.combine(first, time(0), tz).astimezone(UTC)

    return month


class BarSource:
    """Bars of one instrument over a time range at any timeframe, plus the latest minute and
    daily bars a snapshot needs."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.market = sandbox.market

    def page(
        self,
        inst: Instrument,
        tf: TimeFrame,
        start: datetime,
        end: datetime,
        *,
        desc: bool,
        need: int | None,
        after: datetime | None = None,
    ) -> list[AggBar]:
        """Up to `need` bars with `t` in [start, end] (a week or month bar is labelled with its
        first day, which may precede `start`), in the requested order, after `after`.

        Intraday bars are built a week at a time from the end the page starts at, so a page of
        a long range only touches the minutes it returns.
        """
        if start > end:
            return []
        crypto = inst.asset_class == "crypto"
        if not tf.intraday:
            daily = self.daily(inst, start, end)
            if tf.unit == "Day":
                bars = [_copy(b) for b in daily]
            else:
                # A week or month that starts before `start` keeps its days inside the range;
                # `after` (the page token) drops the bucket an earlier page already returned.
                bars = aggregate(daily, bucket_function(tf, crypto))
                if after is not None:
                    bars = [b for b in bars if (b.t < after if desc else b.t > after)]
            if desc:
                bars.reverse()
            return bars if need is None else bars[:need]
        bucket = bucket_function(tf, crypto)
        start = max(start, datetime.combine(self.market.history_start, time(0), UTC))
        step = 60 * tf.amount if tf.unit == "Min" else 3600 * tf.amount
        span = step * max(1, CHUNK_S // step)
        anchor = bucket(start)
        chunks = int((end - anchor).total_seconds() // span) + 1
        out: list[AggBar] = []
        for k in range(chunks - 1, -1, -1) if desc else range(chunks):
            lo = anchor + timedelta(seconds=k * span)
            hi = lo + timedelta(seconds=span) - timedelta(microseconds=1)
            minutes = [
                b for b in self.market.minute_bars(inst.symbol, lo, min(hi, end)) if b.t >= lo
            ]
            if tf.unit == "Min" and tf.amount == 1:
                chunk = [_copy(b) for b in minutes]
            else:
                chunk = aggregate(minutes, bucket)
            chunk = [b for b in chunk if start <= b.t <= end]
            if desc:
                chunk.reverse()
            out.extend(chunk)
            if need is not None and len(out) >= need:
                return out[:need]
        return out

    def daily(self, inst: Instrument, start: datetime, end: datetime) -> list[BarLike]:
        """Daily bars whose `t` lies in [start, end]."""
        today = self.sandbox.now().astimezone(NY).date()
        first = max(start.astimezone(NY).date() - timedelta(days=1), self.market.history_start)
        last = min(end.astimezone(NY).date() + timedelta(days=1), today + timedelta(days=1))
        if first > last:
            return []
        return [b for b in self.market.daily_bars(inst.symbol, first, last) if start <= b.t <= end]

    def latest_minute(self, inst: Instrument) -> AggBar | None:
        """The latest minute bar: the current minute while the market is open, else the last
        minute of the last session."""
        now = self.sandbox.now()
        clock = self.sandbox.clock
        if inst.asset_class == "crypto" or clock.in_session(now):
            bars = self.market.minute_bars(inst.symbol, now - timedelta(minutes=5), now)
            done = [b for b in bars if b.t + timedelta(minutes=1) <= now]
            if done or bars:
                return _copy((done or bars)[-1])
            return self._synthetic_minute(inst, now)
        if clock.market_hours == "always_open":
            return self._synthetic_minute(inst, now)
        close = self._last_close(now)
        if close is None:
            return None
        bars = self.market.minute_bars(inst.symbol, close - timedelta(minutes=5), close)
        done = [b for b in bars if b.t < close]
        return _copy(done[-1]) if done else None

    def _last_close(self, now: datetime) -> datetime | None:
        calendar = self.sandbox.calendar
        day = now.astimezone(NY).date()
        for _ in range(15):
            session = calendar.session(day)
            if session is not None and session[1] <= now:
                return session[1]
            day = calendar.previous_trading_day(day)
        return None

    def _synthetic_minute(self, inst: Instrument, now: datetime) -> AggBar | None:
        """The last whole minute read off the price path (equities off-session in always_open
        mode, where the market has no session minute bars)."""
        minute = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
        try:
            return _copy(self.market.path_bar(inst.symbol, minute))
        except (KeyError, ValueError):
            return None

    def daily_pair(self, inst: Instrument) -> tuple[BarLike | None, BarLike | None]:
        """(current daily bar, previous daily bar) for a snapshot."""
        today = self.sandbox.now().astimezone(NY).date()
        bars = self.market.daily_bars(inst.symbol, today - timedelta(days=14), today)
        current = bars[-1] if bars else None
        previous = bars[-2] if len(bars) > 1 else None
        return current, previous


def _copy(bar: BarLike) -> AggBar:
    return AggBar(t=bar.t, o=bar.o, h=bar.h, l=bar.l, c=bar.c, v=bar.v, n=bar.n, vw=bar.vw)
