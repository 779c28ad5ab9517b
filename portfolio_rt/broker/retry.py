"""When to retry a call to Alpaca and how long to wait: pure functions of the response."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ..core.backoff import backoff_delay

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff for safe (GET) calls only; money never moves twice."""

    attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed attempt `attempt` (counting from 0), jittered."""
        return backoff_delay(attempt + 1, self.base_delay_s, self.max_delay_s, rng=rng)


def server_wait_s(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """How long the server asked us to wait: `Retry-After` (seconds or HTTP date), else
    `X-RateLimit-Reset` (unix seconds) when the remaining budget is zero; None if unsaid."""
    now = now or datetime.now(UTC)
    retry_after = headers.get("Retry-After")
    if retry_after:
        retry_after = retry_after.strip()
        if retry_after.isdigit():
            return float(retry_after)
        try:
            when = parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, (when - now).total_seconds())
    reset = headers.get("X-RateLimit-Reset")
    remaining = headers.get("X-RateLimit-Remaining")
    if reset and (remaining is None or remaining.strip() == "0"):
        try:
            return max(0.0, float(reset) - now.timestamp())
        except ValueError:
            return None
    return None
