"""Portfolio history derived from the ledger: points, profit and loss, parameters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from portfolio_rt.sandbox.ledger import Ledger, LedgerError
from portfolio_rt.sandbox.records import CENT

from .ledger_support import LedgerWorld, build_ledger, open_account

NY = ZoneInfo("America/New_York")
# Friday 2025-06-13, 15:00 New York: in session.
NOW = datetime(2025, 6, 13, 19, 0, tzinfo=UTC)
CREATED = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)  # Monday, before the open


@pytest.fixture(scope="module")
def story() -> tuple[LedgerWorld, UUID]:
    """Deposit 10,000; buy AAPL and KO; deposit 2,000 a week later; withdraw 500."""
    world = build_ledger(NOW)
    ledger = world.ledger
    account_id, bank_id = open_account(ledger, CREATED)
    ledger.create_transfer(
        account_id, relationship_id=bank_id, amount="10000", direction="INCOMING", at=CREATED
    )
    buy_at = datetime(2025, 6, 3, 14, 0, tzinfo=UTC)
    for symbol, qty in (("AAPL", 10), ("KO", 40)):
        ledger.submit_order(
            account_id,
            symbol=symbol,
            side="buy",
            type="market",
            time_in_force="day",
            qty=qty,
            at=buy_at,
        )
    ledger.create_transfer(
        account_id,
        relationship_id=bank_id,
        amount="2000",
        direction="INCOMING",
        at=datetime(2025, 6, 9, 15, 0, tzinfo=UTC),
    )
    ledger.create_transfer(
        account_id,
        relationship_id=bank_id,
        amount="500",
        direction="OUTGOING",
        at=datetime(2025, 6, 11, 15, 0, tzinfo=UTC),
    )
    ledger.advance(NOW)
    return world, account_id


def equity_at(world: LedgerWorld, ledger: Ledger, account_id: UUID, t: datetime) -> Decimal:
    """Equity from the activities alone: cash moved so far plus holdings at `t`'s price."""
    cash = Decimal(0)
    qty: dict[str, Decimal] = {}
    for a in ledger.activities(account_id=account_id, direction="asc"):
        if a.at > t:
            continue
        if a.activity_type == "FILL":
            assert a.qty is not None
            assert a.price is not None
            sign = 1 if a.side == "buy" else -1
            cash -= sign * (a.qty * a.price).quantize(CENT)
            qty[a.symbol or ""] = qty.get(a.symbol or "", Decimal(0)) + sign * a.qty
        else:
            cash += a.net_amount or 0
    return cash + sum(
        ((q * world.market.price_at(s, t)).quantize(CENT) for s, q in qty.items()), Decimal(0)
    )


def test_daily_points_are_trading_days_at_midnight_new_york_with_closing_equity(
    story: tuple[LedgerWorld, UUID],
) -> None:
    world, account_id = story
    ledger = world.ledger
    history = ledger.portfolio_history(account_id, period="1M", timeframe="1D")
    days = [datetime.fromtimestamp(ts, NY) for ts in history.timestamp]
    assert all((d.hour, d.minute) == (0, 0) for d in days)
    assert [d.date() for d in days] == world.market_clock.calendar.trading_days(
        date(2025, 6, 2), date(2025, 6, 13)
    )
    assert history.timeframe == "1D"
    for d, equity in zip(days[:-1], history.equity[:-1], strict=True):
        session = world.market_clock.calendar.session(d.date())
        assert session is not None
        assert equity == equity_at(world, ledger, account_id, session[1])
    assert history.equity[-1] == ledger.balances(account_id).equity


def test_profit_and_loss_exclude_deposits_and_withdrawals(
    story: tuple[LedgerWorld, UUID],
) -> None:
    world, account_id = story
    history = world.ledger.portfolio_history(
        account_id, period="1M", timeframe="1D", cashflow_types="CSD,CSW"
    )
    assert history.base_value == history.equity[0]
    assert history.base_value_asof == date(2025, 6, 2)
    assert history.profit_loss[0] == 0
    moved = Decimal(0)
    for k in range(len(history.equity)):
        if k:
            moved += history.cashflow["CSD"][k] + history.cashflow["CSW"][k]
        assert history.profit_loss[k] == history.equity[k] - history.equity[0] - moved
        expected = (history.profit_loss[k] / (history.equity[0] + moved)).quantize(
            Decimal("0.0001")
        )
        assert history.profit_loss_pct[k] == expected
    assert sum(history.cashflow["CSD"]) == 12_000
    assert sum(history.cashflow["CSW"]) == -500
    monday = history.timestamp.index(int(datetime(2025, 6, 9, tzinfo=NY).timestamp()))
    assert history.cashflow["CSD"][monday] == 2000


def test_cashflow_types_select_the_map(story: tuple[LedgerWorld, UUID]) -> None:
    world, account_id = story
    ledger = world.ledger
    assert ledger.portfolio_history(account_id, period="1W").cashflow == {}
    assert ledger.portfolio_history(account_id, period="1W", cashflow_types="NONE").cashflow == {}
    everything = ledger.portfolio_history(account_id, period="1M", cashflow_types="ALL").cashflow
    assert set(everything) == {"CSD", "CSW"}
    only = ledger.portfolio_history(account_id, period="1M", cashflow_types="DIV").cashflow
    assert set(only) == {"DIV"}
    assert not any(only["DIV"])


def test_intraday_points_cover_the_session_and_reset_pnl_each_day(
    story: tuple[LedgerWorld, UUID],
) -> None:
    world, account_id = story
    ledger = world.ledger
    history = ledger.portfolio_history(account_id, period="1D", timeframe="5Min")
    first = datetime.fromtimestamp(history.timestamp[0], NY)
    assert (first.date(), first.hour, first.minute) == (date(2025, 6, 13), 9, 30)
    assert {b - a for a, b in zip(history.timestamp, history.timestamp[1:], strict=False)} == {300}
    assert history.timestamp[-1] < NOW.timestamp()
    assert len(history.timestamp) == 66  # 9:30 to 15:00 in 5-minute steps
    prev_close = world.market_clock.calendar.session(date(2025, 6, 12))
    assert prev_close is not None
    base = equity_at(world, ledger, account_id, prev_close[1])
    assert history.base_value == base
    assert history.base_value_asof == date(2025, 6, 12)
    assert history.profit_loss == [e - base for e in history.equity]
    assert history.equity[-1] == ledger.balances(account_id).equity
    assert history.equity[0] == equity_at(
        world, ledger, account_id, datetime(2025, 6, 13, 13, 35, tzinfo=UTC)
    )


def test_no_reset_measures_from_the_start_of_the_window(story: tuple[LedgerWorld, UUID]) -> None:
    world, account_id = story
    ledger = world.ledger
    per_day = ledger.portfolio_history(account_id, period="1W", timeframe="1H")
    cumulative = ledger.portfolio_history(
        account_id, period="1W", timeframe="1H", pnl_reset="no_reset"
    )
    assert per_day.timestamp == cumulative.timestamp
    assert per_day.equity == cumulative.equity
    assert per_day.base_value == cumulative.base_value
    days = [datetime.fromtimestamp(ts, NY).date() for ts in per_day.timestamp]
    assert len(set(days)) == 5
    # no_reset counts every day since the window's base (last Friday's close), less the
    # money moved in since: Monday's 2,000 deposit and Wednesday's 500 withdrawal
    assert cumulative.base_value_asof == date(2025, 6, 6)
    moved = Decimal(2000 - 500)
    assert cumulative.base_value is not None
    assert cumulative.profit_loss[-1] == cumulative.equity[-1] - cumulative.base_value - moved
    friday_close_prev = world.market_clock.calendar.session(date(2025, 6, 12))
    assert friday_close_prev is not None
    base_today = equity_at(world, ledger, account_id, friday_close_prev[1])
    assert per_day.profit_loss[-1] == per_day.equity[-1] - base_today


def test_reporting_windows_differ_by_session(story: tuple[LedgerWorld, UUID]) -> None:
    world, account_id = story
    ledger = world.ledger
    hours = {
        mode: {
            datetime.fromtimestamp(ts, NY).hour
            for ts in ledger.portfolio_history(
                account_id, period="1W", timeframe="1H", intraday_reporting=mode
            ).timestamp
        }
        for mode in ("market_hours", "extended_hours", "continuous")
    }
    assert min(hours["market_hours"]) == 9
    assert max(hours["market_hours"]) == 15
    assert min(hours["extended_hours"]) == 4
    assert max(hours["extended_hours"]) == 19
    assert hours["continuous"] == set(range(24))


def test_default_timeframes_follow_the_period_length(story: tuple[LedgerWorld, UUID]) -> None:
    world, account_id = story
    ledger = world.ledger
    assert ledger.portfolio_history(account_id, period="1D").timeframe == "1Min"
    assert ledger.portfolio_history(account_id, period="1W").timeframe == "15Min"
    assert ledger.portfolio_history(account_id, period="1M").timeframe == "1D"
    assert ledger.portfolio_history(account_id).timeframe == "1D"
    start = NOW - timedelta(days=3)
    assert ledger.portfolio_history(account_id, start=start).timeframe == "1Min"


def test_start_and_end_pick_the_window(story: tuple[LedgerWorld, UUID]) -> None:
    world, account_id = story
    history = world.ledger.portfolio_history(
        account_id,
        start=datetime(2025, 6, 4, tzinfo=NY),  # dates are New York dates
        end=datetime(2025, 6, 10, 23, 0, tzinfo=NY),
        timeframe="1D",
    )
    days = [datetime.fromtimestamp(ts, NY).date() for ts in history.timestamp]
    assert days == [date(2025, 6, d) for d in (4, 5, 6, 9, 10)]


def test_history_starts_when_the_account_was_opened(story: tuple[LedgerWorld, UUID]) -> None:
    world, account_id = story
    history = world.ledger.portfolio_history(account_id, period="1A", timeframe="1D")
    assert datetime.fromtimestamp(history.timestamp[0], NY).date() == date(2025, 6, 2)
    late = world.ledger.create_account(
        given_name="Late", family_name="Comer", email="late@example.com", created_at=NOW
    )
    empty = world.ledger.portfolio_history(late.id, period="1M", timeframe="1D")
    assert empty.equity == [0]
    assert empty.profit_loss_pct == [None]
    assert empty.base_value_asof is None


@pytest.mark.parametrize(
    "params",
    [
        {"period": "1X"},
        {"period": "0D"},
        {"period": "D"},
        {"timeframe": "2H"},
        {"intraday_reporting": "sometimes"},
        {"pnl_reset": "weekly"},
        {"cashflow_types": "CSD,BOGUS"},
        {"period": "3M", "timeframe": "5Min"},
        {"period": "1A", "timeframe": "1H"},
        {
            "period": "1W",
            "start": datetime(2025, 6, 2, tzinfo=UTC),
            "end": datetime(2025, 6, 9, tzinfo=UTC),
        },
        {"start": datetime(2025, 6, 9, tzinfo=UTC), "end": datetime(2025, 6, 2, tzinfo=UTC)},
        {"start": datetime(2025, 1, 2, tzinfo=UTC), "timeframe": "15Min"},
    ],
)
def test_invalid_parameters_are_422(
    story: tuple[LedgerWorld, UUID], params: dict[str, object]
) -> None:
    world, account_id = story
    with pytest.raises(LedgerError) as err:
        world.ledger.portfolio_history(account_id, **params)  # type: ignore[arg-type]
    assert (err.value.status, err.value.code) == (422, 42210000)


def test_dividends_count_as_profit() -> None:
    world = build_ledger(NOW)
    ledger, market = world.ledger, world.market
    div = next(
        d
        for d in market.dividends("KO", date(2025, 1, 1), NOW.date())
        if d.pay_date < NOW.date() - timedelta(days=3)
    )
    start = datetime.combine(div.ex_date - timedelta(days=10), datetime.min.time(), UTC)
    account_id, bank_id = open_account(ledger, start)
    ledger.create_transfer(
        account_id, relationship_id=bank_id, amount="8000", direction="INCOMING", at=start
    )
    session = world.market_clock.calendar.session(
        world.market_clock.calendar.next_trading_day(start.date())
    )
    assert session is not None
    ledger.submit_order(
        account_id,
        symbol="KO",
        side="buy",
        type="market",
        time_in_force="day",
        qty=100,
        at=session[0] + timedelta(hours=2),
    )
    history = ledger.portfolio_history(
        account_id, start=start, timeframe="1D", cashflow_types="DIV,CSD"
    )
    paid = sum(history.cashflow["DIV"], Decimal(0))
    assert paid == (100 * div.per_share).quantize(CENT) + sum(
        (
            a.net_amount or 0
            for a in ledger.activities(account_id=account_id, activity_types=["DIV"])
            if a.date != div.pay_date
        ),
        Decimal(0),
    )
    pay_day = history.timestamp.index(
        int(datetime.combine(div.pay_date, datetime.min.time(), NY).timestamp())
    )
    # the pay day's P/L step includes the dividend: it is income, not a deposit
    step = history.profit_loss[pay_day] - history.profit_loss[pay_day - 1]
    equity_step = history.equity[pay_day] - history.equity[pay_day - 1]
    assert step == equity_step
    assert history.cashflow["DIV"][pay_day] == (100 * div.per_share).quantize(CENT)
