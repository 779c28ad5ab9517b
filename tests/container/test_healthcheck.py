"""The Dockerfile's promises, checked without building: stages, user, port, health check,
signals, and what reaches the final image. (`make image` builds it and checks the result
from the inside with scripts/check_image.py.)"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from aiohttp.test_utils import TestServer

from portfolio_rt.app import create_app
from portfolio_rt.config import load_settings

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for item in instructions():
        if item[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(item)
    return out


def final_stage() -> list[tuple[str, str]]:
    return stages()[-1]


def args_of(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [rest for word, rest in stage if word == name]


def test_default_base_is_the_public_python_image_and_overridable() -> None:
    before_first_from = instructions()[0]
    assert before_first_from[0] == "ARG"
    assert before_first_from[1].startswith("BASE=python:3.11-slim")
    assert all(rest.startswith("${BASE}") for rest in args_of(instructions(), "FROM"))


def test_build_stages_are_separate_from_the_final_one() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2
    build_text = " ".join(rest for stage in all_stages[:-1] for _, rest in stage)
    assert "pip install" in build_text
    assert "npm ci --omit=dev" in build_text
    final = final_stage()
    final_runs = " ".join(args_of(final, "RUN"))
    for tool in ("pip install", "npm", "apt-get install", "gcc"):
        assert tool not in final_runs
    assert all("--from=" in rest for rest in args_of(final, "COPY") if "/opt/venv" in rest)


def test_build_arguments_for_certificates_stay_in_build_stages() -> None:
    final_args = " ".join(args_of(final_stage(), "ARG") + args_of(final_stage(), "ENV"))
    assert "PIP_CERT" not in final_args
    assert "NODE_EXTRA_CA_CERTS" not in final_args


def test_final_stage_runs_unprivileged_on_one_port() -> None:
    final = final_stage()
    users = args_of(final, "USER")
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert args_of(final, "EXPOSE") == ["8080"]
    env = " ".join(args_of(final, "ENV"))
    assert "OPENBLAS_NUM_THREADS=1" in env
    assert "PORTFOLIO_RT__SERVER__HOST=0.0.0.0" in env


def test_command_is_exec_form_with_a_mountable_config() -> None:
    cmd = json.loads(args_of(final_stage(), "CMD")[-1])
    assert cmd[:3] == ["python3", "-m", "portfolio_rt"]
    assert cmd[cmd.index("--config") + 1] == "/app/config.toml"
    assert args_of(final_stage(), "WORKDIR")[-1] == "/app"


def healthcheck_command() -> list[str]:
    (rest,) = args_of(final_stage(), "HEALTHCHECK")
    assert "--interval=" in rest
    command = json.loads(rest[rest.index("CMD") + 3 :].strip())
    assert isinstance(command, list)
    return [str(part) for part in command]


async def test_healthcheck_command_passes_on_a_live_service_and_fails_without(
    tmp_path: Path,
) -> None:
    command = healthcheck_command()
    assert command[0] == "python3"
    (tmp_path / "config.toml").write_text("[alpaca]\nmode = 'alpaca'\n", encoding="utf-8")
    env = {
        "ALPACA_BROKER_API_KEY": "k",
        "ALPACA_BROKER_SECRET_KEY": "s",
        "PORTFOLIO_RT_SECRET": "a-signing-secret-of-at-least-32-characters",
    }
    app = create_app(load_settings(tmp_path / "config.toml", env=env))
    async with TestServer(app, host="127.0.0.1") as server:
        port = str(server.port)
        child_env = os.environ | {"PORTFOLIO_RT__SERVER__PORT": port}
        # The child runs the image's exact command; the server answers on this test's loop.
        assert await _run([sys.executable, *command[1:]], child_env) == 0
    assert await _run([sys.executable, *command[1:]], child_env) != 0  # nothing listens now


async def _run(argv: list[str], env: dict[str, str]) -> int:
    child = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return await asyncio.wait_for(child.wait(), 30)


def test_dockerignore_keeps_the_context_small() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"  # everything out, then only what the Dockerfile copies back in
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {
        "pyproject.toml",
        "setup.cfg",
        "README.md",
        "config.toml",
        "requirements/build.txt",
        "requirements/service.txt",
        "portfolio_rt",
        "web",
    }
    assert "web/node_modules" in lines
    for word, rest in instructions():
        if word == "COPY" and "--from=" not in rest:
            sources = rest.split()[:-1]
            assert all(src.rstrip("/") in allowed for src in sources), rest
