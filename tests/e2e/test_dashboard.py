"""The portfolio page in Debian's Chromium: what a person logging in sees and can do."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .conftest import DEMO_USERS, SECTIONS, PageKit, Pushed, Service, log_in, open_page, screenshot


def money(text: str) -> Decimal:
    """'−$1,234.56' or '+$5.00' as a Decimal."""
    cleaned = text.replace("−", "-").replace("$", "").replace(",", "").replace("+", "").strip()
    return Decimal(cleaned)


@pytest.mark.parametrize("username", DEMO_USERS)
def test_each_demo_user_sees_every_section_with_sandbox_data(
    desktop: PageKit, username: str
) -> None:
    page = desktop.page
    log_in(desktop, username)
    for section in SECTIONS:
        expect(page.locator(f"section#{section}")).to_be_visible()
    expect(page.locator("#total-value")).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))
    states = {s: page.get_attribute(f"#{s}", "data-state") for s in SECTIONS}
    if username == "alex":
        # The new account: every data section says what to do instead of showing nothing.
        for section in ("history", "scores", "allocation", "holdings", "transactions"):
            assert states[section] == "empty", states
            expect(page.locator(f"#{section} .state-empty a[href='#add-funds']")).to_be_visible()
        # the chart says why it has no line, in the service's words
        expect(page.locator("#history .state-empty")).to_contain_text(
            re.compile(r"once money has reached your account|no history for this range")
        )
        expect(page.locator("#total-value")).to_have_text("$0.00")
        return
    assert set(states.values()) == {"ready"}, states
    rows = page.locator("#holdings tbody tr")
    assert rows.count() >= 1
    market_values, note = values_and_note(page)
    total = sum(money(t) for t in market_values)
    assert f"${total:,.2f}" in note
    expect(page.locator("#history-chart")).to_have_attribute("aria-label", re.compile("value"))
    expect(page.locator("#all-time #stat-gain strong")).to_have_text(
        re.compile(r"[+−]\$[\d,]+\.\d\d \(")
    )
    expect(page.locator("#scores .score")).to_have_count(2)
    assert page.locator("#allocation-legend li").count() >= 1
    assert page.locator("#tx-body tr").count() >= 1
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_range_buttons_refetch_and_mark_the_active_one(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "maya")
    for period in ("1D", "1W", "YTD", "MAX"):
        with page.expect_response(lambda r, p=period: f"period={p}" in r.url) as response:
            page.locator(f"#history button[data-period='{period}']").click()
        assert response.value.status == 200
        expect(page.locator("#history")).to_have_attribute("data-period", period)
        expect(page.locator(f"#history button[data-period='{period}']")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert page.locator("#history button[aria-pressed='true']").count() == 1
        body = response.value.json()
        ends_up = Decimal(body["equity"][-1]) >= Decimal(body["equity"][0])
        expect(page.locator("#history")).to_have_attribute(
            "data-trend", "up" if ends_up else "down"
        )


def test_allocation_toggle_switches_between_asset_class_and_industry(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "sam")
    legend = page.locator("#allocation-legend .legend-name")
    asset_classes = legend.all_inner_texts()
    assert "US stocks" in asset_classes
    page.get_by_role("tab", name="Industry").click()
    expect(page.locator("#allocation")).to_have_attribute("data-view", "sector")
    expect(page.get_by_role("tab", name="Industry")).to_have_attribute("aria-selected", "true")
    expect(legend.first).not_to_have_text("US stocks")
    industries = legend.all_inner_texts()
    assert "Health Care" in industries
    assert industries != asset_classes
    page.get_by_role("tab", name="Industry").press("ArrowLeft")
    expect(page.locator("#allocation")).to_have_attribute("data-view", "asset_class")


def cells(table: Locator, key: str) -> Locator:
    """The body cells of the column whose header sorts by `key` (wherever it sits)."""
    keys = table.locator("thead th").evaluate_all("(ths) => ths.map((th) => th.dataset.key)")
    return table.locator(f"tbody tr > :nth-child({keys.index(key) + 1})")


def values_and_note(page: Page) -> tuple[list[str], str]:
    """The holdings' market-value cells and the note under them, read in one task of the page:
    a live update changes rows and note in one task too, so it cannot land between the reads
    (read one after the other, a busy market moved a price in between)."""
    cells_and_note: tuple[list[str], str] = page.evaluate(
        """() => {
          const table = document.getElementById('holdings-table');
          const keys = [...table.querySelectorAll('thead th')].map((th) => th.dataset.key);
          const column = keys.indexOf('market_value') + 1;
          const cells = table.querySelectorAll(`tbody tr > :nth-child(${column})`);
          const note = document.querySelector('#holdings .table-note');
          return [[...cells].map((td) => td.innerText), note.innerText];
        }"""
    )
    return cells_and_note


def shares_column(table: Locator) -> list[Decimal]:
    return [Decimal(v.replace(",", "")) for v in cells(table, "qty").all_inner_texts()]


def test_holdings_sort_by_every_column_with_mouse_and_keyboard(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "sam")
    table = page.locator("#holdings-table")
    headers = table.locator("thead button.sort")
    assert headers.count() == 11
    shares = table.locator("thead button[data-key='qty']")
    shares.click()
    expect(page.locator("#holdings")).to_have_attribute("data-sort", "qty:desc")
    assert shares_column(table) == sorted(shares_column(table), reverse=True)
    shares.click()
    expect(page.locator("#holdings")).to_have_attribute("data-sort", "qty:asc")
    assert shares_column(table) == sorted(shares_column(table))
    ticker = table.locator("thead button[data-key='symbol']")
    ticker.focus()
    page.keyboard.press("Enter")
    expect(table.locator("thead th[data-key='symbol']")).to_have_attribute("aria-sort", "ascending")
    tickers = table.locator("tbody .ticker").all_inner_texts()
    assert tickers == sorted(tickers)
    for key in (
        "name",
        "avg_entry_price",
        "current_price",
        "today_pl",
        "market_value",
        "unrealized_pl",
        "unrealized_plpc",
        "weight_pct",
        "first_bought_at",
    ):
        table.locator(f"thead button[data-key='{key}']").click()
        expect(table.locator(f"thead th[data-key='{key}']")).to_have_attribute(
            "aria-sort", re.compile("ascending|descending")
        )


def test_holdings_show_each_positions_move_today_in_its_own_colour(desktop: PageKit) -> None:
    page = desktop.page
    pushed = Pushed(page)
    # The answer the page drew first; the rows then move with the prices the socket pushes.
    with page.expect_response(lambda r: r.url.endswith("/api/portfolio/positions")) as answer:
        log_in(desktop, "sam")
    assert answer.value.ok
    positions = {p["symbol"]: p for p in answer.value.json()["positions"]}
    table = page.locator("#holdings-table")
    expect(table.locator("tbody tr")).to_have_count(len(positions))
    # One read of every row: a push may land between two reads.
    shown = page.evaluate(
        """() => [...document.querySelectorAll('#holdings-table tbody tr')].map((tr) => {
             const td = tr.querySelector('td[data-key=today_pl]');
             return [tr.dataset.symbol, td.innerText, td.className];
           })"""
    )
    for symbol, text, classes in shown:
        p = positions[symbol]
        amount, share = text.split("\n")
        assert money(amount) in {Decimal(v) for v in pushed.values(symbol, "today_pl", p)}
        percent = Decimal(share.rstrip("%").replace("+", "").replace("−", "-"))
        assert percent in {
            Decimal(str(v)).quantize(Decimal("0.01"))
            for v in pushed.values(symbol, "today_plpc", p)
        }
        moved = money(amount)
        colour = "up" if moved > 0 else "down" if moved < 0 else "flat"
        assert colour in classes.split(), (symbol, text, classes)


def test_transactions_load_more_and_filters(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "sam")
    rows = page.locator("#tx-body tr")
    first = rows.count()
    assert first == 25
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(50)
    page.locator("#tx-type").select_option("deposit")
    expect(page.locator("#transactions")).to_have_attribute("data-state", "ready")
    page.wait_for_function("document.querySelectorAll('#tx-body tr').length > 0")
    expect(page.locator("#tx-body .tag").first).to_have_text("Deposit")
    types = set(page.locator("#tx-body .tag").all_inner_texts())
    assert types == {"Deposit"}
    page.locator("#tx-type").select_option("sell")
    page.wait_for_function(
        "[...document.querySelectorAll('#tx-body .tag')].every((t) => t.textContent === 'Sell')"
        " || document.getElementById('transactions').dataset.state === 'empty'"
    )
    page.locator("#tx-type").select_option("all")
    page.locator("#tx-from").fill("2030-01-01")
    expect(page.locator("#transactions")).to_have_attribute("data-state", "empty")
    expect(page.locator("#transactions .state-empty")).to_contain_text("No transactions match")
    page.locator("#tx-from").fill("")
    expect(page.locator("#transactions")).to_have_attribute("data-state", "ready")
    # to the end: "Load more" goes away and says so
    for _ in range(40):
        more = page.locator("#tx-more")
        if not more.is_visible():
            break
        count = rows.count()
        more.click()
        page.wait_for_function(
            "(n) => document.querySelectorAll('#tx-body tr').length > n"
            " || document.getElementById('tx-more').hidden",
            arg=count,
        )
    expect(page.locator("#tx-end")).to_be_visible()


@pytest.mark.parametrize(
    ("initial", "yearly", "years", "strategy", "value", "low", "high"),
    [
        ("10000", "1200", "10", "moderate", "$36,251.25", "$25,576.33", "$51,601.38"),
        ("0", "6000", "30", "aggressive", "$986,964.14", None, None),
        ("33806.77", "0", "5", "conservative", "$41,131.10", None, None),
    ],
)
def test_what_if_figures_match_the_closed_form(
    desktop: PageKit,
    initial: str,
    yearly: str,
    years: str,
    strategy: str,
    value: str,
    low: str | None,
    high: str | None,
) -> None:
    page = desktop.page
    log_in(desktop, "jordan")
    assert money(page.locator("#whatif-initial").input_value()) > 0  # defaults to the value
    page.locator("#whatif-initial").fill(initial)
    page.locator("#whatif-yearly").fill(yearly)
    page.locator("#whatif-years").fill(years)
    page.locator(f"input[name=whatif-strategy][value={strategy}]").check()
    expect(page.locator("#whatif-value")).to_have_text(value)
    if low and high:
        expect(page.locator("#whatif-low")).to_have_text(low)
        expect(page.locator("#whatif-high")).to_have_text(high)
    expect(page.locator("#whatif-disclaimer")).to_contain_text("not a guarantee")
    page.locator("#whatif-years").fill("0")
    expect(page.locator("#whatif-years-error")).to_be_visible()


def test_a_deposit_goes_through_once_and_shows_in_transactions(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "pat")
    before = page.request.get("/api/funds/transfers").json()["transfers"]
    page.locator("#deposit-amount").fill("12.34.5")
    page.get_by_role("button", name="Review deposit").click()
    expect(page.locator("#deposit-amount-error")).to_be_visible()
    page.locator("#deposit-amount").fill("123.45")
    page.get_by_role("button", name="Review deposit").click()
    expect(page.get_by_text("Confirm your deposit")).to_be_visible()
    confirm = page.locator("#deposit-confirm")
    confirm.dblclick()  # a double click must not deposit twice
    status = page.locator("#deposit-status")
    expect(status).to_be_visible()
    expect(status.locator(".tag-status")).to_have_attribute(
        "data-status", "COMPLETE", timeout=30_000
    )
    after = page.request.get("/api/funds/transfers").json()["transfers"]
    new = [t for t in after if t["id"] not in {b["id"] for b in before}]
    assert [Decimal(t["amount"]) for t in new] == [Decimal("123.45")]
    deposit_row = page.locator("#tx-body tr", has=page.locator(".tag-deposit")).filter(
        has_text="$123.45"
    )
    expect(deposit_row.first).to_be_visible(timeout=30_000)


def test_the_live_value_changes(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "sam")
    session = page.request.get("/app/session").json()
    assert session["live_path"], "the live WebSocket route is not registered"
    expect(page.locator("#live-status")).to_have_text("Live", timeout=30_000)
    first = page.locator("#total-value").inner_text()
    page.wait_for_function(
        "(before) => document.getElementById('total-value').textContent !== before",
        arg=first,
        timeout=45_000,
    )


def test_first_visit_is_small_and_cached(browser: Browser, service: Service) -> None:
    kit = open_page(browser, service.base_url)
    sizes: dict[str, int] = {}
    kit.page.on(
        "response",
        lambda r: (
            sizes.__setitem__(r.url, int(r.headers.get("content-length", "0")))
            if re.search(r"\.(js|css)$", r.url)
            else None
        ),
    )
    log_in(kit, "maya")
    total = sum(sizes.values())
    assert any("/vendor/" in url for url in sizes), sizes
    assert 0 < total < 250_000, f"{total} bytes of JS and CSS: {sizes}"
    response = kit.page.request.get("/")
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-cache"
    asset = next(url for url in sizes if "/assets/" in url)
    cached = kit.page.request.get(asset)
    assert "immutable" in cached.headers["cache-control"]
    assert kit.page.request.get(asset.replace("/assets/", "/assets/0", 1)).status == 404
    kit.page.context.close()
    assert not kit.console.unexpected()


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (375, 812)])
def test_layout_and_screenshots(
    browser: Browser, service: Service, width: int, height: int
) -> None:
    kit = open_page(browser, service.base_url, width, height)
    page = kit.page
    log_in(kit, "sam")
    page.wait_for_timeout(800)  # let charts finish drawing for the screenshot
    scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll[0] <= scroll[1], f"the page scrolls sideways: {scroll}"
    screenshot(page, f"dashboard-sam-{width}")
    if width < 500:
        holdings = page.locator("#holdings .table-scroll")
        inner = holdings.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert inner[0] > inner[1], "the holdings table should scroll inside its card"
        page.locator("#what-if").scroll_into_view_if_needed()
    log_in_alex = open_page(browser, service.base_url, width, height)
    log_in(log_in_alex, "alex")
    screenshot(log_in_alex.page, f"dashboard-alex-{width}")
    log_in_alex.page.context.close()
    kit.page.context.close()
    assert not kit.console.unexpected()
    assert not log_in_alex.console.unexpected()


def test_scores_refresh_on_a_timer_that_stops_at_logout(browser: Browser, service: Service) -> None:
    kit = open_page(browser, service.base_url)
    page = kit.page
    page.clock.install()
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if "/portfolio/analytics" in r.url else None)
    log_in(kit, "jordan")
    expect(page.locator("#scores .updated")).to_contain_text("refreshes every 5 min")
    before = len(calls)
    page.clock.fast_forward("05:01")
    for _ in range(100):
        if len(calls) > before:
            break
        page.wait_for_timeout(100)
    assert len(calls) > before, "the scores did not refresh after 5 minutes"
    expect(page.locator("#scores")).to_have_attribute("data-state", "ready")
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    after_logout = len(calls)
    page.clock.fast_forward("15:00")
    page.wait_for_timeout(1000)
    assert len(calls) == after_logout, "a refresh timer outlived the page's sections"
    page.context.close()
    assert not kit.console.unexpected()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_files_are_compressed_revalidated_and_confined(service: Service) -> None:
    status, headers, body = fetch(f"{service.base_url}/")
    assert status == 200
    page = body.decode()
    main = re.search(r'src="(/assets/[0-9a-f]+/js/main\.js)"', page)
    chart = re.search(r'"chart\.js": "(/vendor/[0-9a-f]+/chart\.js/[^"]+)"', page)
    assert main
    assert chart
    status, headers, body = fetch(service.base_url + main.group(1), {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"].startswith("text/javascript")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert gzip.decompress(body).startswith(b"//")
    status, _, _ = fetch(service.base_url + main.group(1), {"If-None-Match": headers["ETag"]})
    assert status == 304
    vendor = chart.group(1).split("/chart.js/")[0]
    for path in (
        "/chart.js/../../package.json",
        "/chart.js/%2e%2e/%2e%2e/package-lock.json",
        "/playwright/package.json",
        "/chart.js/dist/chart.js.map",
    ):
        assert fetch(service.base_url + vendor + path)[0] == 404, path
    assert fetch(f"{service.base_url}/assets/{main.group(1).split('/')[2]}/tests/x.js")[0] == 404


def test_link_a_bank_account_with_checks_before_sending(desktop: PageKit) -> None:
    page = desktop.page
    log_in(desktop, "alex")
    funds = page.locator("#add-funds")
    funds.get_by_text("Link another bank account").click()
    page.locator("#link-owner").fill("Alex Kowalski")
    page.locator("#link-routing").fill("021000022")
    page.locator("#link-account").fill("000123456789")
    funds.get_by_role("button", name="Link bank account").click()
    expect(page.locator("#link-routing-error")).to_have_text(re.compile("routing number"))
    page.locator("#link-routing").fill("021000021")
    page.locator("#link-nickname").fill("Savings pot")
    funds.get_by_role("button", name="Link bank account").click()
    expect(page.locator("#deposit-bank option")).to_have_count(2)
    expect(page.locator("#deposit-bank")).to_contain_text("Savings pot ••••6789")


def test_three_hundred_holdings_render_and_sort_quickly(browser: Browser, service: Service) -> None:
    """The API answer is swapped for one with 300 positions (no demo account holds that many)."""
    kit = open_page(browser, service.base_url, 375, 812)
    page = kit.page
    rows = [
        {
            "symbol": f"T{i:03d}",
            "name": f"Test Holding {i:03d} Incorporated Common Stock",
            "asset_class": "us_equity",
            "sector": "Industrials",
            "qty": f"{(i * 37) % 101 + 0.5:.4f}",
            "avg_entry_price": "10.00",
            "current_price": f"{10 + (i % 17) - 8:.2f}",
            "market_value": f"{1000 + i * 13.37:.2f}",
            "cost_basis": "1000.00",
            "unrealized_pl": f"{(i % 17 - 8) * 100:.2f}",
            "unrealized_plpc": float((i % 17 - 8) * 10),
            "change_today": 0.1,
            "weight_pct": round(100 / 300, 2),
            "first_bought_at": f"20{20 + i % 6}-0{1 + i % 9}-1{i % 10}T15:00:00Z",
        }
        for i in range(300)
    ]
    body = {"positions": rows, "total_market_value": "900000.00", "cash": "0.00"}
    page.route(
        "**/api/portfolio/positions",
        lambda route: route.fulfill(json=body | {"as_of": "2026-11-25T00:00:00Z", "stale": False}),
    )
    log_in(kit, "maya")
    table = page.locator("#holdings-table")
    expect(table.locator("tbody tr")).to_have_count(300)
    elapsed = page.evaluate(
        """() => {
            const button = document.querySelector('#holdings-table button[data-key="qty"]');
            const started = performance.now();
            button.click();
            button.click();
            return performance.now() - started;
        }"""
    )
    assert elapsed < 400, f"two sorts of 300 rows took {elapsed:.0f} ms"
    expect(page.locator("#holdings")).to_have_attribute("data-sort", "qty:asc")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    page.context.close()
    assert not kit.console.unexpected()
