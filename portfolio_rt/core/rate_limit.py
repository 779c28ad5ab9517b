"""Token buckets by key: a steady rate with room for bursts (a page load is a burst)."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBuckets:
    """Each key may spend `burst` units at once and regains `rate_per_s` a second.

    A rate of 0 means no limit. Memory stays bounded: a bucket that has refilled is the same
    as no bucket, so full ones are forgotten whenever more than `max_keys` are kept.
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst = float(burst)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """key → (units left, when they were counted)."""

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, units: float = 1.0) -> float:
        """Spend `units` for `key`: 0.0 when allowed, else the seconds until they would be."""
        if self.rate_per_s <= 0:
            return 0.0
        now = self._clock()
        left, at = self._buckets.get(key, (self.burst, now))
        left = min(self.burst, left + (now - at) * self.rate_per_s)
        if left < units:
            self._buckets[key] = (left, now)
            return (units - left) / self.rate_per_s
        self._buckets[key] = (left - units, now)
        if len(self._buckets) > self.max_keys:
            self._forget_full(now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        self._buckets = {
            key: (left, at)
            for key, (left, at) in self._buckets.items()
            if left + (now - at) * self.rate_per_s < self.burst
        }
