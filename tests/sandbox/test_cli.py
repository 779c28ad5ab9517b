"""`python -m portfolio_rt.sandbox` starts, says where it is, answers, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from portfolio_rt.sandbox.__main__ import build_parser, config_from_args
from tests.fixtures.redis import free_port

ROOT = Path(__file__).resolve().parents[2]


async def _read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while True:
        line = await stream.readline()
        if not line:
            raise AssertionError("sandbox exited early:\n" + "".join(seen))
        seen.append(line.decode())
        if marker in seen[-1]:
            return


async def test_cli_serves_prints_its_urls_and_exits_on_sigterm() -> None:
    port = free_port()
    env = os.environ | {"PYTHONPATH": str(ROOT), "ALPACA_SANDBOX_SECRET": "env-secret"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portfolio_rt.sandbox", "--host", "127.0.0.1", "--port", str(port),
        "--key", "cli-key", "--seed", "5", "--market-hours", "real", "--trades-per-second", "5",
        "--transfer-delay", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    seen: list[str] = []
    try:
        await asyncio.wait_for(_read_until(process.stdout, "persona accounts", seen), 90)
        banner = "".join(seen)
        base = f"http://127.0.0.1:{port}"
        assert f"broker API:     {base}" in banner
        assert f"market data:    {base}" in banner
        assert f"ws://127.0.0.1:{port}/v2/iex" in banner
        assert f"ws://127.0.0.1:{port}/v1beta3/crypto/us" in banner
        assert "cli-key" in banner
        assert "env-secret" in banner
        auth = aiohttp.BasicAuth("cli-key", "env-secret")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{base}/v1/clock", auth=auth) as response,
        ):
            assert response.status == 200
            clock = await response.json()
        assert set(clock) == {"timestamp", "is_open", "next_open", "next_close"}
        process.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    output = banner + rest.decode()
    assert re.search(r"maya\s+[0-9a-f-]{36}", output)
    assert "sandbox stopping" in output


def test_credentials_come_from_flags_then_environment_then_are_generated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALPACA_SANDBOX_KEY", raising=False)
    monkeypatch.delenv("ALPACA_SANDBOX_SECRET", raising=False)
    parser = build_parser()
    config, generated = config_from_args(parser.parse_args(["--key", "k", "--secret", "s"]))
    assert (config.key, config.secret, generated) == ("k", "s", False)
    monkeypatch.setenv("ALPACA_SANDBOX_KEY", "ek")
    monkeypatch.setenv("ALPACA_SANDBOX_SECRET", "es")
    config, generated = config_from_args(parser.parse_args([]))
    assert (config.key, config.secret, generated) == ("ek", "es", False)
    monkeypatch.delenv("ALPACA_SANDBOX_SECRET")
    config, generated = config_from_args(parser.parse_args([]))
    assert config.key == "ek"
    assert len(config.secret) >= 30
    assert generated is True


def test_flags_reach_the_configuration() -> None:
    args = build_parser().parse_args(
        ["--port", "0", "--seed", "11", "--accounts", "25", "--market-hours", "real",
         "--trades-per-second", "3.5", "--transfer-delay", "2", "--key", "a", "--secret", "b"]
    )  # fmt: skip
    config, _ = config_from_args(args)
    assert config.port == 0
    assert config.seed == 11
    assert config.extra_accounts == 25
    assert config.market_hours == "real"
    assert config.trades_per_second == 3.5
    assert config.transfer_delay_s == 2.0


def test_bad_flags_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--market-hours", "sometimes"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--accounts", "-1"])
    assert "usage" in capsys.readouterr().err
