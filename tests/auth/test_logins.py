"""Password logins: scrypt hashes, the demo users' directory, and checks that run in threads
so that logins never stall the event loop."""

from __future__ import annotations

import asyncio
import threading
from uuid import UUID

import pytest

from portfolio_rt.auth.logins import (
    DemoUser,
    PasswordLogins,
    UserDirectory,
    check_password,
    hash_password,
)
from portfolio_rt.core.errors import RateLimited

ACCOUNT = UUID("2a87c088-ffb6-472b-a4a3-cd9305c8605c")


def test_password_hash_round_trip_and_no_plain_text() -> None:
    stored = hash_password("demo")
    assert "demo" not in stored
    assert check_password("demo", stored)
    assert not check_password("Demo", stored)
    assert not check_password("demo", "md5$abc$def")


def test_user_directory_authenticates_case_insensitively() -> None:
    users = UserDirectory.demo({"maya": ACCOUNT})
    user = users.authenticate("  Maya ", "demo")
    assert user is not None
    assert user.account_id == ACCOUNT
    assert users.authenticate("maya", "nope") is None
    assert users.authenticate("nobody", "demo") is None


class RecordingDirectory(UserDirectory):
    """Notes the thread each check runs on."""

    def __init__(self) -> None:
        super().__init__({"maya": DemoUser("maya", ACCOUNT, hash_password("demo"))})
        self.threads: set[str] = set()

    def authenticate(self, username: str, password: str) -> DemoUser | None:
        self.threads.add(threading.current_thread().name)
        return super().authenticate(username, password)


async def test_password_checks_run_off_the_event_loop() -> None:
    """scrypt on the loop stalled every request: 12 logins raised /health's median from
    1.5 ms to 461 ms. While twelve checks run, the loop keeps turning."""
    directory = RecordingDirectory()
    logins = PasswordLogins(directory, threads=2)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    running = asyncio.create_task(ticker())
    try:
        results = await asyncio.gather(*(logins.authenticate("maya", "demo") for _ in range(12)))
    finally:
        running.cancel()
        logins.close()
    assert all(user is not None and user.account_id == ACCOUNT for user in results)
    assert threading.main_thread().name not in directory.threads
    assert directory.threads  # the checks did run, in the pool's threads
    assert ticks >= 3  # the loop was never held for the whole of it


async def test_too_many_waiting_logins_are_refused_at_once() -> None:
    logins = PasswordLogins(RecordingDirectory(), threads=1, max_waiting=2)
    try:
        first = asyncio.create_task(logins.authenticate("maya", "demo"))
        second = asyncio.create_task(logins.authenticate("maya", "demo"))
        await asyncio.sleep(0)
        with pytest.raises(RateLimited):
            await logins.authenticate("maya", "demo")
        assert all(await asyncio.gather(first, second))
    finally:
        logins.close()
