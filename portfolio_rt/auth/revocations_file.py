"""Logouts kept across restarts of one instance without Redis: a file of JSON lines.

Each logout is appended (and synced to disk) before the logout is answered; at start-up the
file is read, ends that no longer matter are dropped, and it is written again compacted
(to a temporary file, then renamed over it, so a crash leaves the old or the new file).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import structlog

from ..config import ConfigError
from .revocations import Revocations, SessionEnd

log = structlog.get_logger("portfolio_rt.auth")


class RevocationsFile:
    """The ended sessions of `revocations`, kept in `path`."""

    def __init__(self, path: Path, revocations: Revocations) -> None:
        self.path = path
        self._revocations = revocations
        self._lock = asyncio.Lock()

    def load(self) -> int:
        """Read the file into memory and compact it; ConfigError when it cannot be used."""
        loaded = 0
        try:
            if self.path.exists():
                for line in self.path.read_bytes().splitlines():
                    try:
                        end = SessionEnd.loads(line)
                    except ValueError:
                        continue  # a line cut short by a crash mid-write
                    loaded += self._revocations.apply(end)
            self._rewrite()
        except OSError as exc:
            raise ConfigError(
                f"auth.revocations_file: cannot read and write {self.path}: {exc.strerror}"
            ) from None
        log.info("auth.revocations_loaded", ended=loaded)
        return loaded

    async def record(self, end: SessionEnd) -> bool:
        """Append one end, synced to disk; False (logged) when the disk refused it."""
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, end.dumps() + b"\n")
            except OSError as exc:
                log.error("auth.logout_not_persisted", error=type(exc).__name__)
                return False
        return True

    def _append(self, line: bytes) -> None:
        with self.path.open("ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def _rewrite(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("wb") as f:
            for end in self._revocations.entries():
                f.write(end.dumps() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)
