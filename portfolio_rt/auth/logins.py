"""Password logins: the demo users' directory (scrypt hashes), checked off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import UUID

from ..core.errors import RateLimited


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


class PasswordLogins:
    """Password checks for the directory's users, run in a few threads: scrypt is built to be
    slow, and on the event loop a handful of logins at once would stall every request and
    live socket. Logins beyond the threads wait their turn; past `max_waiting`, 429."""

    def __init__(self, users: UserDirectory, threads: int, max_waiting: int = 64) -> None:
        self.users = users
        self.max_waiting = max_waiting
        self.waiting = 0
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="password")

    async def authenticate(self, username: str, password: str) -> DemoUser | None:
        if self.waiting >= self.max_waiting:
            raise RateLimited(
                "Too many logins at once; please try again in a moment.", retry_after=1
            )
        self.waiting += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._pool, self.users.authenticate, username, password
            )
        finally:
            self.waiting -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
