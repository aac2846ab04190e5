"""A real, throw-away ``redis-server`` for tests: free loopback port, no persistence.

Use the ``redis_url`` fixture (import it into a test module, or from conftest). The server
runs in the foreground of a child process (``--daemonize no``) and is stopped by its PID.
Tests using it fail (never skip) when ``redis-server`` is not installed: ``make install``
installs it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_component

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start redis-server in ``directory``; returns the process and its URL once it answers."""
    require_component("redis-server", REDIS_SERVER)
    import redis

    directory.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):  # a port taken between free_port() and bind: try another
        port = free_port()
        cmd = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--daemonize", "no",
               "--dir", str(directory), "--logfile", str(directory / "redis.log")]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if redis.Redis.from_url(url, socket_timeout=1).ping():
                    return proc, url
            except redis.ConnectionError:
                time.sleep(0.05)
        stop_redis(proc)
    raise RuntimeError(f"redis-server did not start; see {directory / 'redis.log'}")


def stop_redis(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    proc, url = start_redis(tmp_path / "redis")
    try:
        yield url
    finally:
        stop_redis(proc)
