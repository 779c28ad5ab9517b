"""The suite's fixtures live in tests/fixtures/, one module per concern, registered here."""

from __future__ import annotations

import shutil
import subprocess

pytest_plugins = [
    "tests.fixtures.logs",
    "tests.fixtures.redis",
    "tests.fixtures.sandbox",
    "tests.fixtures.service",
    "tests.fixtures.live",
    "tests.fixtures.frozen",
]

TOOLS = {"chromium": "/usr/bin/chromium", "redis-server": "redis-server", "node": "node"}


def pytest_report_header() -> list[str]:
    """The Debian programs this run uses, beside the locked Python packages (README)."""
    versions = []
    for name, program in TOOLS.items():
        path = shutil.which(program)
        if path is None:
            versions.append(f"{name} missing")
            continue
        done = subprocess.run(  # noqa: S603 - a fixed program's --version
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        first = (done.stdout.strip().splitlines() or ["?"])[0]
        versions.append(first if name.split("-")[0] in first.lower() else f"{name} {first}")
    return ["programs: " + "; ".join(versions)]
