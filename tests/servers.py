"""Real servers for the deployment tests: ``scrapyd`` and ``redis-server`` on loopback.

Each is started on a free port in a temporary directory, waited for, and stopped
by PID (SIGTERM, then SIGKILL). Processes inherit no ``NEWSCRAWL_*``/``SCRAPYD_*``
variables from the developer's shell.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSCRAWL_", "SCRAPYD_", "REDIS_"))}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Stop one process we started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def _wait_until(
    check: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up in {timeout}s")


@dataclass
class ScrapydServer:
    url: str
    root: Path
    username: str | None
    password: str | None
    proc: subprocess.Popen[bytes]

    def get(self, endpoint: str, *, auth: bool = True) -> tuple[int, bytes]:
        request = urllib.request.Request(f"{self.url}/{endpoint}")
        if auth and self.username:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


@contextmanager
def scrapyd(
    root: Path, *, username: str | None = None, password: str | None = None
) -> Iterator[ScrapydServer]:
    """A scrapyd 1.6 of this venv, configured by a scrapyd.conf in ``root`` (its cwd)."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = {
        "bind_address": "127.0.0.1",
        "http_port": str(port),
        "eggs_dir": str(root / "eggs"),
        "logs_dir": str(root / "logs"),
        "items_dir": "",  # FEEDS come from NEWSCRAWL_DATA_DIR (docs/deploy.md)
        "dbs_dir": str(root / "dbs"),
        "jobs_to_keep": "5",
        "poll_interval": "0.5",
        "max_proc": "2",
        "username": username or "",
        "password": password or "",
    }
    (root / "scrapyd.conf").write_text(
        "[scrapyd]\n" + "".join(f"{k} = {v}\n" for k, v in conf.items()), "utf-8"
    )
    log = (root / "scrapyd.out").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "scrapyd"), "--pidfile", str(root / "scrapyd.pid")],
        cwd=root,
        env=clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = ScrapydServer(f"http://127.0.0.1:{port}", root, username, password, proc)

    def up() -> bool:
        try:
            return server.get("daemonstatus.json")[0] == 200
        except OSError:
            return False

    try:
        _wait_until(up, "scrapyd", proc)
        yield server
    finally:
        stop(proc)
        log.close()


@contextmanager
def redis_server(root: Path) -> Iterator[str]:
    """A throw-away redis-server (no persistence) on a free loopback port; yields its URL."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(root), "--daemonize", "no"],
        stdout=(root / "redis.out").open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        _wait_until(up, "redis-server", proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)
