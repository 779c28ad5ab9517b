"""Password logins: the demo users' directory (scrypt hashes) and the failed-login throttle."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """scrypt, as `scrypt$<salt hex>$<hash hex>`; the plain password is never kept."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = bytes.fromhex(salt_hex)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return hmac.compare_digest(digest.hex(), digest_hex)


@dataclass(frozen=True)
class DemoUser:
    username: str
    account_id: UUID
    password_hash: str


class UserDirectory:
    """The demo users who may log in with a password (sandbox mode, or when configured)."""

    def __init__(self, users: Mapping[str, DemoUser]) -> None:
        self._users = dict(users)
        # A hash to check against when the name is unknown, so timing does not reveal names.
        self._decoy = hash_password(secrets.token_hex(8))

    @classmethod
    def demo(cls, accounts: Mapping[str, UUID], password: str = "demo") -> UserDirectory:  # noqa: S107 - the documented demo password
        hashed = hash_password(password)
        return cls({name: DemoUser(name, acct, hashed) for name, acct in accounts.items()})

    def __len__(self) -> int:
        return len(self._users)

    def authenticate(self, username: str, password: str) -> DemoUser | None:
        user = self._users.get(username.strip().lower())
        ok = check_password(password, user.password_hash if user else self._decoy)
        return user if user is not None and ok else None


class LoginThrottle:
    """Counts failed logins per username and per client address in a sliding window;
    past the limit, further attempts are refused (429) until the window has passed."""

    MAX_TRACKED = 10_000

    def __init__(self, max_failures: int, window_s: float, clock: Any = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def retry_after_s(self, *keys: str) -> float:
        """Seconds until `keys` may try again (0 when allowed now)."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            recent = self._recent(key, now)
            if len(recent) >= self.max_failures:
                wait = max(wait, recent[-self.max_failures] + self.window_s - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._failures[key] = [*self._recent(key, now), now]
        if len(self._failures) > self.MAX_TRACKED:
            for key in [k for k in self._failures if not self._recent(k, now)]:
                del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self._failures.get(key, ()) if now - t < self.window_s]
