"""The page is rendered once per start: every visit gets the same bytes, gzip copy and ETag,
and nothing is read from disk on a request."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from aiohttp.test_utils import TestClient

from portfolio_rt.api.web import DEFAULT_WEB_DIR
from tests.fixtures.service import SandboxService


def own_files(target: Path) -> Path:
    """The dashboard's own files (no node_modules: the page needs none of it to render)."""
    shutil.copytree(DEFAULT_WEB_DIR, target, ignore=shutil.ignore_patterns("node_modules"))
    return target


async def test_the_page_is_rendered_once_per_start(
    sandbox_service: SandboxService, tmp_path: Path
) -> None:
    web_dir = own_files(tmp_path / "web")
    client: TestClient = await sandbox_service(
        dashboard={"web_dir": str(web_dir)}, funds={"max_deposit": "2500"}
    )
    first = await client.get("/")
    assert first.status == 200
    body = await first.text()
    assert 'data-max-deposit="2500"' in body  # the settings it was started with
    assert "{{" not in body  # every placeholder filled

    (web_dir / "index.html").write_text("<!doctype html><p>edited after start</p>")
    again = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert await again.text() == body  # served from memory, not re-read
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers.get("Content-Encoding") == "gzip"

    revalidated = await client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status == 304


async def test_every_own_module_is_preloaded_and_served(
    sandbox_service: SandboxService, tmp_path: Path
) -> None:
    """A phone on a slow network fetches the page's modules at once, not one import after
    another: the page names each of them up front, and each link resolves."""
    web_dir = own_files(tmp_path / "web")
    client: TestClient = await sandbox_service(dashboard={"web_dir": str(web_dir)})
    body = await (await client.get("/")).text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="(/assets/[^"]+)">', body))
    modules = {p.relative_to(web_dir).as_posix() for p in (web_dir / "js").rglob("*.js")}
    assert {href.split("/", 3)[3] for href in preloaded} == modules
    for href in preloaded:
        assert (await client.get(href)).status == 200, href
