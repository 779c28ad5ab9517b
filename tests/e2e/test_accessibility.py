"""axe-core (WCAG 2.1 A and AA rules) on the logged-in page, at desktop and phone widths: no
serious or critical violation. axe-core is a development package of web/ (never served)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from .conftest import ROOT, PageKit, Service, log_in, open_page

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical violations, each with the nodes it names."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # through the debugger: the page's CSP holds
    result: dict[str, Any] = page.evaluate(
        "(tags) => axe.run(document, { runOnly: { type: 'tag', values: tags } })", WCAG_21_AA
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "count": len(v["nodes"]),
        }
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.fixture(params=[(1440, 900), (390, 844)], ids=["desktop", "phone"])
def sized(request: pytest.FixtureRequest, browser: Browser, service: Service) -> Iterator[PageKit]:
    width, height = request.param
    kit = open_page(browser, service.base_url, width, height)
    yield kit
    kit.page.context.close()


@pytest.mark.parametrize("username", ["maya", "pat", "alex"])
def test_the_logged_in_page_has_no_serious_accessibility_violation(
    sized: PageKit, username: str
) -> None:
    log_in(sized, username)
    assert violations(sized.page) == []


def test_the_login_screen_has_no_serious_accessibility_violation(sized: PageKit) -> None:
    sized.page.goto("/")
    sized.page.get_by_label("Username").wait_for()
    assert violations(sized.page) == []
