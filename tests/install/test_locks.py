"""The locks in requirements/ are what every install uses (`make run`, `make test`, the image):
every pin exact and hashed, the test lock agreeing with the service lock, all of them current
with setup.cfg, and the service lock alone enough to run the service in an empty virtual
environment, as the image and a newcomer's machine do."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import requests

from tests.fixtures.processes import ROOT, Process
from tests.fixtures.redis import free_port

REQUIREMENTS = ROOT / "requirements"
LOCKS = ("build.txt", "service.txt", "test.txt", "tools.txt", "legacy-sdk.txt")
HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}\s*\\?$")


def lock_changes() -> ModuleType:
    """scripts/lock_changes.py, the one parser of a lock's pins."""
    spec = importlib.util.spec_from_file_location("lock_changes", ROOT / "scripts/lock_changes.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pins(name: str) -> dict[str, str]:
    found: dict[str, str] = lock_changes().pins(REQUIREMENTS / name)
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_requirement_is_pinned_exactly_with_its_hashes(lock: str) -> None:
    lines = [line.strip() for line in (REQUIREMENTS / lock).read_text().splitlines()]
    requirements = [(i, line) for i, line in enumerate(lines) if line and line[0].isalnum()]
    assert requirements, lock
    for index, line in requirements:
        assert lock_changes().PIN.match(line), f"{lock}: not an exact pin: {line}"
        assert HASH.match(lines[index + 1]), f"{lock}: {line} has no hash"


def test_the_test_lock_pins_every_service_package_at_the_same_version() -> None:
    service, test = pins("service.txt"), pins("test.txt")
    assert service
    assert {name: test.get(name) for name in service} == service


def test_the_locks_are_current_with_setup_cfg(tmp_path: Path) -> None:
    """`make relock` on a copy keeps every pin (it resolves against the registry, starting from
    the committed pins): a requirement added to setup.cfg without `make lock` fails here."""
    for lock in REQUIREMENTS.iterdir():
        shutil.copy(lock, tmp_path / lock.name)
    uv = Path(sys.executable).parent / "uv"
    make = shutil.which("make")
    assert make is not None
    command = [make, "--no-print-directory", "-s", "relock", f"REQ={tmp_path}"]
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [*command, f"PY={sys.executable}", f"UV={uv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "no pin moved", done.stdout
    for lock in LOCKS:
        assert lock_changes().pins(tmp_path / lock) == pins(lock), lock


@pytest.mark.slow
def test_the_service_lock_alone_installs_and_runs_the_service(tmp_path: Path) -> None:
    """What the image does, in an empty virtual environment: the locked dependencies, then the
    package without dependencies; `pip check` finds nothing missing, and the service starts in
    sandbox mode, logs a demo user in and stops cleanly, with no test package installed."""
    venv, source, workdir = tmp_path / "venv", tmp_path / "src", tmp_path / "run"
    for part in ("portfolio_rt", "setup.cfg", "pyproject.toml", "README.md"):
        copy = shutil.copytree if (ROOT / part).is_dir() else shutil.copy
        copy(ROOT / part, source / part)
    workdir.mkdir()
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [*install, "--require-hashes", "-r", str(REQUIREMENTS / "build.txt")],
        [*install, "--require-hashes", "-r", str(REQUIREMENTS / "service.txt")],
        [*install, "--no-deps", "--no-build-isolation", str(source)],
        [str(python), "-m", "pip", "check"],
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    for step in steps:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            step, cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0, (step, done.stdout[-3000:], done.stderr[-3000:])

    listed = subprocess.run(  # noqa: S603 - fixed arguments
        [str(python), "-m", "pip", "list", "--format=freeze"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "pytest" not in listed.lower()

    port = free_port()
    service = Process(
        [str(python), "-m", "portfolio_rt", "--port", str(port)],
        env | {"PORTFOLIO_RT__LOG__FORMAT": "json"},
        port,
        tmp_path / "service.log",
        cwd=workdir,
    )
    service.start("/health")
    try:
        login = requests.post(
            service.url + "/api/auth/login",
            json={"username": "maya", "password": "demo"},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        summary = requests.get(
            service.url + "/api/portfolio/summary",
            headers={"Authorization": f"Bearer {login.json()['token']}"},
            timeout=30,
        )
        assert summary.status_code == 200, summary.text
        assert summary.json()["equity"]
    finally:
        assert service.stop() == 0, service.log.read_text()[-3000:]
