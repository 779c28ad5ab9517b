"""The page moves with the market: after pushed prices, the holdings rows, the allocation
legend, the 1D chart's last point and the what-if starting amount show the new figures, in
place (the table keeps its order), on a desktop and on a phone.

Jordan holds crypto, which the sandbox trades around the clock, so prices move at any hour.
What the page shows is checked against the positions messages its own socket received.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import PageKit, Pushed, Service, log_in, open_page, screenshot
from .test_dashboard import money

CENT = Decimal("0.01")


def usd(value: Decimal | str) -> str:
    """A decimal as the page writes money: $1,234.56, a minus sign for losses."""
    amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)
    text = f"${abs(amount):,.2f}"
    return f"−{text}" if amount < 0 else text


def eventually(page: Page, check: Callable[[], str | None], within_s: float = 30) -> None:
    """Poll `check` (None: it holds; else what differs) while the page keeps receiving."""
    deadline = time.monotonic() + within_s
    why: str | None = "never checked"
    while time.monotonic() < deadline:
        why = check()
        if why is None:
            return
        page.wait_for_timeout(150)
    raise AssertionError(why)


def table_matches(page: Page, pushed: Pushed) -> str | None:
    """Each row's market value and weight as the latest pushed figures say."""
    if not pushed.latest:
        return "no positions message yet"
    shown = page.evaluate(
        """() => [...document.querySelectorAll('#holdings-table tbody tr')].map((tr) => [
             tr.dataset.symbol,
             tr.querySelector('td[data-key=market_value]').textContent,
             tr.querySelector('td[data-key=current_price]').textContent])"""
    )
    for symbol, value, price in shown:
        row = pushed.latest.get(symbol)
        if row is None:
            return f"{symbol} was never pushed"
        if value != usd(row["market_value"]) or price != usd(row["current_price"]):
            return f"{symbol}: page {value} at {price}, pushed {row['market_value']}"
    return None


def legend_matches(page: Page, pushed: Pushed, analytics: dict[str, Any]) -> str | None:
    """The asset-class legend at the pushed values (each holding spread by its shares)."""
    amounts: dict[str, Decimal] = {}
    for holding in analytics["exposures"]["holdings"]:
        row = pushed.latest.get(holding["symbol"])
        if row is None:
            return f"{holding['symbol']} was never pushed"
        for part in holding["asset_class"]:
            value = abs(Decimal(row["market_value"])) * Decimal(repr(part["share"]))
            amounts[part["name"]] = amounts.get(part["name"], Decimal(0)) + value
    cash = Decimal(analytics["exposures"]["cash"])
    if cash > 0:
        amounts["Cash"] = amounts.get("Cash", Decimal(0)) + cash
    shown = page.evaluate(
        """() => [...document.querySelectorAll('#allocation-legend li')].map((li) => [
             li.dataset.name, li.querySelector('.legend-amount').textContent])"""
    )
    for name, text in shown:
        if abs(money(text) - amounts[name]) > CENT:
            return f"{name}: legend {text}, pushed values give {amounts[name]}"
    return None


def chart_ends_at_total(page: Page) -> str | None:
    label = page.locator("#history-chart").get_attribute("aria-label") or ""
    total = page.locator("#total-value").inner_text()
    end = re.search(r" to (\S+),", label)
    if end is None or end.group(1) != total:
        return f"the 1D chart says {label!r}; Total value is {total}"
    return None


def follow_the_market(kit: PageKit, name: str) -> None:
    page = kit.page
    pushed = Pushed(page)
    log_in(kit, "jordan")
    expect(page.locator("#live-status")).to_have_text("Live", timeout=30_000)
    page.locator('#history [data-period="1D"]').click()
    expect(page.locator("#history")).to_have_attribute("data-period", "1D")
    expect(page.locator("#history")).to_have_attribute("data-state", "ready")
    analytics = page.request.get("/api/portfolio/analytics").json()
    order = page.locator("#holdings-table tbody tr").evaluate_all(
        "(rows) => rows.map((tr) => tr.dataset.symbol)"
    )

    moved_from = pushed.partial
    eventually(page, lambda: None if pushed.partial >= moved_from + 2 else "no price moved")
    eventually(page, lambda: table_matches(page, pushed))
    eventually(page, lambda: legend_matches(page, pushed, analytics))
    eventually(page, lambda: chart_ends_at_total(page))
    # A moved row says which way it went, for a moment.
    page.wait_for_selector(
        "#holdings-table tr.tick-up, #holdings-table tr.tick-down", state="attached"
    )
    # The what-if starts from the live Total value (nobody typed one).
    eventually(
        page,
        lambda: (
            None
            if f"${Decimal(page.locator('#whatif-initial').input_value()):,.2f}"
            == page.locator("#total-value").inner_text()
            else "the what-if does not start from the Total value"
        ),
    )
    # Once the reader types a starting amount, it is theirs: live values no longer move it.
    page.locator("#whatif-initial").fill("1234.00")
    typed = pushed.partial
    eventually(page, lambda: None if pushed.partial >= typed + 2 else "no price moved")
    assert page.locator("#whatif-initial").input_value() == "1234.00"
    # Live figures never re-sort the table under the reader.
    after = page.locator("#holdings-table tbody tr").evaluate_all(
        "(rows) => rows.map((tr) => tr.dataset.symbol)"
    )
    assert after == order
    screenshot(page, f"live-{name}")

    # Privacy mode hides the live figures as it hides the rest.
    page.locator("#privacy-toggle").click()
    seen = pushed.partial
    eventually(page, lambda: None if pushed.partial >= seen + 2 else "no price moved")
    values = page.locator("#holdings-table td[data-key=market_value]").all_inner_texts()
    legend = page.locator("#allocation-legend .legend-amount").all_inner_texts()
    assert values
    assert all(text == "$•••••" for text in values + legend), values + legend
    page.locator("#privacy-toggle").click()


def test_the_page_follows_pushed_prices_on_a_desktop(desktop: PageKit) -> None:
    follow_the_market(desktop, "desktop")


@pytest.fixture
def phone(browser: Browser, service: Service) -> Any:
    kit = open_page(browser, service.base_url, width=390, height=844)
    yield kit
    unexpected = kit.console.unexpected()
    kit.page.context.close()
    assert not unexpected, f"console errors: {unexpected}"


def test_the_page_follows_pushed_prices_on_a_phone(phone: PageKit) -> None:
    follow_the_market(phone, "phone")
