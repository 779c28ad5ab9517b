"""Returns on the value chart: deposits never count as return, and the time-weighted series
agrees with the broker's own profit and loss to the cent, point by point."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest
import pyxirr
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.core.periods import NEW_YORK
from portfolio_rt.sandbox.records import ActivityRecord
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.frozen import StartWorld
from tests.fixtures.settings import service_settings

Auth = Callable[..., dict[str, str]]


async def history(api: TestClient, auth_for: Auth, sandbox: Sandbox, who: str, period: str) -> dict:  # type: ignore[type-arg]
    headers = auth_for(api, sandbox.personas[who])
    response = await api.get(f"/api/portfolio/history?period={period}", headers=headers)
    assert response.status == 200, await response.text()
    return dict(await response.json())


@pytest.mark.parametrize("period", ["MAX", "1Y", "1M", "1W"])
async def test_flows_and_profit_reconcile_to_the_cent(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, period: str
) -> None:
    body = await history(api, auth_for, shared_sandbox, "maya", period)
    equity = [Decimal(v) for v in body["equity"]]
    deposits = [Decimal(v) for v in body["net_deposits"]]
    pnl = [Decimal(v) for v in body["profit_loss"]]
    for i in range(1, len(equity)):
        moved_in = deposits[i] - deposits[i - 1]
        assert equity[i] - equity[i - 1] - moved_in == pnl[i] - pnl[i - 1], i


async def test_maya_monthly_deposits_never_show_as_return(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    body = await history(api, auth_for, shared_sandbox, "maya", "MAX")
    equity = [Decimal(v) for v in body["equity"]]
    deposits = [Decimal(v) for v in body["net_deposits"]]
    twr = body["twr_pct"]
    deposit_days = [i for i in range(1, len(equity)) if deposits[i] > deposits[i - 1]]
    assert len(deposit_days) >= 12  # saves monthly since 2022
    for i in deposit_days:
        if twr[i - 1] is None:
            continue
        daily = (1 + twr[i] / 100) / (1 + twr[i - 1] / 100) - 1
        jump = (deposits[i] - deposits[i - 1]) / max(equity[i - 1], Decimal(1))
        assert abs(daily) < 0.06, (i, daily, float(jump))
    naive = float(equity[-1] / equity[next(i for i, e in enumerate(equity) if e > 0)] - 1)
    assert naive * 100 > body["twr_pct"][-1] + 50  # deposits would have looked like gains


async def test_net_deposits_end_at_the_ledgers_total(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    body = await history(api, auth_for, shared_sandbox, "maya", "MAX")
    summary = await (
        await api.get(
            "/api/portfolio/summary", headers=auth_for(api, shared_sandbox.personas["maya"])
        )
    ).json()
    assert body["net_deposits"][-1] == summary["net_deposits"]


# Wednesday 2026-11-18 in New York: mid-session, and two minutes after the open (the day's
# range then has its first bar's point and the live value only).
MID_SESSION = datetime(2026, 11, 18, 19, 0, tzinfo=UTC)
JUST_OPENED = datetime(2026, 11, 18, 14, 32, tzinfo=UTC)


async def test_benchmark_follows_the_same_points(frozen_world: StartWorld) -> None:
    world = await frozen_world(MID_SESSION)
    for period in ("1Y", "1W", "1D"):
        body = await world.get(f"/api/portfolio/history?period={period}", "jordan")
        bench = body["benchmark"]
        assert bench["symbol"] == "SPY"
        returns = bench["return_pct"]
        assert len(returns) == len(body["timestamp"]), period
        assert returns[0] == 0.0
        assert any(r not in (None, 0.0) for r in returns), period  # SPY moved in the range


async def test_benchmark_has_a_line_from_the_first_minutes_of_the_day(
    frozen_world: StartWorld,
) -> None:
    world = await frozen_world(JUST_OPENED)
    body = await world.get("/api/portfolio/history?period=1D", "jordan")
    assert len(body["timestamp"]) == 2  # the open's point and the live value
    returns = body["benchmark"]["return_pct"]
    assert returns is not None, body["benchmark"]["reason"]
    assert len(returns) == 2
    assert returns[0] == 0.0


async def test_unknown_benchmark_says_why(
    aiohttp_client, tmp_path, sandbox_server, auth_for: Auth, shared_sandbox: Sandbox
) -> None:  # type: ignore[no-untyped-def]
    settings = service_settings(sandbox_server, returns={"benchmark_symbol": "ZZZZ"})
    client = await aiohttp_client(create_app(settings))
    body = await history(client, auth_for, shared_sandbox, "jordan", "1Y")
    assert body["benchmark"]["return_pct"] is None
    assert "ZZZZ" in body["benchmark"]["reason"]


async def test_range_statistics_in_plain_numbers(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    body = await history(api, auth_for, shared_sandbox, "jordan", "1Y")
    stats = body["stats"]
    assert stats["volatility_pct"] > 0
    assert stats["max_drawdown"]["pct"] <= 0
    assert stats["max_drawdown"]["from"] <= stats["max_drawdown"]["to"]
    assert stats["twr_pct"] == pytest.approx(body["twr_pct"][-1], abs=0.0051)  # 2 dp vs 4 dp


def ledger_activities(sandbox: Sandbox, account: UUID, types: list[str]) -> list[ActivityRecord]:
    """Every activity of these types, straight from the sandbox's ledger (all pages)."""
    out: list[ActivityRecord] = []
    token = None
    while True:
        page = sandbox.ledger.activities(
            account_id=account, activity_types=types, direction="asc", page_token=token
        )
        out += page
        if len(page) < 100:
            return out
        token = page[-1].id


RETURN_FIELDS = ("twr_cumulative", "twr_annual", "mwr_cumulative", "mwr_annual")


async def test_summary_gives_both_returns_on_both_named_bases(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"])
    body = await (await api.get("/api/portfolio/summary", headers=headers)).json()
    for name in RETURN_FIELDS:
        assert isinstance(body[f"{name}_pct"], float), name
        assert body[f"{name}_reason"] is None, name
    assert "twr_pct" not in body
    assert "mwr_pct" not in body
    history_body = await history(api, auth_for, shared_sandbox, "maya", "MAX")
    assert abs(body["twr_cumulative_pct"] - history_body["twr_pct"][-1]) < 0.5
    # Like with like: a year's rates differ from the cumulative ones over years of saving.
    assert body["twr_annual_pct"] < body["twr_cumulative_pct"]
    assert body["mwr_annual_pct"] < body["mwr_cumulative_pct"]


async def test_new_account_returns_say_why_they_are_missing(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["alex"])
    body = await (await api.get("/api/portfolio/summary", headers=headers)).json()
    for name in RETURN_FIELDS:
        assert body[f"{name}_pct"] is None, name
        assert body[f"{name}_reason"], name


@pytest.mark.parametrize("who", ["maya", "jordan", "sam", "pat"])
async def test_money_weighted_returns_agree_with_pyxirr(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, who: str
) -> None:
    """The oracle is pyxirr's XIRR (ACT/365.25) over the sandbox ledger's own deposits and
    withdrawals, by date, with the summary's value as the final flow."""
    account = shared_sandbox.personas[who]
    body = await (await api.get("/api/portfolio/summary", headers=auth_for(api, account))).json()
    flows = [
        (a.date, -a.net_amount)
        for a in ledger_activities(shared_sandbox, account, ["CSD", "CSW", "JNLC"])
        if a.net_amount is not None and a.status != "canceled"
    ]
    today = datetime.fromisoformat(body["as_of"].replace("Z", "+00:00")).astimezone(NEW_YORK)
    dates = [d for d, _ in flows] + [today.date()]
    amounts = [float(a) for _, a in flows] + [float(body["equity"])]
    rate = pyxirr.xirr(dates, amounts, day_count=pyxirr.DayCount.ACT_365_25)
    years = (today.date() - min(dates)).days / 365.25
    # pyxirr counts whole days and ends at today's date, the service at this instant: up to
    # a day's difference in the span, worth ~0.02 points a year here, plus the 2-dp rounding.
    assert body["mwr_annual_pct"] == pytest.approx(rate * 100, abs=0.05)
    # Compounded over years that difference grows with the span: compare growth factors.
    growth = 1 + body["mwr_cumulative_pct"] / 100
    assert growth == pytest.approx((1 + rate) ** years, rel=5e-4)


async def test_the_funding_days_own_loss_counts_from_the_opening(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    """jordan's $8,000 arrived at the start of his first day: that day's return is the
    close over the deposit, and the gain line starts at the close minus the deposit."""
    body = await history(api, auth_for, shared_sandbox, "jordan", "MAX")
    first_value = Decimal(body["equity"][0])
    first_in = Decimal(body["net_deposits"][0])
    assert first_in == Decimal("8000.00")
    assert Decimal(body["profit_loss"][0]) == first_value - first_in
    expected = (float(first_value / first_in) - 1) * 100
    assert body["twr_pct"][0] == pytest.approx(expected, abs=0.0001)
    summary = await (
        await api.get(
            "/api/portfolio/summary", headers=auth_for(api, shared_sandbox.personas["jordan"])
        )
    ).json()
    assert summary["twr_cumulative_pct"] == pytest.approx(body["twr_pct"][-1], abs=0.0051)


@pytest.mark.parametrize("period", ["1D", "1W", "1M", "3M", "6M", "YTD", "1Y", "MAX"])
async def test_a_new_accounts_ranges_answer_the_same_shape_with_a_reason(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, period: str
) -> None:
    maya = await history(api, auth_for, shared_sandbox, "maya", period)
    alex = await history(api, auth_for, shared_sandbox, "alex", period)
    assert set(alex) == set(maya)
    assert maya["reason"] is None
    assert isinstance(alex["reason"], str)
    assert alex["reason"]


async def test_realized_gains_for_jordans_partial_sale(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account = shared_sandbox.personas["jordan"]
    headers = auth_for(api, account)
    sells = [
        a
        for a in shared_sandbox.ledger.activities(
            account_id=account, activity_types=["FILL"], page_size=100
        )
        if a.side == "sell"
    ]
    assert sells, "jordan sold part of a position"
    year = sells[0].at.year
    body = await (await api.get(f"/api/portfolio/realized?year={year}", headers=headers)).json()
    assert body["method"] == "FIFO"
    sold = sum(Decimal(lot["qty"]) for lot in body["lots"])
    assert sold == sum(s.qty for s in sells if s.at.year == year)
    for lot in body["lots"]:
        assert Decimal(lot["gain"]) == Decimal(lot["proceeds"]) - Decimal(lot["cost"])
    totals = body["totals"]
    assert Decimal(totals["gain"]) == Decimal(totals["short_term_gain"]) + Decimal(
        totals["long_term_gain"]
    )


async def test_realized_opens_on_the_latest_year_with_a_sale(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account = shared_sandbox.personas["jordan"]
    headers = auth_for(api, account)
    sold_in = {
        a.at.astimezone(NEW_YORK).year
        for a in shared_sandbox.ledger.activities(
            account_id=account, activity_types=["FILL"], page_size=100
        )
        if a.side == "sell"
    }
    body = await (await api.get("/api/portfolio/realized", headers=headers)).json()
    assert body["years"] == sorted(sold_in, reverse=True)
    assert body["year"] == max(sold_in)
    assert body["lots"]
    quiet = min(sold_in) - 1  # a year with no sale, asked for explicitly
    body = await (await api.get(f"/api/portfolio/realized?year={quiet}", headers=headers)).json()
    assert (body["year"], body["lots"], body["years"]) == (quiet, [], sorted(sold_in, reverse=True))


async def test_realized_for_an_account_that_never_sold_is_this_years_empty_list(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"])
    body = await (await api.get("/api/portfolio/realized", headers=headers)).json()
    assert (body["year"], body["years"], body["lots"]) == (datetime.now(NEW_YORK).year, [], [])


@pytest.mark.parametrize("year", ["1999", "abc", "3000"])
async def test_realized_rejects_bad_years(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, year: str
) -> None:
    headers = auth_for(api, shared_sandbox.personas["jordan"])
    response = await api.get(f"/api/portfolio/realized?year={year}", headers=headers)
    assert response.status == 400


async def test_income_matches_sams_dividends(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account = shared_sandbox.personas["sam"]
    body = await (await api.get("/api/portfolio/income", headers=auth_for(api, account))).json()
    paid = sum(
        (
            a.net_amount or Decimal(0)
            for a in shared_sandbox.ledger.activities(
                account_id=account, activity_types=["DIV"], page_size=100
            )
        ),
        Decimal(0),
    )
    assert paid > 0
    by_month = sum(Decimal(m["amount"]) for m in body["by_month"])
    by_holding = sum(Decimal(h["amount"]) for h in body["by_holding"])
    assert by_month == by_holding
    assert by_month >= paid  # this page of activities is at most all of them
    assert body["yield_on_cost_pct"] > 0
