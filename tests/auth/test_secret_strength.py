"""Signing secrets: long but guessable ones stop start-up with advice; random ones pass."""

from __future__ import annotations

import secrets

import pytest

from portfolio_rt.auth.secret_strength import MIN_SECRET_BITS, estimated_bits
from portfolio_rt.auth.tokens import TokenService
from portfolio_rt.config import AuthSettings, ConfigError


@pytest.mark.parametrize(
    "secret",
    [
        "a" * 32,
        "s" * 48,
        "abcdefghijklmnopqrstuvwxyz012345",
        "zyxwvutsrqponmlkjihgfedcba987654",
        "0123456789" * 4,
        "passwordpasswordpasswordpassword",
        "ab" * 24,
        "Secret123!" * 4,
    ],
)
def test_a_long_but_guessable_secret_stops_start_up(secret: str) -> None:
    assert len(secret) >= 32
    with pytest.raises(ConfigError, match="too easy to guess") as refused:
        TokenService(AuthSettings(), secret)
    assert "secrets.token_urlsafe" in str(refused.value)  # it says how to make a good one
    assert secret not in str(refused.value)  # and never repeats the secret


def test_a_short_secret_stops_start_up() -> None:
    with pytest.raises(ConfigError, match="at least 32 characters"):
        TokenService(AuthSettings(), secrets.token_urlsafe(16))


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(48),
        lambda: secrets.token_urlsafe(24),
        lambda: secrets.token_hex(16),
        lambda: secrets.token_hex(32),
    ],
)
def test_every_random_secret_of_the_documented_kinds_is_accepted(make) -> None:  # type: ignore[no-untyped-def]
    """Hex of 32 characters is 128 random bits: the estimate must never refuse one."""
    for _ in range(2000):
        assert estimated_bits(make()) >= MIN_SECRET_BITS + 10


def test_repeats_and_runs_are_worth_about_one_bit_a_character() -> None:
    assert estimated_bits("q" * 100) < 110
    assert estimated_bits("k3Zp") + 60 > estimated_bits("k3Zp" * 16)
