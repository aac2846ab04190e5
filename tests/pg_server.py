"""A real, throw-away PostgreSQL server for tests: free loopback port, own data directory.

``start_postgres()`` runs Debian's ``initdb`` and ``postgres`` (``/usr/lib/postgresql/*/bin``)
in the foreground of a child process, stopped by its PID (``stop_postgres``). The server
refuses to run as root, so as root the data directory is handed to the ``postgres``
system user (created by the Debian package) and the child runs as that user. Password
authentication (scram) for the user ``newscrawl`` on 127.0.0.1 only. Tests using it fail
(never skip) when PostgreSQL is not installed: ``make install`` installs it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_component

USER, PASSWORD = "newscrawl", "s3cret-pw"


def _bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    which = shutil.which("postgres")
    return Path(which).parent if which else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Postgres:
    proc: subprocess.Popen[bytes]
    root: Path
    port: int

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"


def start_postgres() -> Postgres:
    bindir = _bindir()
    if bindir is None:
        bindir = Path(require_component("PostgreSQL", "postgres")).parent
    import psycopg

    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root and there is no 'postgres' user to run the server as", pytrace=False)
    # not under pytest's tmp_path: as root that is private to root, and the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="newscrawl-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    (root / "pw").write_text(PASSWORD + "\n")
    if user is not None:
        for path in (root, sock, root / "pw"):
            os.chown(path, user.pw_uid, user.pw_gid)
    as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={root / 'pw'}",
         "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"],
        check=True, capture_output=True, cwd=root, **as_user,
    )  # fmt: skip
    for _attempt in range(3):  # a port taken between free_port() and bind: try another
        port = free_port()
        cmd = [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
               "-k", str(sock), "-c", "fsync=off", "-c", "synchronous_commit=off",
               "-c", "full_page_writes=off", "-c", "logging_collector=off"]  # fmt: skip
        log = (root / "postgres.log").open("ab")
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, cwd=root, **as_user)  # type: ignore[call-overload]
        server = Postgres(proc, root, port)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                psycopg.connect(server.url(), connect_timeout=2).close()
                return server
            except psycopg.OperationalError:
                time.sleep(0.1)
        stop_postgres(server, remove=False)
    raise RuntimeError(f"postgres did not start; see {root / 'postgres.log'}")


def stop_postgres(server: Postgres, *, remove: bool = True) -> None:
    """SIGINT (PostgreSQL's fast shutdown) to the server's PID; then its directory goes."""
    proc = server.proc
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if remove:
        shutil.rmtree(server.root, ignore_errors=True)
