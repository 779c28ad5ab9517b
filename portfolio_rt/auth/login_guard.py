"""Who may try a password now, and how long they wait: the login throttle.

Blocking a username after a few failures from anywhere lets anyone lock a user out. So:
- one username from one address: `login_max_failures` failures in the window, then that pair
  gets 429 until the window passes; the user logs in from anywhere else as usual;
- one address, whatever the usernames: `login_address_max_failures` failures (guessing across
  accounts from one place), then 429 for that address;
- one username from every address together: past `login_max_failures` failures, each further
  attempt waits (1 s, doubling, up to `login_slowdown_max_s`) before it is answered, success
  or not: a guesser spread over many addresses is slowed, the real user still gets in;
- one address: `login_max_per_address` successful logins in the window, then 429.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..config import AuthSettings


class SlidingWindow:
    """Events per key within the last `window_s` seconds (memory bounded by `max_keys`)."""

    def __init__(
        self, window_s: float, clock: Callable[[], float], max_keys: int = 100_000
    ) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._events: dict[str, list[float]] = {}

    def __len__(self) -> int:
        return len(self._events)

    def count(self, key: str) -> int:
        return len(self._recent(key, self._clock()))

    def wait_s(self, key: str, limit: int) -> float:
        """Seconds until `key` has fewer than `limit` events in the window (0: now)."""
        now = self._clock()
        recent = self._recent(key, now)
        if len(recent) < limit:
            return 0.0
        return recent[-limit] + self.window_s - now

    def add(self, key: str) -> None:
        now = self._clock()
        self._events[key] = [*self._recent(key, now), now]
        if len(self._events) > self.max_keys:
            self._events = {k: v for k, v in self._events.items() if self._recent(k, now)}
            while len(self._events) > self.max_keys:  # still full of live keys: oldest go
                del self._events[next(iter(self._events))]

    def clear(self, key: str) -> None:
        self._events.pop(key, None)

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self._events.get(key, ()) if now - t < self.window_s]


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt is refused before its password is checked, and for how long."""

    reason: str
    retry_after_s: float


class LoginGuard:
    """The policy above over three windows of failures and one of successes."""

    def __init__(self, settings: AuthSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._failures = SlidingWindow(settings.login_window_s, clock)
        self._successes = SlidingWindow(settings.login_window_s, clock)

    def refusal(self, username: str, address: str) -> Refusal | None:
        s = self.settings
        pair = self._failures.wait_s(_pair(username, address), s.login_max_failures)
        if pair > 0:
            return Refusal("user_and_address", pair)
        place = self._failures.wait_s(_address(address), s.login_address_max_failures)
        if place > 0:
            return Refusal("address", place)
        logins = self._successes.wait_s(_address(address), s.login_max_per_address)
        if logins > 0:
            return Refusal("logins_from_address", logins)
        return None

    def delay_s(self, username: str) -> float:
        """How long this attempt waits before it is answered (0 for an unattacked user)."""
        over = self._failures.count(_user(username)) - self.settings.login_max_failures
        if over < 0:
            return 0.0
        return float(min(self.settings.login_slowdown_max_s, 2.0 ** min(over, 16)))

    def failed(self, username: str, address: str) -> int:
        """Count a wrong password; returns the failures of this username from this address."""
        for key in (_pair(username, address), _address(address), _user(username)):
            self._failures.add(key)
        return self._failures.count(_pair(username, address))

    def succeeded(self, username: str, address: str) -> None:
        self._failures.clear(_pair(username, address))
        self._successes.add(_address(address))


def _pair(username: str, address: str) -> str:
    return f"pair:{username.lower()}\x00{address}"


def _address(address: str) -> str:
    return f"addr:{address}"


def _user(username: str) -> str:
    return f"user:{username.lower()}"
