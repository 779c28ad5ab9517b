"""Sessions in the browser: "log out on all devices" ends the session of every open page (its
live socket closes, the page returns to the login screen), and a page torn down before its
first load finished never opens a live socket that nothing would close."""

from __future__ import annotations

from playwright.sync_api import Browser, Route, expect

from .conftest import PageKit, Service, log_in, open_page, screenshot


def test_log_out_on_all_devices_ends_the_session_of_every_open_page(
    browser: Browser, service: Service
) -> None:
    phone = open_page(browser, service.base_url, width=390, height=844)
    laptop = open_page(browser, service.base_url)
    try:
        log_in(phone, "sam")
        log_in(laptop, "sam")
        expect(phone.page.locator("#live-status")).to_have_text("Live")
        closed: list[object] = []
        phone.page.on("websocket", lambda ws: ws.on("close", lambda _: closed.append(ws)))
        phone.page.reload()
        expect(phone.page.locator("#live-status")).to_have_text("Live")

        button = laptop.page.get_by_role("button", name="Log out on all devices")
        button.scroll_into_view_if_needed()
        screenshot(laptop.page, "log-out-everywhere-desktop")
        button.click()
        expect(laptop.page.get_by_role("button", name="Log in")).to_be_visible()
        expect(laptop.page.locator("#login-error")).to_contain_text("all your devices")

        # The phone did nothing: its socket was closed by the server, and it says why.
        expect(phone.page.get_by_role("button", name="Log in")).to_be_visible(timeout=10_000)
        expect(phone.page.locator("#login-error")).to_contain_text("session has ended")
        assert closed, "the phone's live socket was not closed"
        screenshot(phone.page, "session-ended-phone")
        # And it stays logged out: the old cookie no longer reads anything.
        response = phone.page.request.get(f"{service.base_url}/api/portfolio/summary")
        assert response.status == 401
    finally:
        for kit in (phone, laptop):
            kit.console.allow(r"401")  # the requests that found the session ended
            unexpected = kit.console.unexpected()
            kit.page.context.close()
            assert not unexpected, unexpected


def test_a_page_torn_down_before_its_first_load_opens_no_live_socket(
    browser: Browser, service: Service
) -> None:
    """The finding: the live feed was started when the summary's first load finished, even if
    the section had been torn down meanwhile, and was then never stopped."""
    kit: PageKit = open_page(browser, service.base_url)
    page = kit.page
    log_in(kit, "jordan")
    held: list[Route] = []
    sockets_after_logout: list[str] = []
    page.route("**/api/portfolio/summary", lambda route: held.append(route))
    page.reload()
    page.wait_for_function("() => document.querySelector('#summary')?.dataset.state === 'loading'")
    expect(page.locator("#app")).to_be_visible()
    page.wait_for_timeout(200)
    assert held, "the summary request was not held"
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.on("websocket", lambda ws: sockets_after_logout.append(ws.url))
    for route in held:
        route.continue_()
    page.wait_for_timeout(1500)
    assert sockets_after_logout == []
    page.context.close()
    kit.console.allow(r"401")
    assert not kit.console.unexpected()
