"""Raw HTTP calls to a served sandbox's Broker API, for tests that check status codes and
bodies exactly (alpaca-py would hide both behind its models)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from portfolio_rt.sandbox.app import RunningSandbox
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET


class Broker:
    """One session with the sandbox's credentials; `call` answers (status, JSON or None)."""

    def __init__(self, session: aiohttp.ClientSession, server: RunningSandbox) -> None:
        self.session = session
        self.server = server

    def persona(self, name: str) -> str:
        return str(self.server.sandbox.personas[name])

    async def call(
        self, method: str, path: str, *, params: Any = None, json: Any = None
    ) -> tuple[int, Any]:
        async with self.session.request(
            method, self.server.broker_url + path, params=params, json=json, allow_redirects=False
        ) as resp:
            text = await resp.text()
            if text and resp.content_type != "application/json":
                raise AssertionError(f"{method} {path}: {resp.status} non-JSON {text[:200]!r}")
            return resp.status, (await resp.json() if text else None)

    async def raw(
        self, method: str, path: str, *, params: Any = None
    ) -> tuple[int, bytes, dict[str, str]]:
        """Any answer (a redirect, a PDF): status, body bytes and headers."""
        async with self.session.request(
            method, self.server.broker_url + path, params=params, allow_redirects=False
        ) as resp:
            return resp.status, await resp.read(), dict(resp.headers)


@asynccontextmanager
async def broker(server: RunningSandbox) -> AsyncIterator[Broker]:
    auth = aiohttp.BasicAuth(SANDBOX_KEY, SANDBOX_SECRET)
    async with aiohttp.ClientSession(auth=auth) as session:
        yield Broker(session, server)
