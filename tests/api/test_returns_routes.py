"""Returns on the value chart: deposits never count as return, and the time-weighted series
agrees with the broker's own profit and loss to the cent, point by point."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.core.periods import NEW_YORK
from portfolio_rt.sandbox.world import Sandbox
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


async def test_benchmark_follows_the_same_points(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    body = await history(api, auth_for, shared_sandbox, "jordan", "1Y")
    bench = body["benchmark"]
    assert bench["symbol"] == "SPY"
    assert len(bench["return_pct"]) == len(body["timestamp"])
    assert bench["return_pct"][0] == 0.0
    for period in ("1D", "1W"):
        intraday = await history(api, auth_for, shared_sandbox, "jordan", period)
        returns = intraday["benchmark"]["return_pct"]
        assert len(returns) == len(intraday["timestamp"]), period
        assert returns[0] == 0.0
        assert any(r not in (None, 0.0) for r in returns)  # SPY moved during the range


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


async def test_summary_labels_time_and_money_weighted_returns(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"])
    body = await (await api.get("/api/portfolio/summary", headers=headers)).json()
    assert isinstance(body["twr_pct"], float)
    assert isinstance(body["mwr_pct"], float)
    assert body["twr_reason"] is None
    history_body = await history(api, auth_for, shared_sandbox, "maya", "MAX")
    assert abs(body["twr_pct"] - history_body["twr_pct"][-1]) < 0.5


async def test_new_account_returns_say_why_they_are_missing(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["alex"])
    body = await (await api.get("/api/portfolio/summary", headers=headers)).json()
    assert body["twr_pct"] is None
    assert body["twr_reason"]
    assert body["mwr_pct"] is None
    assert body["mwr_reason"]


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
