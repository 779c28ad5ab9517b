"""Broker events on the page: a deposit completing at the broker is reported on the live
socket (`changed`), and without any reload the Add funds section shows it complete and the
cash grows, while today's return does not move with it."""

from __future__ import annotations

import json
from decimal import Decimal

from playwright.sync_api import WebSocket, expect

from .conftest import PageKit, log_in, screenshot
from .test_dashboard import money


def test_a_completed_deposit_shows_complete_and_moves_cash_not_todays_return(
    desktop: PageKit,
) -> None:
    page = desktop.page
    changed: list[list[str]] = []

    def watch(ws: WebSocket) -> None:
        def frame(payload: str | bytes) -> None:
            message = json.loads(payload)
            if message.get("type") == "changed":
                changed.append(message["what"])

        ws.on("framereceived", frame)

    page.on("websocket", watch)
    log_in(desktop, "maya")
    expect(page.locator("#live-status")).to_have_text("Live", timeout=30_000)
    cash_before = money(page.locator(".hero-cash .num").inner_text())
    today_before = page.request.get("/api/portfolio/summary").json()["today_return"]

    page.locator("#deposit-amount").fill("75.00")
    page.get_by_role("button", name="Review deposit").click()
    page.locator("#deposit-confirm").click()
    status = page.locator("#deposit-status")
    expect(status.locator(".tag-status")).to_have_attribute(
        "data-status", "COMPLETE", timeout=20_000
    )
    expect(status.locator(".status-title")).to_have_text("Deposit complete")
    assert any("transfers" in what for what in changed), changed

    # Cash follows at once (the summary reads it again on the event); the gain does not.
    page.wait_for_function(
        "(before) => Number(document.querySelector('.hero-cash .num').textContent"
        ".replace(/[^0-9.]/g, '')) >= before + 75",
        arg=float(cash_before),
        timeout=20_000,
    )
    summary = page.request.get("/api/portfolio/summary").json()
    assert Decimal(summary["cash"]) >= cash_before + Decimal("75.00")
    moved = abs(Decimal(summary["today_return"]["amount"]) - Decimal(today_before["amount"]))
    assert moved < Decimal("75.00")  # prices may move it; the deposit does not
    screenshot(page, "deposit-complete-by-event")
