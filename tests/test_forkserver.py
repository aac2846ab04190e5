"""tests/forkserver.py: a forked child is its own process, as ``python ...`` would be."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from tests import forkserver

PROBE = (
    "import json, os, sys; "
    "print(json.dumps([sys.argv, os.getcwd(), os.environ.get('PROBE'), sys.path[0], os.getpid(), "
    "sorted(m for m in ('newscrawl', 'tests', 'twisted.internet.reactor') if m in sys.modules)])); "
    "sys.stderr.write('to stderr'); sys.exit(int(sys.argv[1]))"
)


def test_child_gets_its_argv_env_cwd_streams_and_exit_status(tmp_path: Path) -> None:
    import json

    run = forkserver.run(
        [sys.executable, "-c", PROBE, "5"], cwd=tmp_path, env={"PROBE": "yes", "PATH": os.environ["PATH"]},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    argv, cwd, probe, path0, pid, preloaded = json.loads(run.stdout)
    assert run.returncode == 5 and run.stderr == "to stderr"
    assert argv == ["-c", "5"] and cwd == str(tmp_path) and probe == "yes" and path0 == ""
    assert pid != os.getpid() and preloaded == []  # the project is imported in the child, never before


def test_uncaught_exception_is_a_traceback_and_exit_1() -> None:
    run = forkserver.run([sys.executable, "-c", "raise ValueError('boom')"], capture_output=True, text=True)
    assert run.returncode == 1 and "Traceback" in run.stderr and "ValueError: boom" in run.stderr


def test_module_and_script_modes_run_as_main(tmp_path: Path) -> None:
    probe = tmp_path / "probe_mod.py"
    probe.write_text("import sys\nprint(__name__, sys.argv[1:])\n", "utf-8")
    run = forkserver.run([sys.executable, "-m", "probe_mod", "a"],
                         cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert (run.returncode, run.stdout) == (0, "__main__ ['a']\n")  # found through sys.path[0] = cwd
    script = forkserver.run([sys.executable, str(probe), "b"], capture_output=True, text=True)
    assert (script.returncode, script.stdout) == (0, "__main__ ['b']\n")


def test_signals_reach_the_child(tmp_path: Path) -> None:
    log = (tmp_path / "log").open("w")
    child = forkserver.popen([sys.executable, "-c", "import time; time.sleep(60)"], stdout=log)
    log.close()
    time.sleep(0.2)
    assert child.poll() is None
    child.send_signal(signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL


def test_other_commands_run_as_plain_subprocesses() -> None:
    assert forkserver.run(["/bin/sh", "-c", "exit 7"]).returncode == 7
    # interpreter options need a fresh interpreter: -X importtime reports its start-up imports
    fresh = forkserver.run([sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True)
    assert fresh.returncode == 0 and "import time:" in fresh.stderr and "encodings" in fresh.stderr
