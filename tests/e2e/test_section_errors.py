"""A broker failure on one route (linked bank accounts) shows that section's error state; the
rest of the page works.

The service runs against a standalone sandbox (as against Alpaca) and the page is opened with
a token the way a host app hands one over, so the login screen is skipped.
"""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from .conftest import (
    SECTIONS,
    Service,
    StandaloneSandbox,
    mint_token,
    open_page,
    screenshot,
    wait_sections,
)

BANKS = "/v1/accounts/*/ach_relationships"


def test_fault_on_one_route_shows_only_that_sections_error(
    browser: Browser, alpaca_service: Service, standalone_sandbox: StandaloneSandbox
) -> None:
    token = mint_token(standalone_sandbox.personas["jordan"])
    standalone_sandbox.clear_faults()
    fault = {"route": BANKS, "method": "GET", "kind": "status", "status": 503}
    standalone_sandbox.add_fault(fault)
    kit = open_page(browser, alpaca_service.base_url)
    kit.console.allow(r"Failed to load resource: the server responded with a status of 503")
    page = kit.page
    try:
        page.goto(f"/#token={token}")
        expect(page.get_by_role("button", name="Log in")).to_be_hidden()
        wait_sections(page, ("ready", "empty", "error"))
        expect(page.locator("#add-funds")).to_have_attribute("data-state", "error")
        error = page.locator("#add-funds .state-error")
        expect(error).to_contain_text("couldn't load your bank accounts")
        for section in SECTIONS:
            if section != "add-funds":
                expect(page.locator(f"#{section}")).to_have_attribute("data-state", "ready")
        assert "#token" not in page.url  # the token never stays in the address bar
        screenshot(page, "dashboard-funds-error-1440")
        # the rest still works
        page.locator("#holdings-table thead button[data-key='symbol']").click()
        expect(page.locator("#holdings")).to_have_attribute("data-sort", "symbol:asc")
        standalone_sandbox.clear_faults()
        error.get_by_role("button", name="Try again").click()
        expect(page.locator("#add-funds")).to_have_attribute("data-state", "ready")
        expect(page.locator("#deposit-amount")).to_be_visible()
    finally:
        standalone_sandbox.clear_faults()
        page.context.close()
    assert not kit.console.unexpected()
