#!/usr/bin/env python3
# ruff: noqa: S603, S607 - an operator's tool running podman, mount and the image's command
"""Check a built image without a container engine (`podman run` cannot work here).

Mounts the image's file system (`podman image mount`), checks its configuration and content,
then starts the service inside it with chroot, as the image's own user, working directory,
environment and command, on a free loopback port: waits for GET /health, reads /metrics,
sends SIGTERM and expects exit status 0 within 10 s (a container runtime's grace period).

Usage: check_image.py [IMAGE]   (default: $IMAGE or localhost/portfolio-rt:latest; needs root)
Standard library only: it runs on the host's python3, before any project set-up.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

BUILD_TOOLS = ("gcc", "cc", "c++", "g++", "make", "npm", "node", "pip", "pip3")
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0


class CheckFailed(Exception):
    pass


def podman(*args: str) -> str:
    return subprocess.run(
        ["podman", *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def passwd_ids(root: Path, user: str) -> tuple[int, int]:
    """uid and gid of `user` (a name or a number, optionally `:group`) inside the image."""
    name = user.split(":", 1)[0]
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if name in (fields[0], fields[2]):
            return int(fields[2]), int(fields[3])
    raise CheckFailed(f"user {user!r} is not in the image's /etc/passwd")


def check_config(image: dict[str, Any]) -> None:
    config = image["Config"]
    user = str(config.get("User") or "")
    if user.split(":", 1)[0] in ("", "0", "root"):
        raise CheckFailed(f"the image runs as root (User={user!r})")
    ports = sorted(dict(config.get("ExposedPorts") or {}))
    if ports != ["8080/tcp"]:
        raise CheckFailed(f"exposes {ports}, expected only 8080/tcp")
    # podman reports a docker-format image's health check beside its config, docker inside it.
    health = (image.get("Healthcheck") or config.get("Healthcheck") or {}).get("Test") or []
    if "/health" not in " ".join(health):
        raise CheckFailed(f"no HEALTHCHECK on /health: {health}")
    cmd = config.get("Cmd")
    if not isinstance(cmd, list) or not cmd:
        raise CheckFailed(f"CMD is not exec form: {cmd!r}")
    print(f"  user={user} ports={ports} cmd={cmd}")


def check_content(root: Path, workdir: str) -> None:
    for directory in ("usr/bin", "usr/local/bin", "bin", "opt/venv/bin"):
        for tool in BUILD_TOOLS:
            if (root / directory / tool).exists():
                raise CheckFailed(f"the final image holds a build tool: /{directory}/{tool}")
    app = root / workdir.lstrip("/")
    for needed in ("config.toml", "web/index.html"):
        if not (app / needed).is_file():
            raise CheckFailed(f"missing {workdir}/{needed}")
    package = Path("web/package.json")
    declares_packages = package.exists() and json.loads(package.read_text()).get("dependencies")
    if declares_packages and not (app / "web/node_modules").is_dir():
        raise CheckFailed("web/node_modules is missing (npm ci --omit=dev)")


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - loopback only
        return response.status, response.headers.get("Content-Type", ""), response.read()


def run_service(root: Path, config: dict[str, Any], uid: int, gid: int) -> None:
    port = free_port()
    env = dict(str(item).split("=", 1) for item in config.get("Env") or [])
    env |= {"PORTFOLIO_RT__SERVER__HOST": "127.0.0.1", "PORTFOLIO_RT__SERVER__PORT": str(port)}
    workdir = str(config.get("WorkingDir") or "/")
    cmd = [str(part) for part in config["Cmd"]]

    def enter_image() -> None:
        os.chroot(root)
        os.chdir(workdir)
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)

    # The command is looked up on the image's PATH, inside the chroot.
    path = env.get("PATH", "/usr/bin:/bin")
    program = next(
        (f"{d}/{cmd[0]}" for d in path.split(":") if (root / d.lstrip("/") / cmd[0]).exists()),
        cmd[0],
    )
    print(f"  starting {cmd} in the image as {uid}:{gid} on port {port}")
    started = time.monotonic()
    process = subprocess.Popen(
        [program, *cmd[1:]],
        env=env,
        preexec_fn=enter_image,  # this script runs no threads
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            if process.poll() is not None:
                raise CheckFailed(f"the service exited with {process.returncode} at start")
            try:
                status, _, body = get(f"{base}/health")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - started > START_TIMEOUT_S:
                raise CheckFailed(f"no answer on /health within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.5)
        print(f"  /health: {status} {body.decode()} after {time.monotonic() - started:.1f} s")
        status, content_type, metrics = get(f"{base}/metrics")
        if status != 200 or b"portfolio_rt_http_requests_total" not in metrics:
            raise CheckFailed(f"/metrics: {status} {content_type}")
        print(f"  /metrics: {status} {content_type}, {len(metrics)} bytes")
        status, content_type, page = get(f"{base}/")
        if status != 200 or not content_type.startswith("text/html") or b"<html" not in page:
            raise CheckFailed(f"the dashboard page: {status} {content_type}")
        print(f"  /: {status} {content_type}, {len(page)} bytes")
        try:
            status = get(f"{base}/ready")[0]
        except urllib.error.HTTPError as exc:
            status = exc.code
        print(f"  /ready: {status}")

        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"still running {STOP_TIMEOUT_S:.0f} s after SIGTERM") from None
        if code != 0:
            raise CheckFailed(f"exit status {code} after SIGTERM")
        print(f"  SIGTERM: exit 0 after {time.monotonic() - stopping:.1f} s")
    except CheckFailed:
        if process.poll() is None:
            process.kill()
        output = process.communicate()[0].decode(errors="replace")
        print("---- service output ----\n" + output[-4000:], file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def main() -> int:
    image = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("IMAGE", "")
    image = image or "localhost/portfolio-rt:latest"
    print(f"==> checking {image}")
    inspected = json.loads(podman("image", "inspect", image))[0]
    config = inspected["Config"]
    root = Path(podman("image", "mount", image))
    mounts: list[Path] = []
    try:
        check_config(inspected)
        check_content(root, str(config.get("WorkingDir") or "/"))
        uid, gid = passwd_ids(root, str(config["User"]))
        for source, target, args in (("proc", "proc", ["-t", "proc"]), ("/dev", "dev", ["--bind"])):
            subprocess.run(["mount", *args, source, str(root / target)], check=True)
            mounts.append(root / target)
        run_service(root, config, uid, gid)
    except CheckFailed as exc:
        print(f"check_image: FAIL: {exc}", file=sys.stderr)
        return 1
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", str(mount)], check=False)
        subprocess.run(["podman", "image", "unmount", image], check=False, capture_output=True)
    print(f"==> {image}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
