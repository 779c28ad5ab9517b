"""The registry of live sockets by account (and by session); fans serialised messages out
without awaiting, and ends the sockets of sessions that end."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable

import structlog
from aiohttp import WSCloseCode, web

from ..auth.revocations import SessionEnd
from . import close_codes
from .connection import LiveConnection

log = structlog.get_logger("portfolio_rt.live")


class LiveHub:
    """account → its open connections. The first socket of an account makes it watched."""

    def __init__(self) -> None:
        self.by_account: dict[str, set[LiveConnection]] = {}
        self.by_token: dict[str, set[LiveConnection]] = {}
        self.sockets: dict[LiveConnection, web.WebSocketResponse] = {}
        self.positions_of: dict[str, set[LiveConnection]] = {}
        """account → its sockets subscribed to the positions topic."""
        self._ids = itertools.count(1)
        self.on_unwatch: Callable[[str], None] | None = None
        self.on_written: Callable[[int], None] = lambda _count: None
        """Told how many updates went straight to sockets (the writers count the rest)."""
        self.on_written_positions: Callable[[int], None] = lambda _count: None

    def __len__(self) -> int:
        return len(self.sockets)

    def new_id(self) -> int:
        return next(self._ids)

    def add(self, conn: LiveConnection, ws: web.WebSocketResponse) -> None:
        self.by_account.setdefault(conn.account_id, set()).add(conn)
        self.by_token.setdefault(conn.token_id, set()).add(conn)
        self.sockets[conn] = ws

    def count(self, account_id: str) -> int:
        """Open sockets of the account on this instance."""
        return len(self.by_account.get(account_id, ()))

    def set_topics(self, conn: LiveConnection, topics: set[str]) -> bool:
        """The socket's topics are now `topics`; True when it newly takes positions."""
        had = "positions" in conn.topics
        conn.topics = set(topics)
        wants = "positions" in topics
        if wants and not had:
            self.positions_of.setdefault(conn.account_id, set()).add(conn)
        elif had and not wants:
            self._drop_positions(conn)
        return wants and not had

    def _drop_positions(self, conn: LiveConnection) -> None:
        subscribed = self.positions_of.get(conn.account_id)
        if subscribed is not None:
            subscribed.discard(conn)
            if not subscribed:
                del self.positions_of[conn.account_id]

    def remove(self, conn: LiveConnection) -> None:
        conn.closed = True
        conn.wake()
        self.sockets.pop(conn, None)
        self._drop_positions(conn)
        same_token = self.by_token.get(conn.token_id)
        if same_token is not None:
            same_token.discard(conn)
            if not same_token:
                del self.by_token[conn.token_id]
        conns = self.by_account.get(conn.account_id)
        if conns is None:
            return
        conns.discard(conn)
        if not conns:
            del self.by_account[conn.account_id]
            if self.on_unwatch is not None:
                self.on_unwatch(conn.account_id)

    def end_sessions(self, end: SessionEnd) -> int:
        """A logout (or "log out everywhere") here or on another instance: close (4401) the
        sockets opened with the sessions it ends. Returns how many."""
        if end.kind == "token":
            ended = list(self.by_token.get(end.key, ()))
        else:
            ended = [c for c in self.by_account.get(end.key, ()) if c.issued_at < end.at]
        for conn in ended:
            conn.end(close_codes.UNAUTHORIZED, "This session has ended; please log in again.")
        if ended:
            log.info("live.sessions_ended", kind=end.kind, sockets=len(ended))
        return len(ended)

    def send_to_account(self, account_id: str, data: bytes) -> int:
        """One message (serialised once) to every socket of the account; how many."""
        conns = self.by_account.get(account_id, ())
        for conn in conns:
            conn.send(data)
        return len(conns)

    def watching(self, account_id: str) -> bool:
        return account_id in self.by_account

    def push_updates(
        self, updates: list[tuple[str, bytes]], positions: dict[str, bytes] | None = None
    ) -> None:
        """Each account's update body (serialised once) to every socket of the account, and
        its positions message (`positions`, by account; taken from it) in the same write to
        the sockets that follow positions."""
        written = rows_written = 0
        by_account = self.by_account
        for account_id, body in updates:
            rows = positions.pop(account_id, None) if positions else None
            for conn in by_account.get(account_id, ()):
                if conn.send_update(body, rows):
                    written += 1
                    rows_written += rows is not None and "positions" in conn.topics
        if written:
            self.on_written(written)
        if rows_written:
            self.on_written_positions(rows_written)

    def push_positions(self, messages: dict[str, bytes]) -> None:
        """Each account's positions message (serialised once) to its subscribed sockets."""
        written = 0
        positions_of = self.positions_of
        for account_id, body in messages.items():
            for conn in positions_of.get(account_id, ()):
                written += conn.send_positions(body)
        if written:
            self.on_written_positions(written)

    def sweep(self, now: float, send_timeout_s: float) -> int:
        """Drop the clients whose current write has been stuck for `send_timeout_s` (they
        stopped reading); the others never waited for them. Returns how many were dropped."""
        stuck = [
            c
            for c in self.sockets
            if c.sending_since and now - c.sending_since > send_timeout_s and not c.closed
        ]
        for conn in stuck:
            log.warning("live.slow_client", conn=conn.id, account=conn.account_id, stuck=True)
            conn.closed = True
            conn.queue.clear()
            conn.abort()
        return len(stuck)

    async def close_all(self) -> None:
        """Server shutdown: close every socket with 1001 (going away)."""
        sockets = list(self.sockets.items())
        for conn, _ in sockets:
            conn.closed = True

        async def close(ws: web.WebSocketResponse) -> None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

        await asyncio.gather(*(close(ws) for _, ws in sockets))
