"""The login throttle: wrong passwords lock out one (user, address) pair, never the user
everywhere; guessing from one address or logging in too often from it is stopped; guessing a
user's password from everywhere slows every try for that user without blocking it."""

from __future__ import annotations

import pytest

from portfolio_rt.auth.login_guard import LoginGuard, SlidingWindow
from portfolio_rt.config import AuthSettings
from tests.fixtures.clock import SecondsClock

SETTINGS = AuthSettings(
    login_max_failures=3,
    login_address_max_failures=8,
    login_window_s=60,
    login_slowdown_max_s=8,
    login_max_per_address=4,
)


@pytest.fixture
def clock() -> SecondsClock:
    return SecondsClock(1000.0)


@pytest.fixture
def guard(clock: SecondsClock) -> LoginGuard:
    return LoginGuard(SETTINGS, clock=clock)


def test_failures_lock_out_the_pair_until_the_window_passes(
    guard: LoginGuard, clock: SecondsClock
) -> None:
    for _ in range(3):
        assert guard.refusal("maya", "10.0.0.1") is None
        guard.failed("maya", "10.0.0.1")
    refusal = guard.refusal("maya", "10.0.0.1")
    assert refusal is not None
    assert refusal.reason == "user_and_address"
    assert refusal.retry_after_s == pytest.approx(60)
    clock.advance(60)
    assert guard.refusal("maya", "10.0.0.1") is None


def test_an_attacker_cannot_lock_the_user_out_from_elsewhere(guard: LoginGuard) -> None:
    """The finding: five wrong passwords from anywhere locked maya out for everyone."""
    for _ in range(3):
        guard.failed("maya", "203.0.113.9")
    assert guard.refusal("maya", "203.0.113.9") is not None
    assert guard.refusal("maya", "198.51.100.7") is None  # maya at home still logs in
    assert guard.refusal("MAYA", "198.51.100.7") is None


def test_guessing_across_usernames_from_one_address_is_stopped(guard: LoginGuard) -> None:
    for n in range(8):
        assert guard.refusal(f"user{n}", "203.0.113.9") is None
        guard.failed(f"user{n}", "203.0.113.9")
    refusal = guard.refusal("someone-new", "203.0.113.9")
    assert refusal is not None
    assert refusal.reason == "address"
    assert guard.refusal("someone-new", "198.51.100.7") is None


def test_guessing_one_user_from_everywhere_slows_it_without_blocking(
    guard: LoginGuard, clock: SecondsClock
) -> None:
    assert guard.delay_s("maya") == 0
    for n in range(3):
        guard.failed("maya", f"203.0.113.{n}")
    assert guard.delay_s("maya") == 1
    for n in range(3, 6):
        guard.failed("maya", f"203.0.113.{n}")
    assert guard.delay_s("maya") == 8  # capped (1, 2, 4, 8)
    assert guard.refusal("maya", "198.51.100.7") is None  # slowed, never refused
    assert guard.delay_s("sam") == 0
    clock.advance(61)
    assert guard.delay_s("maya") == 0


def test_successful_logins_per_address_are_limited(guard: LoginGuard) -> None:
    for n in range(4):
        assert guard.refusal(f"user{n}", "10.0.0.1") is None
        guard.succeeded(f"user{n}", "10.0.0.1")
    refusal = guard.refusal("user9", "10.0.0.1")
    assert refusal is not None
    assert refusal.reason == "logins_from_address"


def test_a_success_clears_the_pairs_failures(guard: LoginGuard) -> None:
    guard.failed("maya", "10.0.0.1")
    guard.failed("maya", "10.0.0.1")
    guard.succeeded("maya", "10.0.0.1")
    guard.failed("maya", "10.0.0.1")
    assert guard.refusal("maya", "10.0.0.1") is None


def test_a_spray_of_usernames_keeps_memory_bounded(clock: SecondsClock) -> None:
    window = SlidingWindow(60, clock, max_keys=100)
    for n in range(1000):
        window.add(f"user:{n}")
    assert len(window) <= 100
    assert window.count("user:999") == 1
