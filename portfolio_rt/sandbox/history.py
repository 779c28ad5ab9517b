"""Portfolio history derived from an account's events and the market's price path.

Equity at an instant is cash(t) + sum(qty(t) * price_at(t)), each position rounded to the cent as
the live balances are, so the last point of a chart equals the account's equity now. Profit and
loss exclude deposits and withdrawals (CSD, CSW) and include dividends.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .book import Book, MoneyEvent
from .records import CENT, ZERO, PortfolioHistory, unprocessable

if TYPE_CHECKING:
    from .calendar import MarketClock
    from .market import Market

NY = ZoneInfo("America/New_York")
TIMEFRAMES = {
    "1Min": timedelta(minutes=1),
    "5Min": timedelta(minutes=5),
    "15Min": timedelta(minutes=15),
    "1H": timedelta(hours=1),
    "1D": timedelta(days=1),
}
REPORTING = ("market_hours", "extended_hours", "continuous")
PNL_RESETS = ("per_day", "no_reset")
EXTERNAL_FLOWS = frozenset({"CSD", "CSW", "JNLC", "JNLS", "ACATC", "ACATS"})
PERIOD_DAYS = {"D": 1, "W": 7, "M": 30, "A": 365}
MAX_INTRADAY_DAYS = 30
PCT_STEP = Decimal("0.0001")
_PERIOD = re.compile(r"^(\d{1,4})([DWMA])$")


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """Validated portfolio-history parameters (the window itself depends on the clock)."""

    period: tuple[int, str] | None
    timeframe: str
    start: datetime | None
    end: datetime | None
    intraday_reporting: str
    pnl_reset: str
    cashflow_types: tuple[str, ...] | None  # None: no cashflow map; () with ALL: all present

    @classmethod
    def parse(
        cls,
        *,
        period: str | None,
        timeframe: str | None,
        start: datetime | None,
        end: datetime | None,
        intraday_reporting: str,
        pnl_reset: str,
        cashflow_types: str | None,
        allowed_cashflow_types: frozenset[str],
        now: datetime,
    ) -> HistoryRequest:
        """Check every parameter; 422 with Alpaca's code for anything invalid."""
        parsed_period = None
        if period is not None:
            match = _PERIOD.match(period.strip().upper())
            if match is None or int(match.group(1)) < 1:
                raise unprocessable(f"invalid period {period!r}; use e.g. 1D, 1W, 3M or 1A")
            parsed_period = (int(match.group(1)), match.group(2))
        if timeframe is not None and timeframe not in TIMEFRAMES:
            raise unprocessable(f"invalid timeframe {timeframe!r}; use 1Min, 5Min, 15Min, 1H or 1D")
        if intraday_reporting not in REPORTING:
            raise unprocessable(f"invalid intraday_reporting {intraday_reporting!r}")
        if pnl_reset not in PNL_RESETS:
            raise unprocessable(f"invalid pnl_reset {pnl_reset!r}")
        start = _aware(start)
        end = _aware(end)
        if period is not None and start is not None and end is not None:
            raise unprocessable("only two of start, end and period may be given")
        if start is not None and end is not None and start > end:
            raise unprocessable("start must not be after end")
        flows: tuple[str, ...] | None = None
        if cashflow_types is not None and cashflow_types.strip():
            names = [n.strip().upper() for n in cashflow_types.split(",") if n.strip()]
            if names == ["ALL"]:
                flows = ()
            elif names != ["NONE"]:
                unknown = [n for n in names if n not in allowed_cashflow_types]
                if unknown:
                    raise unprocessable(f"invalid cashflow type {unknown[0]}")
                flows = tuple(dict.fromkeys(names))
        days = _span_days(parsed_period, start, end, now)
        if timeframe is None:
            timeframe = "1Min" if days < 7 else "15Min" if days < 30 else "1D"
        elif timeframe != "1D" and days > MAX_INTRADAY_DAYS:
            raise unprocessable(
                "intraday timeframes are only available for periods up to 30 days; use 1D"
            )
        return cls(parsed_period, timeframe, start, end, intraday_reporting, pnl_reset, flows)


def _span_days(
    period: tuple[int, str] | None, start: datetime | None, end: datetime | None, now: datetime
) -> float:
    """The window's length in days, as far as the parameters tell it (1M by default)."""
    if period is not None:
        return float(period[0] * PERIOD_DAYS[period[1]])
    if start is not None:
        return (min(end or now, now) - start).total_seconds() / 86400
    return 30.0


def _aware(t: datetime | None) -> datetime | None:
    if t is None or t.tzinfo is not None:
        return t
    return t.replace(tzinfo=UTC)


def _subtract_period(end: date, n: int, unit: str) -> date:
    if unit == "W":
        return end - timedelta(days=7 * n)
    if unit == "M":
        months = end.year * 12 + end.month - 1 - n
        year, month = divmod(months, 12)
        return _clamp_day(year, month + 1, end.day)
    if unit == "A":
        return _clamp_day(end.year - n, end.month, end.day)
    return end - timedelta(days=n)


def _add_period(start: date, n: int, unit: str) -> date:
    if unit == "W":
        return start + timedelta(days=7 * n)
    if unit == "M":
        months = start.year * 12 + start.month - 1 + n
        year, month = divmod(months, 12)
        return _clamp_day(year, month + 1, start.day)
    if unit == "A":
        return _clamp_day(start.year + n, start.month, start.day)
    return start + timedelta(days=n)


def _clamp_day(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def _ny(d: date, at: time) -> datetime:
    return datetime.combine(d, at, NY).astimezone(UTC)


# ---------------------------------------------------------------------- equity from events


class EquityCurve:
    """Cash, quantities and flows of one account as step functions of time."""

    def __init__(self, events: Sequence[MoneyEvent]) -> None:
        self.times = [e.at for e in events]
        cash = ZERO
        self.cash: list[Decimal] = []
        for e in events:
            cash += e.cash_delta
            self.cash.append(cash)
        self.qty_steps: dict[str, tuple[list[datetime], list[Decimal]]] = {}
        self.flow_events: list[MoneyEvent] = [e for e in events if e.flow is not None]
        self.flow_times = [e.at for e in self.flow_events]
        for e in events:
            if e.symbol is None:
                continue
            times, qtys = self.qty_steps.setdefault(e.symbol, ([], []))
            times.append(e.at)
            qtys.append((qtys[-1] if qtys else ZERO) + e.qty_delta)

    def equity(
        self,
        market: Market,
        times: Sequence[datetime],
        close_dates: Sequence[date | None] | None = None,
    ) -> list[Decimal]:
        """Equity at each of the sorted `times` (events at exactly a time count).

        `close_dates[k]`, when given, says `times[k]` is the close of that New York trading day:
        equities then take the day's close (the same number as `price_at`, without building the
        day's intraday path).
        """
        out = []
        for t in times:
            i = bisect_right(self.times, t)
            out.append(self.cash[i - 1] if i else ZERO)
        for symbol, (steps, qtys) in self.qty_steps.items():
            held: list[int] = []
            amounts: list[Decimal] = []
            j = 0
            for k, t in enumerate(times):
                while j < len(steps) and steps[j] <= t:
                    j += 1
                q = qtys[j - 1] if j else ZERO
                if q:
                    held.append(k)
                    amounts.append(q)
            if not held:
                continue
            for k, q, p in zip(
                held, amounts, _prices(market, symbol, times, held, close_dates), strict=True
            ):
                out[k] += (q * p).quantize(CENT)
        return out

    def flows_between(
        self, lo: datetime | None, hi: datetime, kinds: frozenset[str] | None
    ) -> Decimal:
        """Sum of flows in (lo, hi] of the given kinds (all kinds when None)."""
        a = 0 if lo is None else bisect_right(self.flow_times, lo)
        b = bisect_right(self.flow_times, hi)
        return sum(
            (e.flow_amount for e in self.flow_events[a:b] if kinds is None or e.flow in kinds),
            ZERO,
        )

    def flow_kinds(self) -> list[str]:
        """The flow types the account has, in a stable order."""
        return sorted({e.flow for e in self.flow_events if e.flow is not None})


def _prices(
    market: Market,
    symbol: str,
    times: Sequence[datetime],
    held: list[int],
    close_dates: Sequence[date | None] | None,
) -> list[Decimal]:
    inst = market.universe.get(symbol)
    if close_dates is None or inst is None or inst.asset_class == "crypto":
        return market.prices_at(symbol, [times[k] for k in held])
    out: list[Decimal | None] = [None] * len(held)
    rest: list[int] = []
    for n, k in enumerate(held):
        d = close_dates[k]
        if d is None:
            rest.append(n)
        else:
            out[n] = market.close(symbol, d)
    if rest:
        for n, p in zip(
            rest, market.prices_at(symbol, [times[held[n]] for n in rest]), strict=True
        ):
            out[n] = p
    return [p if p is not None else ZERO for p in out]


def close_dates_of(clock: MarketClock, times: Sequence[datetime]) -> list[date | None]:
    """For each instant, its New York date when it is exactly that day's session close."""
    out: list[date | None] = []
    for t in times:
        d = clock.market_date(t)
        session = clock.calendar.session(d)
        out.append(d if session is not None and session[1] == t else None)
    return out


# ---------------------------------------------------------------------- the windows


@dataclass(frozen=True, slots=True)
class _Point:
    label: datetime  # the left edge, reported as the timestamp
    value_at: datetime  # the instant whose equity the point shows
    base_at: datetime  # the instant P/L is measured from (per_day resets move it)


def _daily_points(
    request: HistoryRequest, clock: MarketClock, created: datetime, end_t: datetime
) -> list[_Point]:
    calendar = clock.calendar
    end_date = clock.market_date(end_t)
    created_date = clock.market_date(created)
    if request.start is not None:
        start_date = clock.market_date(request.start)
        if request.end is None and request.period is not None:
            end_date = min(end_date, _add_period(start_date, *request.period))
    else:
        n, unit = request.period or (1, "M")
        if unit == "D":
            days = calendar.trading_days(end_date - timedelta(days=3 * n + 10), end_date)
            start_date = days[-n] if len(days) >= n else days[0]
        else:
            start_date = _subtract_period(end_date, n, unit) + timedelta(days=1)
    start_date = max(start_date, created_date)
    if start_date > end_date:
        return []
    points = []
    for d in calendar.trading_days(start_date, end_date):
        session = calendar.session(d)
        assert session is not None
        label = _ny(d, time(0))
        if label > end_t:
            break
        prev = calendar.session(calendar.previous_trading_day(d))
        assert prev is not None
        points.append(_Point(label, min(session[1], end_t), prev[1]))
    return points


def _sessions(
    request: HistoryRequest, clock: MarketClock, first: date, last: date
) -> list[tuple[datetime, datetime, datetime]]:
    """(start, end, base instant) of each reporting session between two New York dates."""
    calendar = clock.calendar
    out = []
    d = first
    while d <= last:
        if request.intraday_reporting == "continuous":
            out.append((_ny(d, time(0)), _ny(d + timedelta(days=1), time(0)), _ny(d, time(0))))
        elif calendar.is_trading_day(d):
            prev = calendar.previous_trading_day(d)
            if request.intraday_reporting == "extended_hours":
                out.append((_ny(d, time(4)), _ny(d, time(20)), _ny(prev, time(20))))
            else:
                session = calendar.session(d)
                prev_session = calendar.session(prev)
                assert session is not None
                assert prev_session is not None
                out.append((session[0], session[1], prev_session[1]))
        d += timedelta(days=1)
    return out


def _intraday_points(
    request: HistoryRequest, clock: MarketClock, created: datetime, end_t: datetime
) -> list[_Point]:
    step = TIMEFRAMES[request.timeframe]
    end_date = clock.market_date(end_t)
    if request.start is not None:
        start_t = request.start
        if request.end is None and request.period is not None:
            n, unit = request.period
            end_t = min(end_t, start_t + timedelta(days=n * PERIOD_DAYS[unit]))
            end_date = clock.market_date(end_t)
        sessions = _sessions(request, clock, clock.market_date(start_t), end_date)
    else:
        n, unit = request.period or (1, "M")
        if unit == "D":
            candidates = _sessions(request, clock, end_date - timedelta(days=3 * n + 10), end_date)
            candidates = [s for s in candidates if s[0] <= end_t]
            sessions = candidates[-n:]
            start_t = sessions[0][0] if sessions else end_t
        else:
            # whole New York days, as the daily windows: (end date - period, end date]
            first = _subtract_period(end_date, n, unit) + timedelta(days=1)
            start_t = _ny(first, time(0))
            sessions = _sessions(request, clock, first, end_date)
    if end_t - start_t > timedelta(days=MAX_INTRADAY_DAYS + 1):
        raise unprocessable("intraday timeframes are only available for periods up to 30 days")
    points = []
    for s_start, s_end, base_at in sessions:
        label = s_start
        while label < s_end and label < end_t:
            value_at = min(label + step, s_end, end_t)
            if label + step > start_t and value_at >= created:
                points.append(_Point(label, value_at, base_at))
            label += step
    return points


# ---------------------------------------------------------------------- the response


def _daily_equity(
    book: Book,
    curve: EquityCurve,
    market: Market,
    clock: MarketClock,
    points: list[_Point],
    now: datetime,
) -> list[Decimal]:
    """Equity per daily point; closes of finished sessions come from the account's cache."""
    times = [p.value_at for p in points]
    closes = close_dates_of(clock, times)
    out: list[Decimal | None] = []
    missing: list[int] = []
    for k, (t, d) in enumerate(zip(times, closes, strict=True)):
        cached = book.daily_equity.get(d) if d is not None and t < now else None
        out.append(cached)
        if cached is None:
            missing.append(k)
    if missing:
        values = curve.equity(market, [times[k] for k in missing], [closes[k] for k in missing])
        for k, v in zip(missing, values, strict=True):
            out[k] = v
            d = closes[k]
            if d is not None and times[k] < now:
                book.daily_equity[d] = v
    return [v if v is not None else ZERO for v in out]


def build_history(
    book: Book, request: HistoryRequest, market: Market, clock: MarketClock, now: datetime
) -> PortfolioHistory:
    """The portfolio history of `book` for `request` as of `now`."""
    timeframe = request.timeframe
    end_t = min(request.end or now, now)
    created = book.record.created_at
    daily = timeframe == "1D"
    if daily:
        points = _daily_points(request, clock, created, end_t)
    else:
        points = _intraday_points(request, clock, created, end_t)
    curve = EquityCurve(book.events)
    if not points:
        cashflow: dict[str, list[Decimal]] = {}
        if request.cashflow_types:
            cashflow = {k: [] for k in request.cashflow_types}
        return PortfolioHistory([], [], [], [], None, None, timeframe, cashflow)
    if daily:
        equity = _daily_equity(book, curve, market, clock, points, now)
        bases = [points[0].value_at] * len(points)
        base_values = [equity[0]] * len(points)
        base_asof = clock.market_date(points[0].value_at)
    else:
        times = [p.value_at for p in points]
        equity = curve.equity(market, times, close_dates_of(clock, times))
        if request.pnl_reset == "no_reset":
            bases = [points[0].base_at] * len(points)
        else:
            bases = [p.base_at for p in points]
        distinct = sorted(set(bases))
        base_values_at = curve.equity(market, distinct, close_dates_of(clock, distinct))
        base_equity = dict(zip(distinct, base_values_at, strict=True))
        base_values = [base_equity[b] for b in bases]
        base_asof = clock.market_date(bases[0] - timedelta(seconds=1))
    profit_loss: list[Decimal] = []
    pct: list[Decimal | None] = []
    for v, base_at, base in zip((p.value_at for p in points), bases, base_values, strict=True):
        k = len(profit_loss)
        moved_in = curve.flows_between(base_at, v, EXTERNAL_FLOWS)
        pl = equity[k] - base - moved_in
        profit_loss.append(pl)
        invested = base + moved_in
        pct.append((pl / invested).quantize(PCT_STEP) if invested > 0 else None)
    cashflow = _cashflow(request, curve, points)
    first_base = base_values[0]
    return PortfolioHistory(
        timestamp=[int(p.label.timestamp()) for p in points],
        equity=equity,
        profit_loss=profit_loss,
        profit_loss_pct=pct,
        base_value=first_base,
        base_value_asof=base_asof if first_base > 0 else None,
        timeframe=timeframe,
        cashflow=cashflow,
    )


def _cashflow(
    request: HistoryRequest, curve: EquityCurve, points: list[_Point]
) -> dict[str, list[Decimal]]:
    if request.cashflow_types is None:
        return {}
    kinds = list(request.cashflow_types) or curve.flow_kinds()
    edges: list[datetime | None] = []
    for k, p in enumerate(points):
        if k:
            edges.append(points[k - 1].value_at)
        else:
            edges.append(p.base_at)
    return {
        kind: [
            curve.flows_between(lo, p.value_at, frozenset({kind}))
            for lo, p in zip(edges, points, strict=True)
        ]
        for kind in kinds
    }
