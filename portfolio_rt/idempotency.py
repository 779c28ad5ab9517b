"""Idempotency keys for requests that move money: a retry returns the first answer.

A key is scoped to one account. Its record goes through: `pending` (the request is being
sent to Alpaca), then `done` (the answer is kept and replayed) or `uncertain` (Alpaca may or
may not have acted: a timeout or lost connection). A retry of an uncertain key never sends
again; the caller reconciles it against Alpaca's own records instead.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from .errors import BadRequest, Conflict, Unprocessable

State = Literal["pending", "done", "uncertain"]
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


@dataclass
class IdempotencyRecord:
    fingerprint: str
    state: State
    started_at: float
    status: int = 0
    body: Any = None
    expires_at: float = field(default=0.0)


def fingerprint(body: Any) -> str:
    """A stable digest of the request body (key order does not matter)."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def validate_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise BadRequest(
            "An Idempotency-Key header is required, so a retry never moves money twice.",
            details={"header": "Idempotency-Key"},
        )
    key = raw.strip()
    if not 8 <= len(key) <= 128 or not set(key) <= _KEY_CHARS:
        raise BadRequest(
            "Idempotency-Key must be 8 to 128 letters, digits or -_.: (a UUID is ideal).",
            details={"header": "Idempotency-Key"},
        )
    return key


class IdempotencyStore:
    """In-memory records kept for `ttl_s` (24 h by default)."""

    def __init__(self, ttl_s: float = 86400.0, clock: Callable[[], float] = time.time) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._records: dict[str, IdempotencyRecord] = {}

    def begin(self, scope: str, print_: str) -> IdempotencyRecord | None:
        """Claim the key for a new request (returns None), or return the earlier record.

        Raises 422 when the key was used with a different body, and 409 while the first
        request with it is still in flight.
        """
        self._expire()
        record = self._records.get(scope)
        if record is None:
            now = self._clock()
            self._records[scope] = IdempotencyRecord(
                print_, "pending", now, expires_at=now + self.ttl_s
            )
            return None
        if record.fingerprint != print_:
            raise Unprocessable(
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new deposit.",
                details={"header": "Idempotency-Key"},
            )
        if record.state == "pending":
            raise Conflict(
                "The first request with this Idempotency-Key is still being processed.",
                retry_after=1,
            )
        return record

    def complete(self, scope: str, status: int, body: Any) -> None:
        record = self._records[scope]
        record.state, record.status, record.body = "done", status, body

    def mark_uncertain(self, scope: str) -> None:
        self._records[scope].state = "uncertain"

    def release(self, scope: str) -> None:
        """Forget a key whose request certainly did nothing (rejected before moving money)."""
        self._records.pop(scope, None)

    def _expire(self) -> None:
        now = self._clock()
        if len(self._records) > 1000 or any(r.expires_at <= now for r in self._records.values()):
            self._records = {k: r for k, r in self._records.items() if r.expires_at > now}
