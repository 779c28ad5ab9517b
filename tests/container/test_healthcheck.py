"""The image's health check is a real probe: the Dockerfile's own HEALTHCHECK command passes
against a live service and fails when nothing listens. (What the image holds and runs is
checked from the inside by `make image`, scripts/check_image.py.)"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from aiohttp.test_utils import TestServer

from portfolio_rt.app import create_app
from tests.fixtures.settings import ALPACA_ENV, alpaca_settings

ROOT = Path(__file__).resolve().parents[2]


def healthcheck_command() -> list[str]:
    """The exec-form command of the Dockerfile's HEALTHCHECK (continuation lines joined)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    (line,) = [row for row in text.splitlines() if row.startswith("HEALTHCHECK ")]
    command = json.loads(line[line.index("CMD") + 3 :].strip())
    assert isinstance(command, list)
    return [str(part) for part in command]


async def test_healthcheck_command_passes_on_a_live_service_and_fails_without() -> None:
    command = healthcheck_command()
    assert command[0] == "python3"
    app = create_app(alpaca_settings())
    async with TestServer(app, host="127.0.0.1") as server:
        port = str(server.port)
        child_env = os.environ | ALPACA_ENV | {"PORTFOLIO_RT__SERVER__PORT": port}
        # The child runs the image's exact command; the server answers on this test's loop.
        assert await _run([sys.executable, *command[1:]], child_env) == 0
    assert await _run([sys.executable, *command[1:]], child_env) != 0  # nothing listens now


async def _run(argv: list[str], env: dict[str, str]) -> int:
    child = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return await asyncio.wait_for(child.wait(), 30)
