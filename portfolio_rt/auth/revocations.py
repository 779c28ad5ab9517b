"""Ended sessions: tokens logged out before they expire, and "log out everywhere".

A signed token is valid on its own until it expires, so ending one early means remembering
it: by id (`jti`) for one logout, by account and moment for "log out everywhere" (every token
of the account issued before it), and by an epoch for a restart that could not keep the
logouts (every token issued before the start). An entry is kept only as long as a token it
ends could still be valid. Listeners (the live hub) hear of each new end, so sockets opened
with an ended token close at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import orjson

EndKind = Literal["token", "account"]


@dataclass(frozen=True)
class SessionEnd:
    """One logout as stored and shared: a token id, or an account with the moment before which
    its tokens were issued; `until` is when no token it ends can be valid any more."""

    kind: EndKind
    key: str
    at: float
    until: float

    def dumps(self) -> bytes:
        return orjson.dumps([self.kind, self.key, self.at, self.until])

    @classmethod
    def loads(cls, data: bytes | str) -> SessionEnd:
        """Raises ValueError for anything but what `dumps` writes."""
        try:
            kind, key, at, until = orjson.loads(data)
        except (orjson.JSONDecodeError, TypeError, ValueError):
            raise ValueError("not a session end") from None
        if kind not in ("token", "account") or not isinstance(key, str):
            raise ValueError("not a session end")
        return cls(kind, key, float(at), float(until))


Listener = Callable[[SessionEnd], object]


class SessionEndStore(Protocol):
    """Where ends are kept beyond this process: Redis (shared), or a file (one instance)."""

    async def record(self, end: SessionEnd) -> bool:
        """Keep one end; False (and logged) when it could not be kept."""
        ...


class Revocations:
    """This instance's memory of ended sessions; every check is a dict lookup."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._tokens: dict[str, SessionEnd] = {}
        self._accounts: dict[str, SessionEnd] = {}
        self.epoch = 0.0
        """Tokens issued before it are ended (a start that could not load earlier logouts)."""
        self._listeners: list[Listener] = []
        self._applied = 0

    def __len__(self) -> int:
        return len(self._tokens) + len(self._accounts)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every new end; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def end_token(self, token_id: str, expires_at: float) -> SessionEnd:
        """One session (a logout), remembered until the token would have expired."""
        end = SessionEnd("token", token_id, self._clock(), expires_at)
        self.apply(end)
        return end

    def end_account(self, account_id: str, max_lifetime_s: float) -> SessionEnd:
        """Every session of an account issued until now ("log out everywhere")."""
        now = self._clock()
        end = SessionEnd("account", account_id, now, now + max_lifetime_s)
        self.apply(end)
        return end

    def end_all_before(self, moment: float) -> None:
        """Every token issued before `moment` (a restart that forgot earlier logouts)."""
        self.epoch = max(self.epoch, moment)

    def apply(self, end: SessionEnd) -> bool:
        """Remember an end made here or elsewhere; True when it was news (listeners told)."""
        if end.until <= self._clock():
            return False
        if end.kind == "token":
            if end.key in self._tokens:
                return False
            self._tokens[end.key] = end
        else:
            known = self._accounts.get(end.key)
            if known is not None and known.at >= end.at:
                return False
            self._accounts[end.key] = end
        self._applied += 1
        if self._applied % 256 == 0:
            self.prune()
        for listener in list(self._listeners):
            listener(end)
        return True

    def not_before(self, account_id: str) -> float:
        """Tokens of this account issued before this moment are ended."""
        end = self._accounts.get(account_id)
        return max(self.epoch, end.at) if end is not None else self.epoch

    def ended(self, token_id: str, account_id: str, issued_at: float) -> bool:
        return token_id in self._tokens or issued_at < self.not_before(account_id)

    def entries(self) -> list[SessionEnd]:
        """Every end still in force (to persist, or to share again after Redis lost them)."""
        self.prune()
        return [*self._tokens.values(), *self._accounts.values()]

    def prune(self) -> None:
        """Forget ends no valid token can need any more."""
        now = self._clock()
        self._tokens = {key: end for key, end in self._tokens.items() if end.until > now}
        self._accounts = {key: end for key, end in self._accounts.items() if end.until > now}
