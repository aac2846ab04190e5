"""Start the tests' Python child processes without paying the interpreter's start-up each time.

A ``python -m scrapy crawl`` spends about 0.8 s of its ~1.4 s importing Scrapy, Twisted,
Playwright, aiohttp, pydantic, redis... before its first request, and the suite starts
some 150 of them. A fork server imports those third-party modules once and forks one child
per command. Each child is still its own process: it gets the command's argv, environment,
working directory, stdin/stdout/stderr (passed as file descriptors), its own PID (signals
such as SIGKILL and SIGINT reach it) and its exit status, and runs ``python -m MODULE``,
``python -c CODE`` or ``python SCRIPT`` the way the interpreter does (``runpy``, as
``__main__``, normal interpreter shutdown; an uncaught exception prints its traceback and
exits 1).

What the children share is what the server imported before forking (third-party modules
only, with ``gc.freeze()`` so that no child's garbage collection walks them) and a private
bytecode cache for what the children import after (the project's sources are compiled once,
not once per child; an edited file is compiled again as usual). Never ``newscrawl``: project
code, and whatever it reads from the environment at import, runs in the child. Never
``twisted.internet.reactor``: each crawl installs its own. Tests about what a fresh
interpreter imports (``import newscrawl`` stays cheap, the database driver is imported
lazily, the Scrapyd egg) keep plain ``subprocess``.

``run()`` and ``popen()`` take the subset of ``subprocess.run``/``Popen`` arguments the tests
use and fall back to ``subprocess`` for any other command. ``NEWSCRAWL_TEST_FORKSERVER=0``
turns the server off (every child a fresh interpreter). The server (one per pytest process,
so one per xdist worker) listens on a Unix socket in a private temporary directory and is
stopped by PID at the end of the session (``stop()``, called from conftest).

Run as ``python tests/forkserver.py SOCKET``: the server itself.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import runpy
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import IO, Any

# Imported once by the server: what a crawl, the CLI, the canary and the reports import
# from outside the project (measured with ``python -X importtime -m scrapy crawl``).
PRELOAD = (
    "scrapy.cmdline", "scrapy.crawler", "scrapy.commands.crawl", "scrapy.commands.runspider",
    "scrapy.core.engine", "scrapy.core.scheduler", "scrapy.core.downloader.handlers.http11",
    "scrapy.extensions.feedexport", "scrapy.exporters", "scrapy.http", "scrapy.spiders",
    "scrapy.downloadermiddlewares.retry", "scrapy.utils.test", "scrapy_playwright.handler",
    "playwright.async_api", "aiohttp", "pydantic", "redis", "scrapy_redis.scheduler",
    "scrapy_redis.dupefilter", "spidermon.contrib.scrapy.extensions",
    "spidermon.contrib.scrapy.monitors", "spidermon.contrib.scrapy.runners", "itemadapter",
    "lxml.html", "w3lib.html", "protego", "tldextract", "warcio", "dateparser", "htmldate",
    "trafilatura", "sqlite3",
)  # fmt: skip
FORBIDDEN = ("newscrawl", "tests", "twisted.internet.reactor")
_HEADER = struct.Struct("!Q")


# --- the server (runs in its own process) -------------------------------------------------------


def _recv_exact(conn: socket.socket, size: int, data: bytes = b"") -> bytes:
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError("client went away")
        data += chunk
    return data


def _read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    first, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    first = _recv_exact(conn, _HEADER.size, first) if len(first) < _HEADER.size else first
    (size,) = _HEADER.unpack(first[: _HEADER.size])
    body = _recv_exact(conn, size, first[_HEADER.size :])
    return json.loads(body), fds


def _monitor(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """In a forked copy of the server: fork the child, report its PID, then its exit status.
    Returns only in the child, with the request it is to run."""
    request, fds = _read_request(conn)
    pid = os.fork()
    if pid == 0:
        conn.close()
        return request, fds
    for fd in fds:
        os.close(fd)
    conn.sendall(f"P{pid}\n".encode())
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        conn.sendall(f"S{os.waitstatus_to_exitcode(status)}\n".encode())
    os._exit(0)


def serve(path: str) -> tuple[dict[str, Any], list[int]]:
    """Accept requests forever; returns only in a forked child."""
    for name in PRELOAD:
        importlib.import_module(name)
    loaded = [m for m in sys.modules if m.split(".")[0] in FORBIDDEN[:2] or m == FORBIDDEN[2]]
    if loaded:
        raise RuntimeError(f"the fork server must not import {loaded}")
    gc.freeze()  # the preloaded objects: never collected, so a child's collections skip them
    # the project's modules are compiled in the first child and read from the cache by the others
    # (PYTHONDONTWRITEBYTECODE would have each child compile them again); the cache is private
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(Path(path).parent / "pycache")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    print("ready", flush=True)
    while True:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:  # reap finished monitors
                pass
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        if os.fork() == 0:
            listener.close()
            try:
                return _monitor(conn)
            except BaseException:  # noqa: BLE001 - a monitor never returns into the server's loop
                os._exit(70)
        conn.close()


def become(request: dict[str, Any], fds: list[int]) -> None:
    """Turn this forked process into ``python <request["args"]>`` and run it."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    mode, target, *args = request["args"]
    if mode == "-m":
        sys.argv = [target, *args]
        sys.path[0] = os.getcwd()
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    elif mode == "-c":
        sys.argv = ["-c", *args]
        sys.path[0] = ""
        main = types.ModuleType("__main__")
        sys.modules["__main__"] = main
        exec(compile(target, "<string>", "exec"), main.__dict__)  # what `python -c` does
    else:
        sys.argv = [target, *args]
        sys.path[0] = str(Path(target).resolve().parent)
        runpy.run_path(target, run_name="__main__")


# --- the client (in the test process) -----------------------------------------------------------

_server: tuple[subprocess.Popen[bytes], str, Path] | None = None


def _enabled() -> bool:
    return os.environ.get("NEWSCRAWL_TEST_FORKSERVER", "1") != "0"


def _start() -> str:
    global _server
    if _server is None or _server[0].poll() is not None:
        root = Path(tempfile.mkdtemp(prefix="newscrawl-fork-"))
        path = str(root / "sock")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSCRAWL_", "SCRAPYD_", "REDIS_"))}
        proc = subprocess.Popen(
            [sys.executable, __file__, path], env=env, cwd=root,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=(root / "server.log").open("wb"),
        )  # fmt: skip
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != b"ready":
            proc.wait(30)
            raise RuntimeError(f"fork server did not start: {(root / 'server.log').read_text()[-3000:]}")
        _server = (proc, path, root)
        atexit.register(stop)
    return _server[1]


def stop() -> None:
    """Stop the server this process started, by its PID (running children are left to finish)."""
    global _server
    if _server is not None:
        proc, _, root = _server
        _server = None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(15)
        shutil.rmtree(root, ignore_errors=True)


def _python_args(cmd: list[str]) -> list[str] | None:
    """The interpreter arguments of ``cmd`` when the server can run it, else None."""
    if len(cmd) < 2 or cmd[0] != sys.executable:
        return None
    if cmd[1] in ("-m", "-c") and len(cmd) >= 3:
        return [cmd[1], *cmd[2:]]
    if not cmd[1].startswith("-"):
        return ["script", *cmd[1:]]
    return None


class Child:
    """A forked child: the part of ``subprocess.Popen`` the tests use."""

    def __init__(self, args: list[str], conn: socket.socket, pid: int) -> None:
        self.args, self._conn, self.pid = args, conn, pid
        self.returncode: int | None = None
        self._buffer = b""

    def _read_status(self, timeout: float | None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        self._conn.settimeout(timeout)
        try:
            while b"\n" not in self._buffer:
                chunk = self._conn.recv(64)
                if not chunk:
                    raise RuntimeError(f"fork server lost child {self.pid}")
                self._buffer += chunk
        except (TimeoutError, BlockingIOError):
            return None
        self.returncode = int(self._buffer.split(b"\n")[0].removeprefix(b"S"))
        self._conn.close()
        return self.returncode

    def poll(self) -> int | None:
        return self._read_status(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._read_status(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _fileno(stream: Any, default: int | None) -> tuple[int, IO[bytes] | None]:
    """A file descriptor for one of the child's standard streams (and a file to close)."""
    if stream is None:
        assert default is not None
        return default, None
    if stream == subprocess.DEVNULL:
        devnull = open(os.devnull, "r+b")  # closed once the child has it
        return devnull.fileno(), devnull
    if isinstance(stream, int):
        return stream, None
    return stream.fileno(), None


def popen(
    cmd: list[str], *, cwd: str | Path | None = None, env: dict[str, str] | None = None,
    stdin: Any = subprocess.DEVNULL, stdout: Any = None, stderr: Any = None,
) -> Child | subprocess.Popen[Any]:  # fmt: skip
    """``subprocess.Popen(cmd, ...)`` through the fork server when it can run ``cmd``.

    ``stdout``/``stderr``: None (inherit), ``subprocess.DEVNULL``, an open file or a file
    descriptor; ``stderr=subprocess.STDOUT`` too. Pipes are not supported (use files)."""
    args = _python_args(cmd)
    if args is None or not _enabled() or subprocess.PIPE in (stdin, stdout, stderr):
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=stderr)
    opened: list[IO[bytes]] = []
    fds = []
    for stream, default in ((stdin, 0), (stdout, 1)):
        fd, extra = _fileno(stream, default)
        fds.append(fd)
        opened += [extra] if extra else []
    if stderr == subprocess.STDOUT:
        fds.append(fds[1])
    else:
        fd, extra = _fileno(stderr, 2)
        fds.append(fd)
        opened += [extra] if extra else []
    request = {
        "args": args,
        "cwd": str(cwd if cwd is not None else os.getcwd()),
        "env": dict(os.environ if env is None else env),
    }
    body = json.dumps(request).encode()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(_start())
        socket.send_fds(conn, [_HEADER.pack(len(body)) + body], fds)
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.recv(1)
            if not chunk:
                raise RuntimeError("fork server closed the connection before the child started")
            line += chunk
    except BaseException:
        conn.close()
        raise
    finally:
        for file in opened:
            file.close()
    return Child(cmd, conn, int(line[1:-1]))


def run(
    cmd: list[str], *, cwd: str | Path | None = None, env: dict[str, str] | None = None,
    capture_output: bool = False, text: bool = False, timeout: float | None = None, check: bool = False,
) -> subprocess.CompletedProcess[Any]:  # fmt: skip
    """``subprocess.run(cmd, ...)`` through the fork server when it can run ``cmd``."""
    if _python_args(cmd) is None or not _enabled():
        return subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=capture_output, text=text, timeout=timeout, check=check
        )
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        streams = (out, err) if capture_output else (None, None)
        child = popen(cmd, cwd=cwd, env=env, stdout=streams[0], stderr=streams[1])
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise
        captured: list[Any] = [None, None]
        if capture_output:
            for i, file in enumerate((out, err)):
                file.seek(0)
                data = file.read()
                captured[i] = data.decode("utf-8") if text else data
    result = subprocess.CompletedProcess(cmd, code, captured[0], captured[1])
    if check:
        result.check_returncode()
    return result


if __name__ == "__main__":
    sys.path[0] = ""  # not tests/: the children never see this script's directory
    become(*serve(sys.argv[1]))
