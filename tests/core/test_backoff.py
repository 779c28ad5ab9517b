"""The one backoff every retry and reconnect loop uses: exponential, capped, jittered."""

from __future__ import annotations

import random

from portfolio_rt.core.backoff import Backoff, backoff_delay


def test_each_delay_lies_in_the_upper_half_of_its_step() -> None:
    rng = random.Random(1)
    for attempt, step in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 16.0), (6, 30.0), (60, 30.0)]:
        for _ in range(200):
            assert step / 2 <= backoff_delay(attempt, 1.0, 30.0, rng=rng) <= step


def test_two_loops_that_fail_together_do_not_retry_together() -> None:
    """The point of the jitter: instances that lost Redis in the same instant spread out."""
    first, second = Backoff(1.0, 30.0), Backoff(1.0, 30.0)
    waits = [(first.next(), second.next()) for _ in range(5)]
    assert any(abs(a - b) > 1e-6 for a, b in waits)


def test_a_success_starts_the_steps_again() -> None:
    backoff = Backoff(0.5, 10.0, rng=random.Random(2))
    for _ in range(6):
        backoff.next()
    assert backoff.attempt == 6
    backoff.reset()
    assert 0.25 <= backoff.next() <= 0.5


def test_huge_attempt_counts_stay_at_the_cap() -> None:
    assert 15.0 <= backoff_delay(10_000, 1.0, 30.0) <= 30.0
