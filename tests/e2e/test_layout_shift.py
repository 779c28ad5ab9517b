"""Cumulative layout shift of the logged-in page, measured by the browser's own
PerformanceObserver as Lighthouse counts it (the worst session window), on load and through
live updates, at desktop and phone widths: under 0.1 ("good")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Route, expect

from .conftest import PageKit, Service, open_page, wait_sections

OBSERVE = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    const moved = (entry.sources || []).map((source) => {
      const node = source.node;
      const name = node?.id ? `#${node.id}` : node?.className || node?.nodeName || '?';
      return `${name} ${source.previousRect.y}->${source.currentRect.y}`;
    });
    window.__shifts.push({ at: entry.startTime, value: entry.value, moved });
  }
}).observe({ type: 'layout-shift', buffered: true });
"""
CLS = """() => {
  // Lighthouse's CLS: shifts less than 1 s apart form a window of at most 5 s; the worst wins.
  let worst = 0, sum = 0, start = -Infinity, last = -Infinity;
  for (const { at, value } of window.__shifts) {
    if (at - last > 1000 || at - start > 5000) { start = at; sum = 0; }
    sum += value; last = at;
    worst = Math.max(worst, sum);
  }
  return worst;
}"""


@pytest.fixture(params=[(1440, 900), (390, 844)], ids=["desktop", "phone"])
def sized(request: pytest.FixtureRequest, browser: Browser, service: Service) -> Iterator[PageKit]:
    width, height = request.param
    kit = open_page(browser, service.base_url, width, height)
    kit.page.add_init_script(OBSERVE)
    yield kit
    kit.page.context.close()


@pytest.mark.parametrize("username", ["jordan", "maya"])
def test_the_page_does_not_jump_as_its_data_and_live_updates_arrive(
    sized: PageKit, username: str
) -> None:
    page = sized.page
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    # The data is held back until well after the click (shifts within 0.5 s of input do not
    # count), so every section is seen loading, then filled: the case a slow network makes.
    held: list[Route] = []
    gate = {"open": False}

    def hold(route: Route) -> None:
        if gate["open"] or "/api/auth/" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/**", hold)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#history[data-state=loading]")
    page.wait_for_timeout(1000)
    gate["open"] = True
    for route in held:
        route.continue_()
    wait_sections(page)
    expect(page.locator("#live-status")).to_have_text("Live", timeout=30_000)
    first = page.locator("#total-value").inner_text()
    page.wait_for_function(  # a live update of Total value and Today's return has landed
        "(before) => document.getElementById('total-value').textContent !== before",
        arg=first,
        timeout=45_000,
    )
    cls = page.evaluate(CLS)
    shifts = page.evaluate("window.__shifts")
    assert cls < 0.1, f"cumulative layout shift {cls:.3f}: {shifts}"
