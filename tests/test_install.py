"""scripts/install-system.sh (`make install`): what is missing is installed, or named in one line.

The script runs with a PATH holding only python3 and stand-ins for ``id``, ``sudo`` and
``apt-get`` (which record their arguments), so nothing is installed for real and
Chromium, redis-server and make look missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "install-system.sh"


def fake_bin(tmp_path: Path, uid: int, sudo_ok: bool) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    log = tmp_path / "calls.log"
    tools = {
        "id": f"echo {uid}",
        "apt-get": f'echo "apt-get $*" >> {log}',
        "sudo": f'[ "$1" = -n ] && shift; {"" if sudo_ok else "exit 1;"} [ "$1" = true ] && exit 0; '
        f'echo "sudo $*" >> {log}; "$@"',
    }
    for name, body in tools.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def install(tmp_path: Path, uid: int, sudo_ok: bool = False) -> tuple[subprocess.CompletedProcess[str], str]:
    env = {"PATH": str(fake_bin(tmp_path, uid, sudo_ok)), "NEWSCRAWL_CHROMIUM": "/nonexistent/chromium"}
    run = subprocess.run(["/bin/bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    log = tmp_path / "calls.log"
    return run, log.read_text() if log.exists() else ""


def missing() -> list[str]:
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    return ["chromium", "redis-server", *([] if found else ["postgresql"]), "make"]


def test_as_root_it_installs_what_is_missing_and_says_so(tmp_path: Path) -> None:
    run, calls = install(tmp_path, uid=0)
    assert run.returncode == 0, run.stderr
    packages = " ".join(missing())
    assert calls.splitlines() == [
        "apt-get -o DPkg::Lock::Timeout=300 update -q",
        f"apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends {packages}",
    ]
    assert "==> system: chromium missing" in run.stdout and "==> system: python3-venv ok" in run.stdout
    assert f"==> system: installed {packages}" in run.stdout


def test_with_passwordless_sudo_it_uses_sudo(tmp_path: Path) -> None:
    run, calls = install(tmp_path, uid=1000, sudo_ok=True)
    assert run.returncode == 0, run.stderr
    assert calls.splitlines()[0] == "sudo apt-get -o DPkg::Lock::Timeout=300 update -q"


def test_without_root_or_sudo_it_stops_with_the_exact_command(tmp_path: Path) -> None:
    run, calls = install(tmp_path, uid=1000)
    assert run.returncode == 1 and calls == ""
    packages = " ".join(missing())
    assert run.stderr == (
        f"make install: missing {packages}; run: sudo apt-get update"
        f" && sudo apt-get install -y --no-install-recommends {packages}\n"
    )


def test_nothing_missing_nothing_done() -> None:
    if not (shutil.which("redis-server") and shutil.which("make")):
        raise AssertionError("this machine lacks what `make install` provides: run `make install`")
    env = {k: v for k, v in os.environ.items() if k != "NEWSCRAWL_CHROMIUM"}
    run = subprocess.run(["/bin/bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "missing" not in run.stdout and "apt-get" not in run.stdout
