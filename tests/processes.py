"""Real processes for tests of process-level behaviour: a standalone sandbox and the service,
each on a free port, started and stopped (or killed) like an operator would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Process:
    args: list[str]
    env: dict[str, str]
    port: int
    log: Path
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str, auth: tuple[str, str] | None = None) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self.args, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.args} exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + ready_path, auth=auth, timeout=1).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.args} did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, as a crashed or evicted container."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> int | None:
        if self.process is None:
            return None
        self.process.terminate()
        try:
            return self.process.wait(15)
        finally:
            self.process = None


def sandbox_process(workdir: Path, key: str, secret: str, *extra: str) -> Process:
    port = free_port()
    args = [sys.executable, "-m", "portfolio_rt.sandbox", "--port", str(port),
            "--key", key, "--secret", secret, *extra]  # fmt: skip
    return Process(args, dict(os.environ), port, workdir / f"sandbox-{port}.log")


def service_process(
    workdir: Path, sandbox: Process, key: str, secret: str, env: Mapping[str, str]
) -> Process:
    port = free_port()
    environment = (
        dict(os.environ)
        | {
            "PORTFOLIO_RT__ALPACA__MODE": "alpaca",
            "PORTFOLIO_RT__ALPACA__BROKER_URL": sandbox.url,
            "PORTFOLIO_RT__ALPACA__DATA_URL": sandbox.url,
            "PORTFOLIO_RT__ALPACA__STREAM_URL": f"ws://127.0.0.1:{sandbox.port}",
            "PORTFOLIO_RT__LOG__FORMAT": "json",
            "ALPACA_BROKER_API_KEY": key,
            "ALPACA_BROKER_SECRET_KEY": secret,
        }
        | dict(env)
    )
    args = [sys.executable, "-m", "portfolio_rt", "--port", str(port)]
    return Process(args, environment, port, workdir / f"service-{port}.log")
