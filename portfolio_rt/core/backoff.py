"""Jittered exponential backoff: how long every retry and reconnect loop waits.

After an outage every instance's loops fail at the same moment; without jitter they would all
come back in the same instant too, and hit Redis or Alpaca together. Each wait is drawn from
the upper half of its step, so a loop never retries sooner than half the step, yet two loops
drift apart after the first retry.
"""

from __future__ import annotations

import random


def backoff_delay(
    attempt: int, base_s: float, max_s: float, *, rng: random.Random | None = None
) -> float:
    """The wait before retry `attempt` (1 for the first): uniform in [step/2, step], where
    step = min(max_s, base_s * 2**(attempt - 1))."""
    step = min(max_s, base_s * 2.0 ** min(max(attempt - 1, 0), 64))
    return step * (rng or random).uniform(0.5, 1.0)


class Backoff:
    """One loop's backoff: `next()` after each failure, `reset()` after a success."""

    def __init__(self, base_s: float, max_s: float, *, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.max_s = max_s
        self.attempt = 0
        self._rng = rng

    def next(self) -> float:
        """Count a failure and return how long to wait before the next try."""
        self.attempt += 1
        return backoff_delay(self.attempt, self.base_s, self.max_s, rng=self._rng)

    def reset(self) -> None:
        self.attempt = 0
