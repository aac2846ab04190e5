"""Deploy to a real Scrapyd and schedule through it (scrapyd 1.6, scrapyd-client 2.0.3).

One scrapyd with basic authentication is started on a free loopback port in a
temporary directory; the project is deployed with ``scrapyd-deploy`` (the target
comes from a scrapy.cfg under ``$XDG_CONFIG_HOME``, credentials from
``SCRAPYD_USERNAME``/``SCRAPYD_PASSWORD`` as ``make deploy`` passes them), and
``newscrawl-schedule`` runs ``arab_news`` on a generated replay snapshot.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.settings import Settings

from newscrawl.addons import NewscrawlAddon
from newscrawl.operations import schedule
from tests.conftest import ROOT
from tests.servers import BIN, ScrapydServer, clean_env, free_port, scrapyd
from tests.synth import arab_news_snapshot

USER, PASSWORD = "crawler", "s3cret-pass"
ARTICLES = 12


def test_egg_holds_the_package_only(tmp_path: Path) -> None:
    egg = tmp_path / "newscrawl.egg"
    subprocess.run(
        [str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)],
        cwd=ROOT, env=clean_env(), check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with zipfile.ZipFile(egg) as z:
        names = z.namelist()
        entry_points = z.read("EGG-INFO/entry_points.txt").decode()
    assert "newscrawl/__init__.py" in names and "newscrawl/spiders/arab_news.py" in names
    assert {n.split("/")[0] for n in names} == {"newscrawl", "EGG-INFO"}, "only the package in the egg"
    assert not [n for n in names if n.startswith("newscrawl/") and not n.endswith((".py", ".pyc"))], (
        "no data files in the egg (package data would be read with importlib.resources)"
    )
    assert "settings = newscrawl.settings" in entry_points
    # zipped eggs have no real files next to the modules: package code never uses __file__
    assert not [p for p in (ROOT / "newscrawl").rglob("*.py") if "__file__" in p.read_text("utf-8")]
    # as Scrapyd's runner does: the egg (a zip) wins over the checkout, every module imports from it
    probe = (
        "import importlib, pkgutil, sys\n"
        "from scrapyd.runner import activate_egg\n"
        f"activate_egg({str(egg)!r})\n"
        "import newscrawl\n"
        "mods = [m.name for m in pkgutil.walk_packages(newscrawl.__path__, 'newscrawl.')]\n"
        "files = {importlib.import_module(m).__file__ for m in mods}\n"
        "print(len(mods), newscrawl.__file__, sorted(files)[0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=clean_env(),
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout.split()  # fmt: skip
    assert int(out[0]) > 10
    assert out[1] == f"{egg}/newscrawl/__init__.py" and out[2].startswith(f"{egg}/newscrawl/")


def test_scrapyd_items_dir_replaces_our_feeds() -> None:
    """With items_dir set, Scrapyd passes -s FEEDS=...; the addon then adds no feed of its own."""
    scrapyd_feed = json.dumps({"file:///srv/items/newscrawl/arab_news/job1.jl": {"format": "jsonlines"}})
    settings = Settings({"NEWSCRAWL_FEEDS": True, "NEWSCRAWL_DATA_DIR": "/srv/data"})
    settings.set("FEEDS", scrapyd_feed, priority="cmdline")
    NewscrawlAddon().update_settings(settings)
    assert list(settings.getdict("FEEDS")) == ["file:///srv/items/newscrawl/arab_news/job1.jl"]
    own = Settings({"NEWSCRAWL_FEEDS": True, "NEWSCRAWL_DATA_DIR": "/srv/data"})
    NewscrawlAddon().update_settings(own)
    assert list(own.getdict("FEEDS")) == ["/srv/data/%(name)s/%(time)s.jsonl"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScrapydServer]:
    root = tmp_path_factory.mktemp("scrapyd")
    with scrapyd(root / "server", username=USER, password=PASSWORD) as srv:
        config = root / "xdg"
        config.mkdir()
        (config / "scrapy.cfg").write_text(
            f"[deploy:test]\nurl = {srv.url}\nproject = newscrawl\n"
            "username = $SCRAPYD_USERNAME\npassword = $SCRAPYD_PASSWORD\n",
            "utf-8",
        )
        deploy = subprocess.run(
            [str(BIN / "scrapyd-deploy"), "test", "--version", "r1"],
            cwd=ROOT,
            env=clean_env(XDG_CONFIG_HOME=str(config), SCRAPYD_USERNAME=USER, SCRAPYD_PASSWORD=PASSWORD),
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert deploy.returncode == 0, deploy.stderr + deploy.stdout
        answer = json.loads(deploy.stdout)
        assert answer["status"] == "ok" and answer["spiders"] >= 1, answer
        yield srv


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = schedule.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_unauthenticated_call_is_refused(server: ScrapydServer) -> None:
    status, _ = server.get("listprojects.json", auth=False)
    assert status == 401
    status, body = server.get("listprojects.json")
    assert status == 200 and "newscrawl" in json.loads(body)["projects"]


def test_scheduler_says_why_it_fails(server: ScrapydServer, capsys: pytest.CaptureFixture[str]) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    code, _, err = _run(["--url", closed, "arab_news"], capsys)
    assert code == schedule.EXIT_SCRAPYD and "unreachable" in err
    code, _, err = _run(["--url", server.url, "--username", USER, "--password", "wrong", "arab_news"], capsys)
    assert code == schedule.EXIT_SCRAPYD and "401" in err and "SCRAPYD_USERNAME" in err
    code, _, err = _run(["--url", server.url, "arab_news"], capsys)  # no credentials
    assert code == schedule.EXIT_SCRAPYD and "401" in err
    auth = ["--url", server.url, "--username", USER, "--password", PASSWORD]
    code, _, err = _run([*auth, "no_such_spider"], capsys)
    assert code == schedule.EXIT_SCRAPYD and "no spider ['no_such_spider']" in err
    code, _, err = _run([*auth, "--project", "nope", "arab_news"], capsys)
    assert code == schedule.EXIT_SCRAPYD and "refused" in err and "nope" in err
    code, _, err = _run([*auth, "-a", "max_pages=0", "arab_news"], capsys)
    assert code == schedule.EXIT_USAGE and "max_pages" in err


def test_deploy_schedule_and_export(
    server: ScrapydServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = arab_news_snapshot(tmp_path / "snapshot", ARTICLES)
    data = tmp_path / "data"
    options = [
        "--url", server.url + "/",  # a trailing slash is tolerated
        "-s", f"NEWSCRAWL_REPLAY={tmp_path / 'snapshot'}",
        "-s", f"NEWSCRAWL_DATA_DIR={data}",
        "-a", "edition=en",
    ]  # fmt: skip
    env = clean_env(SCRAPYD_USERNAME=USER, SCRAPYD_PASSWORD=PASSWORD)
    started = time.monotonic()
    # the console script, credentials from the environment
    first = subprocess.run(
        [str(BIN / "newscrawl-schedule"), *options, "arab_news"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "arab_news @ " in first.stdout and "scheduled job" in first.stdout
    job = first.stdout.split("scheduled job ")[1].split()[0]

    # while it is pending or running, a second run does not schedule it again
    second = subprocess.run(
        [str(BIN / "newscrawl-schedule"), *options, "arab_news"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert f"skipped, job {job} is already pending or running" in second.stdout

    params = schedule.ScheduleParams(urls=[server.url], username=USER, password=PASSWORD, poll=0.5)
    assert schedule.wait(params, [schedule.Job(server.url, "arab_news", job)], say=lambda _: None)
    elapsed = time.monotonic() - started

    outputs = list((data / "arab_news").glob("*.jsonl"))
    assert len(outputs) == 1, outputs
    items = [json.loads(line) for line in outputs[0].read_text("utf-8").splitlines()]
    assert sorted(item["url"] for item in items) == sorted(urls)
    assert all(item["source"] == "arab_news" and item["body"] for item in items)
    log = next((server.root / "logs" / "newscrawl" / "arab_news").glob(f"{job}.log")).read_text("utf-8")
    assert "Spider closed (finished)" in log
    report = json.loads(next((data / "reports" / "arab_news").glob("*.json")).read_text("utf-8"))
    assert report["job"] == job and report["items"] == ARTICLES
    print(f"scrapyd: scheduled, crawled {ARTICLES} articles and finished in {elapsed:.1f}s")


def test_wait_checks_monitors(
    server: ScrapydServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--wait exits 3 when the finished job's monitors failed (here: no items at all)."""
    arab_news_snapshot(tmp_path / "snapshot", 3)
    auth = ["--url", server.url, "--username", USER, "--password", PASSWORD]
    code, out, err = _run(
        [*auth, "--wait", "--poll", "0.5", "arab_news",
         "-s", f"NEWSCRAWL_REPLAY={tmp_path / 'snapshot'}", "-s", f"NEWSCRAWL_DATA_DIR={tmp_path / 'data'}",
         "-a", "since=2030-01-01"],
        capsys,
    )  # fmt: skip
    assert "finished" in out
    assert code == schedule.EXIT_MONITORS, err
    assert "monitors failed" in err and "Item count" in err


# --- arguments, restarts, lost jobs, distributed rounds (issue 12) ---------------------------------


@pytest.mark.parametrize(
    ("argument", "message"),
    [("edition=fr", "-a edition='fr': unknown edition 'fr', choose from en"),
     ("sincee=2026-11-01", "unknown spider argument(s) sincee"),
     ("max_pages=many", "-a max_pages='many'"), ("until=someday", "not an ISO date")],
)  # fmt: skip
def test_scheduler_validates_spider_arguments_like_the_spider(
    argument: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: validation comes before any call
    code, _, err = _run(["--url", closed, "-a", argument, "arab_news"], capsys)
    assert code == schedule.EXIT_USAGE and message in err, err
    assert err.count("\n") == 1  # one line


def test_wait_finds_finished_and_lost_jobs_after_a_scrapyd_restart(
    server: ScrapydServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arab_news_snapshot(tmp_path / "snapshot", 3)
    data = tmp_path / "data"
    params = schedule.ScheduleParams(
        urls=[server.url], username=USER, password=PASSWORD, poll=0.5, spiders=["arab_news"], data_dir=data,
        settings={"NEWSCRAWL_REPLAY": str(tmp_path / "snapshot"), "NEWSCRAWL_DATA_DIR": str(data)},
    )  # fmt: skip
    [job] = schedule.schedule(params, say=lambda _: None)
    assert schedule.wait(params, [job], say=lambda _: None) == {job: schedule.FINISHED}
    # a restarted Scrapyd (same eggs, new process) has forgotten every job
    shutil.copytree(server.root / "eggs", tmp_path / "restarted" / "eggs")
    with scrapyd(tmp_path / "restarted", username=USER, password=PASSWORD) as restarted:
        after = params.model_copy(update={"urls": [restarted.url], "lost_after": 2.0, "wait_timeout": 60.0})
        finished = schedule.Job(restarted.url, "arab_news", job.id)
        lost = schedule.Job(restarted.url, "arab_news", "0" * 32)  # died with the old Scrapyd: no report
        started = time.monotonic()
        lines: list[str] = []
        outcome = schedule.wait(after, [finished, lost], say=lines.append)
        assert time.monotonic() - started < 20, "waited for jobs Scrapyd had forgotten"
    assert outcome == {finished: schedule.FINISHED, lost: schedule.LOST}, lines
    assert any("no longer listed" in line for line in lines) and any("lost" in line for line in lines)
    said: list[str] = []
    problems = schedule.judge(after, outcome, say=said.append)
    assert problems == [f"arab_news job {lost.id} @ {restarted.url}: lost, no run report"]
    [line] = said
    assert f"arab_news job {job.id}" in line and "3 items, monitors passed, report " in line
    assert str(data / "reports" / "arab_news") in line


def _worker_report(data: Path, job: str, items: int, stamp: str, failed: list[str]) -> None:
    folder = data / "reports" / "arab_news"
    folder.mkdir(parents=True, exist_ok=True)
    results = [{"monitor": m, "check": "test", "status": "FAIL", "reason": "x"} for m in failed]
    rep = {"spider": "arab_news", "job": job, "items": items, "started_at": f"2026-11-20T{stamp}+00:00",
           "monitors": {"passed": not failed, "failed": failed, "results": results},
           "distributed": {"worker": job, "opened_round": job == "w1"}}  # fmt: skip
    (folder / f"2026-11-20T{stamp.replace(':', '-')}.json").write_text(json.dumps(rep), "utf-8")


def test_a_distributed_round_is_judged_on_the_sum_of_its_workers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _worker_report(data, "w1", 5, "09:00:00", [])
    _worker_report(data, "w2", 0, "09:00:01", ["Item count"])  # joined late, found no work
    nodes = ["http://node1:6800", "http://node2:6800"]
    params = schedule.ScheduleParams(urls=nodes, settings={"REDIS_URL": "redis://r:6379/0"}, data_dir=data)
    outcome = {
        schedule.Job(n, "arab_news", w): schedule.FINISHED for n, w in zip(nodes, ("w1", "w2"), strict=True)
    }
    said: list[str] = []
    assert schedule.judge(params, outcome, say=said.append) == []
    assert said[-1] == "arab_news: distributed round of 2 workers: 5 items, monitors passed"
    assert schedule.monitor_failures(list(outcome), data)  # per job, worker 2 alone would fail
    _worker_report(data, "w3", 0, "10:00:00", [])
    _worker_report(data, "w4", 0, "10:00:01", ["Item count", "Errors"])
    empty = {
        schedule.Job(n, "arab_news", w): schedule.FINISHED for n, w in zip(nodes, ("w3", "w4"), strict=True)
    }
    assert schedule.judge(params, empty, say=said.append) == [
        "arab_news round: monitors failed: Item count (0 < 1 over the round), Errors"
    ]
