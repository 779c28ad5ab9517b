"""Password logins: scrypt hashes, the demo users' directory and the failed-login throttle."""

from __future__ import annotations

from uuid import UUID

from portfolio_rt.auth.logins import LoginThrottle, UserDirectory, check_password, hash_password

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


def test_throttle_blocks_after_max_failures_until_window_passes() -> None:
    now = [0.0]
    throttle = LoginThrottle(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after_s("user:maya") == 0
        throttle.failed("user:maya", "addr:1.2.3.4")
    assert throttle.retry_after_s("user:maya") == 60
    assert throttle.retry_after_s("addr:1.2.3.4") == 60
    assert throttle.retry_after_s("user:sam") == 0
    now[0] = 61
    assert throttle.retry_after_s("user:maya") == 0
