"""The returns parts of the page: the value chart's extra lines and the time-weighted header,
the all-time figures, the Income card, realised gains, privacy mode and CSV export."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from .conftest import PageKit, Pushed, log_in, screenshot, wait_sections

HIDDEN = "$•••••"
BROWSER_TZ = ZoneInfo("America/New_York")  # the timezone open_page gives the browser
DOLLARS = re.compile(r"\$\s?\d")

CHART = """async (id) => {
    const { Chart } = await import('chart.js');
    const chart = Chart.getChart(document.getElementById(id));
    return {
        datasets: chart.data.datasets.map((d, i) => ({
            label: d.label ?? null,
            dash: d.borderDash ?? null,
            visible: chart.isDatasetVisible(i),
            values: d.data.map((p) => (p !== null && typeof p === 'object' ? p.y : p)),
        })),
        yLabels: chart.scales.y.ticks.map((t) => t.label),
        tooltip: chart.options.plugins.tooltip.callbacks.label({
            datasetIndex: 0, parsed: { y: 1234.5 }, dataset: chart.data.datasets[0],
        }),
    };
}"""


def pct(value: float | None) -> str:
    """The page's percentage: '+2.77%', '−1.30%', '0.00%'."""
    if value is None:
        return "—"
    text = f"{abs(value):.2f}%"
    if value < 0 and abs(value) >= 0.005:
        return f"−{text}"
    return f"+{text}" if value > 0 else text


def money(value: str) -> str:
    n = Decimal(value)
    text = f"${abs(n):,.2f}"
    return f"−{text}" if n < 0 else text


def chart(page: Page, canvas_id: str) -> dict[str, Any]:
    page.wait_for_selector(f"#{canvas_id}")
    result: dict[str, Any] = page.evaluate(CHART, canvas_id)
    return result


def api(page: Page, path: str) -> Any:
    response = page.request.get(path)
    assert response.ok, (path, response.status)
    return response.json()


def test_value_chart_lines_time_weighted_header_and_all_time_figures(desktop: PageKit) -> None:
    page = desktop.page
    # The answers the page itself drew: live prices move the summary between two requests.
    with (
        page.expect_response(lambda r: "history?period=1M" in r.url) as first,
        page.expect_response(lambda r: r.url.endswith("/api/portfolio/summary")) as drawn,
    ):
        log_in(desktop, "maya")
    history = first.value.json()
    summary = drawn.value.json()

    # The range's time-weighted return heads the chart, with a "?" that explains it.
    expect(page.locator("#range-twr")).to_have_text(pct(history["stats"]["twr_pct"]))
    tip = page.locator("#history .range-twr details.why-tip")
    tip.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(tip.locator(".why-tip-text")).to_be_visible()
    expect(tip.locator(".why-tip-text")).to_contain_text("compare with the market")
    page.keyboard.press("Enter")
    expect(tip.locator(".why-tip-text")).to_be_hidden()

    # The range's risk in plain words: swings a year, the deepest fall with its dates.
    risk = page.locator("#range-risk")
    expect(risk).to_contain_text("a year (volatility)")
    stats = history["stats"]
    if stats["max_drawdown"]["pct"] is not None and stats["max_drawdown"]["pct"] < 0:
        expect(risk).to_contain_text(pct(stats["max_drawdown"]["pct"]))
    expect(risk).to_contain_text("Return per unit of risk")

    # All-time: gain, time-weighted and personal return, each labelled with its "?" and each
    # on both bases, named: since you started, and a year.
    for stat_id, label, kind in (
        ("stat-twr", "Investment return (time-weighted)", "twr"),
        ("stat-mwr", "Your personal return", "mwr"),
    ):
        stat = page.locator(f"#{stat_id}")
        expect(stat.locator(".stat-label")).to_contain_text(label)
        since = stat.locator("[data-basis='since-start']")
        expect(since).to_have_text(pct(summary[f"{kind}_cumulative_pct"]))
        expect(stat).to_contain_text("since you started")
        expect(stat.locator("[data-basis='a-year']")).to_have_text(
            pct(summary[f"{kind}_annual_pct"])
        )
        expect(stat).to_contain_text(" a year")
        expect(stat.locator("summary")).to_have_count(1)
    expect(page.locator("#stat-gain .stat-label")).to_have_text(re.compile(r"^Gain"))
    gain = summary["all_time_return"]
    expected_gain = f"+{money(gain['amount'])} ({pct(gain['pct'])})"
    expect(page.locator("#stat-gain strong")).to_have_text(expected_gain)

    # The dashed "Money you put in" line follows net deposits; the benchmark starts hidden.
    expect(page.locator("#history-key")).to_contain_text("Money you put in")
    drawn = chart(page, "history-chart")
    portfolio, deposits, benchmark = drawn["datasets"]
    assert deposits["label"] == "Money you put in"
    assert deposits["dash"], "the net-deposits line is dashed"
    assert deposits["visible"]
    assert deposits["values"] == [float(v) for v in history["net_deposits"]]
    # every point as loaded but the last, which follows the live value (its own test below)
    assert portfolio["values"][:-1] == [float(v) for v in history["equity"][:-1]]
    assert benchmark["label"] == "SPY, same dates"
    assert not benchmark["visible"]

    # Toggle the benchmark: same dates, same deposits, in SPY; starts at the first value.
    toggle = page.locator("#benchmark-toggle")
    expect(toggle).to_be_enabled()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#history")).to_have_attribute("data-benchmark", "on")
    benchmark = chart(page, "history-chart")["datasets"][2]
    assert benchmark["visible"]
    assert benchmark["values"][0] == float(history["equity"][0])
    assert len(benchmark["values"]) == len(history["equity"])
    returns = history["benchmark"]["return_pct"]
    # no deposits between the last two points here, so it moves exactly as SPY does
    if history["net_deposits"][-1] == history["net_deposits"][-2]:
        moved = benchmark["values"][-1] / benchmark["values"][-2]
        assert abs(moved - (1 + returns[-1] / 100) / (1 + returns[-2] / 100)) < 1e-9
    screenshot(page, "returns-chart-benchmark-1440")

    # Intraday ranges compare too, on SPY's bars of the same step.
    with page.expect_response(lambda r: "period=1D" in r.url) as intraday:
        page.locator("#history button[data-period='1D']").click()
    expect(page.locator("#history")).to_have_attribute("data-period", "1D")
    assert intraday.value.json()["benchmark"]["return_pct"]
    expect(page.locator("#benchmark-toggle")).to_be_enabled()
    expect(page.locator("#history")).to_have_attribute("data-benchmark", "on")

    # The choice is remembered: back on 1M the benchmark is drawn again.
    page.locator("#history button[data-period='1M']").click()
    expect(page.locator("#history")).to_have_attribute("data-benchmark", "on")


def test_income_card_and_empty_states_for_a_new_account(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "maya")
    income = api(page, "/api/portfolio/income")
    card = page.locator("#income")
    expect(card).to_have_attribute("data-state", "ready")
    expect(page.locator("#income-12m")).to_have_text(money(income["trailing_12m"]))
    expect(page.locator("#income-yield")).to_have_text(f"{income['yield_on_cost_pct']:.2f}%")
    drawn = chart(page, "income-chart")
    bars = drawn["datasets"][0]["values"]
    assert len(bars) == 12
    by_month = {m["month"]: float(m["amount"]) for m in income["by_month"]}
    today = datetime.now(BROWSER_TZ).date()
    months = []
    for back in range(11, -1, -1):
        y, m = divmod(today.year * 12 + today.month - 1 - back, 12)
        months.append(f"{y}-{m + 1:02d}")
    assert bars == [by_month.get(m, 0) for m in months]
    holdings = card.locator(".income-holdings li")
    expect(holdings).to_have_count(min(6, len(income["by_holding"])))
    expect(holdings.first).to_contain_text(income["by_holding"][0]["symbol"])
    card.scroll_into_view_if_needed()
    screenshot(page, "returns-income-maya-1440")

    # alex has no dividends and no sales: both cards say what to do.
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    log_in(desktop, "alex")
    expect(page.locator("#income")).to_have_attribute("data-state", "empty")
    expect(page.locator("#income .state-empty")).to_contain_text("No dividends yet")
    expect(page.locator("#income .state-empty a[href='#add-funds']")).to_be_visible()
    expect(page.locator("#realized")).to_have_attribute("data-state", "empty")
    expect(page.locator("#realized .state-empty")).to_contain_text("When you sell shares")
    expect(page.locator("#realized-csv")).to_be_disabled()


def read_download(page: Page, button: str) -> tuple[str, list[dict[str, str]]]:
    with page.expect_download() as info:
        page.locator(button).click()
    download = info.value
    path = download.path()
    assert path is not None
    text = Path(path).read_bytes().decode("utf-8")
    assert text.endswith("\r\n")
    return download.suggested_filename, list(csv.DictReader(io.StringIO(text, newline="")))


def test_realised_gains_by_year_and_csv_exports(desktop: PageKit) -> None:
    page = desktop.page
    pushed = Pushed(page)
    stamp = datetime.now(BROWSER_TZ).date().isoformat()

    # Realised gains open on the latest year with a sale (jordan's is in 2023, not this
    # year); the table and the CSV match the API.
    with (
        page.expect_response(lambda r: "/api/portfolio/realized" in r.url) as response,
        page.expect_response(lambda r: r.url.endswith("/api/portfolio/positions")) as held,
    ):
        log_in(desktop, "jordan")
    realized = response.value.json()
    assert (realized["year"], realized["years"]) == (2023, [2023])
    expect(page.locator("#realized-year")).to_have_value("2023")
    expect(page.locator("#realized-year option[value='2023']")).to_have_text("2023 · sales")
    expect(page.locator("#realized")).to_have_attribute("data-state", "ready")
    rows = page.locator("#realized-table tbody tr")
    expect(rows).to_have_count(len(realized["lots"]))
    lot = realized["lots"][0]
    expect(rows.first).to_contain_text(lot["symbol"])
    expect(rows.first).to_contain_text(money(lot["gain"]).replace("$", "+$", 1))
    name, lots = read_download(page, "#realized-csv")
    assert name == f"realized-gains-2023-{stamp}.csv"
    assert [r["Symbol"] for r in lots] == [x["symbol"] for x in realized["lots"]]
    assert lots[0]["Shares"] == lot["qty"]  # decimal strings exactly as the API gives them
    assert lots[0]["Gain"] == lot["gain"]
    assert lots[0]["Proceeds"] == lot["proceeds"]

    # Holdings: every position, figures untouched: as the page loaded them, or as the live
    # socket since pushed them (prices move).
    positions = held.value.json()["positions"]
    name, holdings = read_download(page, "#holdings-csv")
    assert name == f"holdings-{stamp}.csv"
    assert sorted(r["Symbol"] for r in holdings) == sorted(p["symbol"] for p in positions)
    by_symbol = {p["symbol"]: p for p in positions}
    for row in holdings:
        p = by_symbol[row["Symbol"]]
        assert row["Name"] == p["name"]
        assert row["Shares"] == p["qty"]
        assert row["Market value"] in pushed.values(row["Symbol"], "market_value", p)
        assert row["Today"] in pushed.values(row["Symbol"], "today_pl", p)

    # Transactions: all of them matching the filter, not only the first page shown.
    page.locator("#tx-type").select_option("dividend")
    expect(page.locator("#transactions")).to_have_attribute("data-state", re.compile("ready|empty"))
    listed: list[dict[str, Any]] = []
    cursor = ""
    while True:
        body = api(page, f"/api/portfolio/activities?types=dividend&limit=100{cursor}")
        listed += body["activities"]
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    name, activities = read_download(page, "#tx-csv")
    assert name == f"transactions-{stamp}.csv"
    assert len(activities) == len(listed)
    assert {r["Type"] for r in activities} <= {"Dividend"}
    if listed:
        assert activities[0]["Amount"] == listed[0]["amount"]
        assert activities[0]["ID"] == listed[0]["id"]


def section_text(page: Page, ids: tuple[str, ...]) -> str:
    return "\n".join(page.locator(f"#{s} [data-body]").inner_text() for s in ids)


MASKED = ("summary", "history", "allocation", "holdings", "income", "transactions", "what-if")


def test_privacy_mode_hides_dollars_keeps_percentages_and_is_remembered(
    desktop: PageKit,
) -> None:
    page = desktop.page
    log_in(desktop, "maya")
    assert DOLLARS.search(section_text(page, MASKED))
    toggle = page.locator("#privacy-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_accessible_name("Show amounts")
    wait_sections(page)
    expect(page.locator("#total-value")).to_have_text(HIDDEN)
    text = section_text(page, MASKED)
    assert not DOLLARS.search(text), DOLLARS.findall(text)
    assert HIDDEN in text
    expect(page.locator("#stat-twr strong")).to_have_text(re.compile(r"^[+−]?\d+\.\d\d%$"))
    expect(page.locator("#stat-twr [data-basis='a-year']")).to_have_text(
        re.compile(r"^[+−]?\d+\.\d\d%$")
    )
    expect(page.locator("#stat-gain strong")).to_have_text(re.compile(r"\(\+?−?\d+\.\d\d%\)"))
    # the what-if calculator starts from the portfolio's value: shown as dots, still used
    starting = page.locator("#whatif-initial")
    expect(starting).to_have_class(re.compile("is-masked"))
    assert starting.evaluate("el => getComputedStyle(el).webkitTextSecurity") == "disc"
    recent = page.locator("#add-funds .recent")
    if recent.count():
        assert not DOLLARS.search(recent.inner_text())
    for canvas in ("history-chart", "income-chart"):
        drawn = chart(page, canvas)
        assert all(label in ("", None) for label in drawn["yLabels"]), drawn["yLabels"]
        assert drawn["tooltip"] == HIDDEN
    assert HIDDEN in (page.locator("#history-chart").get_attribute("aria-label") or "")
    page.wait_for_timeout(600)  # charts settle for the screenshot
    screenshot(page, "returns-privacy-maya-1440")

    # Remembered on this device.
    page.reload()
    wait_sections(page)
    expect(page.locator("#privacy-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#total-value")).to_have_text(HIDDEN)
    assert page.evaluate("localStorage.getItem('portfolio_rt.privacy')") == "on"

    page.locator("#privacy-toggle").click()
    wait_sections(page)
    expect(page.locator("#total-value")).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))
    assert DOLLARS.search(section_text(page, MASKED))
    assert chart(page, "history-chart")["tooltip"].startswith("$1,234.50")
    expect(page.locator("#whatif-initial")).not_to_have_class(re.compile("is-masked"))


def test_returns_page_at_phone_width(desktop: PageKit) -> None:
    page = desktop.page
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(desktop, "maya")
    page.locator("#benchmark-toggle").click()
    page.locator("#stat-mwr summary").click()
    expect(page.locator("#stat-mwr .why-tip-text")).to_be_visible()
    page.wait_for_timeout(600)
    scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll[0] <= scroll[1], f"the page scrolls sideways: {scroll}"
    screenshot(page, "returns-maya-375")
    page.locator("#privacy-toggle").click()
    wait_sections(page)
    expect(page.locator("#privacy-toggle")).to_have_accessible_name("Show amounts")
    scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll[0] <= scroll[1], f"the page scrolls sideways: {scroll}"
    screenshot(page, "returns-privacy-maya-375")


def dollars(text: str) -> Decimal:
    """'$12,345.67' (or '−$…') as a number."""
    return Decimal(text.replace("$", "").replace(",", "").replace("−", "-"))


def test_the_1d_chart_grows_with_live_updates_and_ends_at_total_value(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "jordan")
    expect(page.locator("#live-status")).to_have_text("Live", timeout=30_000)
    with page.expect_response(lambda r: "history?period=1D" in r.url) as answer:
        page.locator("#history button[data-period='1D']").click()
    day = answer.value.json()
    expect(page.locator("#history")).to_have_attribute("data-period", "1D")
    drawn = len(chart(page, "history-chart")["datasets"][0]["values"])
    assert drawn >= len(day["timestamp"])  # a live update may have added one already
    # Each live update adds a point (at most one a second).
    # (Polled from here: wait_for_function would take the async probe's promise as true.)
    deadline = time.monotonic() + 45
    while len(chart(page, "history-chart")["datasets"][0]["values"]) <= drawn:
        assert time.monotonic() < deadline, "the 1D chart did not grow with live updates"
        page.wait_for_timeout(250)
    # Read the chart and the header in one go: the next update may land between two reads.
    seen = page.evaluate(
        """async () => {
            const { Chart } = await import('chart.js');
            const chart = Chart.getChart(document.getElementById('history-chart'));
            const values = chart.data.datasets[0].data.map((p) => p.y);
            const text = (id) => document.getElementById(id).textContent;
            return { values, total: text('total-value'), today: text('today-return'),
                     change: text('range-change') };
        }"""
    )
    assert len(seen["values"]) > drawn  # a point per live update
    assert Decimal(str(seen["values"][-1])) == dollars(seen["total"])

    # The day's gain is Today's return, figure for figure.
    def amount(text: str) -> Decimal:
        return dollars(text.split(" (")[0].strip("▲▼ ").replace("+", ""))

    assert amount(seen["change"]) == amount(seen["today"])
