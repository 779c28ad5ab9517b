"""The simulated market: one deterministic price path per instrument, and bars, trades, quotes
and dividends read off it.

Daily bars (open, high, low, close, volume) are drawn for the whole history at construction from a
factor model (market + sector/group factor + idiosyncratic noise, scaled to each instrument's
annual volatility; instruments with a `target_price` are tilted to end near it). Intraday paths
are generated on demand per (symbol, day) as Brownian bridges from the previous close to the close
that touch exactly the day's high and low, and are cached, so `price_at` is a dictionary hit and
an interpolation. Equities off-session are flat at the last close, or (`always_open`) wander on a
small bridge pinned to that close at both ends, so daily closes never depend on the mode.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from .calendar import NY, MarketCalendar, MarketClock
from .universe import Instrument, Universe, default_universe

STEP_S = 10  # resolution of intraday paths (sessions, crypto days)
GAP_STEP_S = 120  # resolution of the off-session paths of `always_open` equities
HORIZON_DAYS = 400  # the model runs this far past construction (a long-lived sandbox moves on)
CACHE_POINTS = 8_000_000  # floats kept in the path cache (~64 MB)
DAY_S = 86_400
NOISE_BANK = 1 << 20  # standard normals shared by all intraday paths
_MASK64 = (1 << 64) - 1

_CENT = Decimal("0.01")

# kind -> (annual drift, market loading, group loading, group factor or "" for the sector)
_KIND_MODEL = MappingProxyType(
    {
        "large_cap": (0.09, 0.55, 0.45, ""),
        "small_cap": (0.06, 0.45, 0.25, ""),
        "broad_etf": (0.08, 0.97, 0.0, ""),
        "sector_etf": (0.08, 0.70, 0.65, ""),
        "intl_etf": (0.05, 0.70, 0.60, "intl"),
        "bond_etf": (0.02, 0.10, 0.90, "bonds"),
        "commodity_etf": (0.05, 0.10, 0.0, ""),
        "crypto": (0.35, 0.0, 0.80, "crypto"),
    }
)

# kind -> typical daily volume (shares, or coins for crypto)
_KIND_VOLUME = MappingProxyType(
    {
        "large_cap": 4e6,
        "small_cap": 8e6,
        "broad_etf": 3e7,
        "sector_etf": 1.2e7,
        "intl_etf": 8e6,
        "bond_etf": 7e6,
        "commodity_etf": 8e6,
    }
)

# kind -> half spread as a fraction of the price
_HALF_SPREAD = MappingProxyType(
    {
        "large_cap": 0.0001,
        "small_cap": 0.0006,
        "broad_etf": 0.00003,
        "sector_etf": 0.00005,
        "intl_etf": 0.00005,
        "bond_etf": 0.00003,
        "commodity_etf": 0.00005,
        "crypto": 0.0003,
    }
)

_HALF_SPREAD_DECIMAL = MappingProxyType({k: Decimal(str(v)) for k, v in _HALF_SPREAD.items()})
_DEFAULT_HALF_SPREAD = Decimal("0.0002")

_TAPE = MappingProxyType({"NASDAQ": "C", "NYSE": "A"})

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Volume = int | Decimal
"""A bar's volume: whole shares for equities, a decimal number of coins for crypto."""

CRYPTO_VOLUME_PLACES = 8
"""Crypto volumes are kept as integers of 10**-8 coins (exact sums), fractional on the wire."""
_CRYPTO_UNIT = 10**CRYPTO_VOLUME_PLACES


@dataclass(frozen=True)
class Bar:
    """An OHLCV bar; `t` is the start of its interval (UTC)."""

    t: datetime
    o: Decimal
    h: Decimal
    l: Decimal  # noqa: E741 - Alpaca's field name
    c: Decimal
    v: Volume
    n: int
    vw: Decimal

    @classmethod
    def of_path(
        cls, t: datetime, prices: Sequence[Decimal], *, v: Volume, n: int, vw: Decimal
    ) -> Bar:
        """The bar of prices read off a path in time order: the first, highest, lowest, last."""
        return cls(t=t, o=prices[0], h=max(prices), l=min(prices), c=prices[-1], v=v, n=n, vw=vw)


@dataclass(frozen=True)
class Trade:
    """One print at `price_at(t)`; `nanos` are the nanoseconds below `t`'s microsecond (Alpaca
    stamps stock trades in nanoseconds, crypto trades in microseconds)."""

    symbol: str
    t: datetime
    price: Decimal
    size: Decimal
    id: int
    exchange: str
    tape: str
    conditions: tuple[str, ...]
    nanos: int = 0


@dataclass(frozen=True)
class Quote:
    """The top of the book around `price_at(t)`: bid < price < ask."""

    symbol: str
    t: datetime
    bid: Decimal
    bid_size: Decimal
    ask: Decimal
    ask_size: Decimal
    bid_exchange: str
    ask_exchange: str
    tape: str
    conditions: tuple[str, ...]
    nanos: int = 0
    """Nanoseconds below `t`'s microsecond: Alpaca stamps quotes in nanoseconds."""


@dataclass(frozen=True)
class Dividend:
    """A cash dividend: holders at the open of `ex_date` are paid `per_share` on `pay_date`."""

    symbol: str
    ex_date: date
    pay_date: date
    per_share: Decimal


@dataclass
class _Series:
    """One instrument's daily data over the market's day grid (trading days, or every day)."""

    inst: Instrument
    key: int
    crypto: bool
    day_sigma: float
    o: FloatArray
    h: FloatArray
    low: FloatArray
    c: FloatArray
    v: IntArray
    """Daily volumes: shares, or 10**-8 coins for crypto (`Market._volume` reads them)."""


def stable_int(*parts: str) -> int:
    """A 64-bit integer from strings, stable across processes (unlike the salted `hash()`)."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _mix(*values: int) -> int:
    """A fast 64-bit hash of integers (splitmix64 rounds), for per-(symbol, day) choices."""
    x = 0
    for value in values:
        z = (x + value + 0x9E3779B97F4A7C15) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        x = z ^ (z >> 31)
    return x


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _interp(path: FloatArray, pos: float) -> float:
    """Linear interpolation of `path` at fractional index `pos` (clamped to the ends)."""
    if pos <= 0.0:
        return float(path[0])
    k = int(pos)
    if k >= len(path) - 1:
        return float(path[-1])
    a = float(path[k])
    return a + (float(path[k + 1]) - a) * (pos - k)


def _bridge_extremes(
    o: FloatArray, c: FloatArray, sigma: float, u_hi: FloatArray, u_lo: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Sample the high and low of a Brownian bridge from o to c (log space, exact marginals)."""
    d = np.log(c / o)
    s2 = 2.0 * sigma * sigma
    up = 0.5 * (d + np.sqrt(d * d - s2 * np.log(u_hi)))
    down = 0.5 * (d - np.sqrt(d * d - s2 * np.log(u_lo)))
    return o * np.exp(up), o * np.exp(down)


class Market:
    """Prices for every instrument of the universe, from `history_start` to now (and beyond)."""

    def __init__(
        self,
        seed: int,
        calendar: MarketCalendar,
        clock: MarketClock,
        *,
        history_start: date,
        now: Callable[[], datetime],
        universe: Universe | None = None,
    ) -> None:
        self.universe = universe if universe is not None else default_universe()
        self.history_start = history_start
        self._seed = seed % 2**64
        self._calendar = calendar
        self._clock = clock
        self._now = now
        self._cache: OrderedDict[tuple[int, int, int], tuple[FloatArray, IntArray | None]] = (
            OrderedDict()
        )
        self._cache_points = 0

        horizon = now().astimezone(UTC).date() + timedelta(days=HORIZON_DAYS)
        self._eq_days: list[date] = calendar.trading_days(history_start, horizon)
        opens: list[float] = []
        closes: list[float] = []
        for d in self._eq_days:
            session = calendar.session(d)
            assert session is not None
            opens.append(session[0].timestamp())
            closes.append(session[1].timestamp())
        self._opens = opens
        self._closes = closes
        self._cr_base = datetime.combine(history_start, time(0), UTC).timestamp()
        self._cr_count = (horizon - history_start).days + 1

        # Intraday paths take their noise from this bank at hashed offsets: creating a generator
        # per (symbol, day) would cost more than the path itself.
        self._bank = np.random.default_rng([self._seed, stable_int("noise bank")]).standard_normal(
            NOISE_BANK
        )
        self._series: dict[str, _Series] = {}
        eq_factors = self._factors(len(self._eq_days), "equity")
        cr_factors = self._factors(self._cr_count, "crypto")
        for inst in self.universe:
            crypto = inst.asset_class == "crypto"
            factors = cr_factors if crypto else eq_factors
            self._series[inst.symbol] = self._build_series(inst, crypto, factors)

    # ---- construction -------------------------------------------------------------------

    def _factors(self, n: int, grid: str) -> dict[str, FloatArray]:
        names = [
            "market",
            "intl",
            "bonds",
            "crypto",
            *sorted({inst.sector for inst in self.universe if inst.sector is not None}),
        ]
        return {
            name: np.random.default_rng(
                [self._seed, stable_int("factor", grid, name)]
            ).standard_normal(n)
            for name in names
        }

    def _build_series(
        self, inst: Instrument, crypto: bool, factors: dict[str, FloatArray]
    ) -> _Series:
        n = self._cr_count if crypto else len(self._eq_days)
        key = stable_int("instrument", inst.symbol)
        rng = np.random.default_rng([self._seed, key, 0])
        drift, beta_m, beta_g, group = _KIND_MODEL.get(inst.kind, _KIND_MODEL["large_cap"])
        group_name = group or (inst.sector or "")
        group_factor = factors.get(group_name)
        if group_factor is None:
            beta_g = 0.0
        idio = math.sqrt(max(0.0, 1.0 - beta_m * beta_m - beta_g * beta_g))
        shocks = idio * rng.standard_normal(n)
        if beta_m:
            shocks += beta_m * factors["market"]
        if beta_g and group_factor is not None:
            shocks += beta_g * group_factor
        dt = 1.0 / (365.0 if crypto else 252.0)
        vol = inst.annual_vol
        returns = (drift - 0.5 * vol * vol) * dt + vol * math.sqrt(dt) * shocks
        returns[0] = 0.0
        start = float(inst.start_price)
        if inst.target_price is not None:
            self._pin(returns, crypto, math.log(float(inst.target_price) / start), rng)
        c = start * np.exp(np.cumsum(returns))
        o = np.empty(n)
        o[0] = start
        o[1:] = c[:-1]
        day_sigma = vol * math.sqrt(dt)
        # Uniforms in (0, 1]: log() of them must be finite.
        u_hi = 1.0 - rng.random(n)
        u_lo = 1.0 - rng.random(n)
        h, low = _bridge_extremes(o, c, day_sigma, u_hi, u_lo)
        if crypto:
            base = {"BTC/USD": 15_000.0, "ETH/USD": 200_000.0}.get(inst.symbol, 2_000_000.0)
        else:
            base = _KIND_VOLUME.get(inst.kind, 4e6) * math.exp(
                1.2 * ((stable_int("volume", inst.symbol) % 1000) / 1000.0 - 0.5)
            )
        surprise = np.abs(shocks)
        volume = base * np.exp(0.35 * rng.standard_normal(n)) * (0.7 + 0.4 * surprise)
        unit = _CRYPTO_UNIT if crypto else 1
        v = (np.maximum(volume, 100.0) * unit).astype(np.int64)
        return _Series(inst, key, crypto, day_sigma, o, h, low, c, v)

    def _pin(
        self, returns: FloatArray, crypto: bool, log_move: float, rng: np.random.Generator
    ) -> None:
        """Tilt the returns so the close of construction day lands near the target price.

        Only for a history long enough (3+ years) that the target's start price makes sense.
        """
        today = self._now().astimezone(UTC if crypto else NY).date()
        if crypto:
            last = min((today - self.history_start).days, len(returns) - 1)
        else:
            last = bisect_right(self._eq_days, today) - 1
        if last < (3 * 365 if crypto else 3 * 252):
            return
        wanted = log_move + 0.08 * float(rng.standard_normal())
        returns[1 : last + 1] += (wanted - float(returns[1 : last + 1].sum())) / last

    # ---- lookups ------------------------------------------------------------------------

    def _get(self, symbol: str) -> _Series:
        series = self._series.get(symbol)
        if series is None:
            inst = self.universe.get(symbol)
            if inst is None:
                raise KeyError(symbol)
            series = self._series[inst.symbol]
        return series

    def instrument(self, symbol: str) -> Instrument:
        """The instrument for a symbol (any accepted spelling); KeyError when unknown."""
        return self._get(symbol).inst

    def _today(self, crypto: bool) -> date:
        now = self._now()
        return now.astimezone(UTC).date() if crypto else now.astimezone(NY).date()

    def _always_open(self) -> bool:
        return self._clock.market_hours == "always_open"

    @staticmethod
    def _volume(s: _Series, units: int) -> Volume:
        """Stored volume units as a bar's volume: shares, or coins with 8 decimals."""
        units = int(units)
        return Decimal(units).scaleb(-CRYPTO_VOLUME_PLACES) if s.crypto else units

    # ---- intraday paths -----------------------------------------------------------------

    def _remember(
        self, key: tuple[int, int, int], value: tuple[FloatArray, IntArray | None]
    ) -> None:
        self._cache[key] = value
        self._cache_points += len(value[0])
        while self._cache_points > CACHE_POINTS and len(self._cache) > 1:
            _, (old, _vols) = self._cache.popitem(last=False)
            self._cache_points -= len(old)

    def _noise(self, mix: int, n: int) -> FloatArray:
        """n standard normals from the shared bank at an offset picked by `mix` (no RNG setup)."""
        start = mix % (len(self._bank) - n)
        return self._bank[start : start + n]

    def _day_path(self, s: _Series, j: int) -> tuple[FloatArray, IntArray | None]:
        """Day j's path at STEP_S resolution and its per-minute volumes (session, or UTC day)."""
        key = (s.key, 1, j)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        length = DAY_S if s.crypto else self._closes[j] - self._opens[j]
        n = round(length / STEP_S)
        mix = _mix(self._seed, s.key, 1, j)
        o, h, low, c = float(s.o[j]), float(s.h[j]), float(s.low[j]), float(s.c[j])
        ia = 1 + mix % (n - 1)
        ib = 1 + (mix >> 16) % (n - 2)
        if ib >= ia:
            ib += 1  # two distinct interior points
        else:
            ia, ib = ib, ia
        first, second = (h, low) if (mix >> 32) & 1 else (low, h)
        knots = np.array([0, ia, ib, n])
        values = np.log(np.array([o, first, second, c]))
        walk = np.empty(n + 1)
        walk[0] = 0.0
        np.cumsum(self._noise(mix >> 33, n), out=walk[1:])
        walk *= s.day_sigma / math.sqrt(n)
        grid = np.arange(n + 1, dtype=np.float64)
        x = np.interp(grid, knots, values) + walk - np.interp(grid, knots, walk[knots])
        # Reflect excursions beyond the day's high and low back inside (clipping would leave
        # flat stretches).
        top, bottom = float(values.max()), float(values.min())
        for _ in range(3):
            x = np.where(x > top, 2.0 * top - x, x)
            x = np.where(x < bottom, 2.0 * bottom - x, x)
        path = np.exp(x)
        np.clip(path, low, h, out=path)
        path[knots] = (o, first, second, c)
        minutes = n * STEP_S // 60
        u = (np.arange(minutes) + 0.5) / minutes
        shape = 1.0 if s.crypto else 1.0 + 2.0 * (2.0 * u - 1.0) ** 2
        weights = shape * np.exp(0.5 * self._noise(mix >> 7, minutes))
        total = int(s.v[j])
        vols = np.floor(total * weights / weights.sum()).astype(np.int64)
        vols[int(np.argmax(weights))] += total - int(vols.sum())
        found = (path, vols)
        self._remember(key, found)
        return found

    def _gap_path(self, s: _Series, j: int) -> FloatArray:
        """An `always_open` equity's wander between session j's close and the next open."""
        key = (s.key, 2, j)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found[0]
        n = max(1, round((self._opens[j + 1] - self._closes[j]) / GAP_STEP_S))
        walk = np.empty(n + 1)
        walk[0] = 0.0
        np.cumsum(self._noise(_mix(self._seed, s.key, 2, j), n), out=walk[1:])
        hours = n * GAP_STEP_S / 3600.0
        walk *= 0.35 * s.day_sigma * math.sqrt(hours / 24.0) / math.sqrt(n)
        bridge = walk - np.arange(n + 1) * (walk[-1] / n)
        close = float(s.c[j])
        path: FloatArray = close * np.exp(bridge)
        path[0] = path[-1] = close
        self._remember(key, (path, None))
        return path

    def _value(self, s: _Series, ts: float) -> float:
        """The model price (float) at epoch seconds `ts`."""
        if s.crypto:
            x = (ts - self._cr_base) / DAY_S
            if x < 0.0:
                return float(s.o[0])
            i = int(x)
            if i >= self._cr_count:
                return float(s.c[-1])
            path = self._day_path(s, i)[0]
            return _interp(path, (ts - self._cr_base - i * DAY_S) / STEP_S)
        j = bisect_right(self._opens, ts) - 1
        if j < 0:
            return float(s.o[0])
        if ts <= self._closes[j]:
            return _interp(self._day_path(s, j)[0], (ts - self._opens[j]) / STEP_S)
        if j + 1 < len(self._opens) and self._always_open():
            return _interp(self._gap_path(s, j), (ts - self._closes[j]) / GAP_STEP_S)
        return float(s.c[j])

    # ---- public API ---------------------------------------------------------------------

    def price_at(self, symbol: str, t: datetime) -> Decimal:
        """The price at instant `t`: continuous in t, equal to the daily close at each close."""
        return _money(self._value(self._get(symbol), t.timestamp()))

    def prices_at(self, symbol: str, times: Sequence[datetime]) -> list[Decimal]:
        """`price_at` for many instants of one symbol."""
        s = self._get(symbol)
        value = self._value
        return [_money(value(s, t.timestamp())) for t in times]

    def close(self, symbol: str, d: date) -> Decimal:
        """Close of the last completed session on or before `d`; KeyError before history."""
        s = self._get(symbol)
        now_ts = self._now().timestamp()
        if s.crypto:
            i = min((d - self.history_start).days, self._cr_count - 1)
            if i >= 0 and self._cr_base + (i + 1) * DAY_S > now_ts:
                i = min(i, int((now_ts - self._cr_base) // DAY_S) - 1)
        else:
            i = bisect_right(self._eq_days, d) - 1
            while i >= 0 and self._closes[i] > now_ts:
                i -= 1
        if i < 0:
            raise KeyError(f"{s.inst.symbol}: no close on or before {d.isoformat()}")
        return _money(float(s.c[i]))

    def _bar(
        self, t: datetime, o: float, h: float, low: float, c: float, v: Volume, vw: float
    ) -> Bar:
        return Bar(
            t=t,
            o=_money(o),
            h=_money(h),
            l=_money(low),
            c=_money(c),
            v=v,
            n=max(1, int(v) // 150) if v else 0,
            vw=_money(vw),
        )

    def _partial_day(self, s: _Series, j: int, start_ts: float, now_ts: float) -> Bar | None:
        """Day j's bar up to `now_ts` (None before the day's session starts)."""
        if now_ts < start_ts:
            return None
        path, vols = self._day_path(s, j)
        pos = (now_ts - start_ts) / STEP_S
        k = min(int(pos), len(path) - 1)
        last = _interp(path, pos)
        seen = path[: k + 1]
        h = max(float(seen.max()), last)
        low = min(float(seen.min()), last)
        minutes = int(pos * STEP_S // 60)
        v = self._volume(s, int(vols[:minutes].sum()) if vols is not None else 0)
        t = self._day_start(s, j)
        return self._bar(t, float(s.o[j]), h, low, last, v, (h + low + last) / 3.0)

    def _day_start(self, s: _Series, j: int) -> datetime:
        if s.crypto:
            return datetime.fromtimestamp(self._cr_base + j * DAY_S, UTC)
        return datetime.combine(self._eq_days[j], time(0), NY).astimezone(UTC)

    def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        """Daily bars of [start, end] up to today; today's bar is partial (up to now)."""
        s = self._get(symbol)
        now_ts = self._now().timestamp()
        end = min(end, self._today(s.crypto))
        if s.crypto:
            first = max(0, (start - self.history_start).days)
            last = min((end - self.history_start).days, self._cr_count - 1)
        else:
            first = bisect_left(self._eq_days, start)
            last = bisect_right(self._eq_days, end) - 1
        bars: list[Bar] = []
        for j in range(first, last + 1):
            if s.crypto:
                start_ts = self._cr_base + j * DAY_S
                end_ts = start_ts + DAY_S
            else:
                start_ts, end_ts = self._opens[j], self._closes[j]
            if end_ts > now_ts:
                partial = self._partial_day(s, j, start_ts, now_ts)
                if partial is not None:
                    bars.append(partial)
                break
            o, h, low, c = float(s.o[j]), float(s.h[j]), float(s.low[j]), float(s.c[j])
            v = self._volume(s, int(s.v[j]))
            bars.append(self._bar(self._day_start(s, j), o, h, low, c, v, (h + low + c) / 3.0))
        return bars

    def path_bar(self, symbol: str, minute: datetime) -> Bar:
        """A one-minute bar read off the price path, for a minute that has no session bar
        (equities off-session in always_open mode): prices every 5 s, a seeded volume."""
        times = [minute + timedelta(seconds=s) for s in range(0, 61, 5)]
        prices = self.prices_at(symbol, times)
        digest = hashlib.sha256(f"{symbol}:{int(minute.timestamp())}".encode()).digest()
        units = 50 + int.from_bytes(digest[:4], "big") % 1951
        volume: Volume = units
        if self._get(symbol).crypto:  # 0.05 to 2 coins, fractional
            volume = Decimal(units * 10**5 + int.from_bytes(digest[4:8], "big") % 10**5).scaleb(-8)
        return Bar.of_path(
            minute,
            prices,
            v=volume,
            n=max(1, units // 50),
            vw=(sum(prices, Decimal(0)) / len(prices)).quantize(Decimal("0.000001")),
        )

    def minute_bars(
        self, symbol: str, start: datetime, end: datetime, *, whole: bool = False
    ) -> list[Bar]:
        """One-minute bars starting in [start, end] and not after now; equities in session only.

        The minute in progress is cut at now, unless `whole`: then it is the full minute the path
        will make (the historical trades print a minute's whole tape and keep those up to now).
        """
        s = self._get(symbol)
        now_ts = self._now().timestamp()
        lo_ts = start.timestamp()
        hi_ts = min(end.timestamp(), now_ts)
        if hi_ts < lo_ts:
            return []
        if s.crypto:
            first = max(0, int((lo_ts - self._cr_base) // DAY_S))
            last = min(self._cr_count - 1, int((hi_ts - self._cr_base) // DAY_S))
            days = [(j, self._cr_base + float(j * DAY_S)) for j in range(first, last + 1)]
        else:
            first = max(0, bisect_right(self._closes, lo_ts - 60.0))
            last = bisect_right(self._opens, hi_ts) - 1
            days = [(j, self._opens[j]) for j in range(first, last + 1)]
        bars: list[Bar] = []
        per_min = 60 // STEP_S
        for j, day_ts in days:
            path, vols = self._day_path(s, j)
            assert vols is not None
            minutes = len(vols)
            m0 = max(0, math.ceil((lo_ts - day_ts) / 60.0))
            m1 = min(minutes - 1, math.floor((hi_ts - day_ts) / 60.0))
            if m1 < m0:
                continue
            body = path[:-1].reshape(minutes, per_min)
            ends = path[per_min::per_min]
            highs = np.maximum(body.max(axis=1), ends)
            lows = np.minimum(body.min(axis=1), ends)
            means = (body.sum(axis=1) + ends) / (per_min + 1)
            for m in range(m0, m1 + 1):
                bar_ts = day_ts + m * 60
                t = datetime.fromtimestamp(bar_ts, UTC)
                o = float(body[m, 0])
                if bar_ts + 60 > now_ts and not whole:  # the minute in progress
                    pos = (now_ts - day_ts) / STEP_S
                    price = _interp(path, pos)
                    seen = path[m * per_min : int(pos) + 1]
                    h = max(float(seen.max()), price)
                    low = min(float(seen.min()), price)
                    v = self._volume(s, int(vols[m] * (now_ts - bar_ts) / 60.0))
                    bars.append(self._bar(t, o, h, low, price, v, (h + low + price) / 3.0))
                    continue
                bars.append(
                    self._bar(
                        t,
                        o,
                        float(highs[m]),
                        float(lows[m]),
                        float(ends[m]),
                        self._volume(s, int(vols[m])),
                        float(means[m]),
                    )
                )
        return bars

    def trade_at(self, symbol: str, t: datetime) -> Trade:
        """A print at `price_at(t)`; its id, size and nanoseconds derive from `t`, so replays
        agree. Crypto trades are stamped in microseconds (as Alpaca's are), stock trades in
        nanoseconds (never a whole microsecond)."""
        s = self._get(symbol)
        price = _money(self._value(s, t.timestamp()))
        trade_id = int(t.timestamp() * 1_000_000)
        mix = (trade_id * 2_654_435_761 + s.key) % 2**32
        if s.crypto:
            size = (Decimal(1 + mix % 5000) / Decimal(10_000)).normalize()
            return Trade(s.inst.symbol, t, price, size, trade_id, "CBSE", "", ())
        size = Decimal(1 + mix % 300 if mix % 4 else 100 * (1 + mix % 5))
        tape = _TAPE.get(s.inst.exchange, "B")
        nanos = 1 + (mix >> 11) % 999
        return Trade(s.inst.symbol, t, price, size, trade_id, "V", tape, ("@",), nanos)

    def quote_at(self, symbol: str, t: datetime) -> Quote:
        """Bid and ask around `price_at(t)`, the spread set by the instrument's kind."""
        s = self._get(symbol)
        return self._quote(s, t, _money(self._value(s, t.timestamp())))

    def quote_around(
        self, symbol: str, t: datetime, price: Decimal, exchanges: tuple[str, str] = ("V", "V")
    ) -> Quote:
        """The quote `quote_at` makes, around a given price and from given (bid, ask) exchanges
        for a stock: a historical trade's quote brackets that trade's price."""
        return self._quote(self._get(symbol), t, price, exchanges)

    def _quote(
        self, s: _Series, t: datetime, price: Decimal, exchanges: tuple[str, str] = ("V", "V")
    ) -> Quote:
        half = price * _HALF_SPREAD_DECIMAL.get(s.inst.kind, _DEFAULT_HALF_SPREAD)
        bid = min(price - _CENT, (price - half).quantize(_CENT, rounding=ROUND_FLOOR))
        ask = max(price + _CENT, (price + half).quantize(_CENT, rounding=ROUND_CEILING))
        bid = max(bid, _CENT)
        mix = (int(t.timestamp() * 1000) * 2_654_435_761 + s.key) % 2**32
        nanos = 1 + ((mix >> 13) ^ t.microsecond) % 999  # never a whole microsecond
        if s.crypto:
            bid_size = Decimal(1 + mix % 900) / Decimal(100)
            ask_size = Decimal(1 + (mix >> 10) % 900) / Decimal(100)
            return Quote(s.inst.symbol, t, bid, bid_size, ask, ask_size, "", "", "", (), nanos)
        bid_size = Decimal(100 * (1 + mix % 9))
        ask_size = Decimal(100 * (1 + (mix >> 8) % 9))
        tape = _TAPE.get(s.inst.exchange, "B")
        bx, ax = exchanges
        return Quote(s.inst.symbol, t, bid, bid_size, ask, ask_size, bx, ax, tape, ("R",), nanos)

    def tape(self, symbol: str) -> str:
        """A stock's SIP tape by its listing exchange (A NYSE, C Nasdaq, B others); "" if crypto."""
        s = self._get(symbol)
        return "" if s.crypto else _TAPE.get(s.inst.exchange, "B")

    def mix(self, symbol: str | None, *values: int) -> int:
        """A stable 64-bit number from the market's seed, a symbol (or none) and integers: the
        seed of what is drawn per symbol or day (historical ticks, news)."""
        key = 0 if symbol is None else self._get(symbol).key
        return _mix(self._seed, key, *values)

    def dividends(self, symbol: str, start: date, end: date) -> list[Dividend]:
        """Quarterly dividends with ex-date in [start, end] and not after today (payers only)."""
        s = self._get(symbol)
        if s.inst.dividend_yield <= 0.0 or s.crypto or not self._eq_days:
            return []
        end = min(end, self._today(False), self._eq_days[-1])
        start = max(start, self._eq_days[0] + timedelta(days=1))
        month0 = s.key % 3
        day = 4 + (s.key >> 8) % 20
        lag = 12 + (s.key >> 16) % 18
        out: list[Dividend] = []
        for year in range(start.year, end.year + 1):
            for quarter in range(4):
                ex = date(year, 1 + month0 + 3 * quarter, day)
                if not self._calendar.is_trading_day(ex):
                    ex = self._calendar.next_trading_day(ex)
                if not start <= ex <= end:
                    continue
                j = bisect_left(self._eq_days, ex) - 1
                per_share = Decimal(repr(float(s.c[j]) * s.inst.dividend_yield / 4.0)).quantize(
                    Decimal("0.0001"), rounding=ROUND_HALF_UP
                )
                if per_share <= 0:
                    continue
                pay = ex + timedelta(days=lag)
                if not self._calendar.is_trading_day(pay):
                    pay = self._calendar.next_trading_day(pay)
                out.append(Dividend(s.inst.symbol, ex, pay, per_share))
        return out
