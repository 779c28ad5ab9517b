"""A long-lived background task as a small class: `start`, `_run`, `close`.

An exception in `_run` is logged and the task restarted after a jittered, growing pause, never
silently lost.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from .backoff import Backoff

log = structlog.get_logger("portfolio_rt.live")


class BackgroundTask:
    """Subclasses implement `_run`; the loop around it restarts it when it fails."""

    name = "task"
    restart_delay_s = 1.0
    """The first pause before a failed task runs again; it doubles (with jitter) up to 30 s."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the task (idempotent)."""
        if not self.running:
            self._task = asyncio.create_task(self._guard(), name=self.name)

    async def close(self) -> None:
        """Cancel the task and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _guard(self) -> None:
        backoff = Backoff(self.restart_delay_s, max(30.0, self.restart_delay_s))
        while True:
            try:
                await self._run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.next()
                log.error(
                    "task.failed",
                    task=self.name,
                    error=type(exc).__name__,
                    restart_in_s=round(delay, 2),
                )
                await asyncio.sleep(delay)

    async def _run(self) -> None:
        raise NotImplementedError
