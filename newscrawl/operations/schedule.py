"""newscrawl-schedule: start crawls on Scrapyd from cron or a systemd timer.

For each spider (those named, else every spider of the deployed project) and each
Scrapyd node (``--url``, repeatable; default ``$SCRAPYD_URL``, comma-separated, else
``http://localhost:6800``): if ``listjobs.json`` shows a pending or running job of
that spider, skip it; otherwise ``schedule.json`` it with the spider arguments
(``-a name=value``) and settings (``-s NAME=value``). Credentials come from
``$SCRAPYD_USERNAME`` / ``$SCRAPYD_PASSWORD`` (or ``--username``/``--password``).
Several nodes are for distributed crawls: they require ``-s REDIS_URL=...``.
Scrapyd is called through ``scrapyd_client.ScrapydClient`` (each call bounded by
``--timeout``). Spider arguments are validated before anything is scheduled, as the
spiders validate them (``NewsSpider.validate_args``: unknown names, bad values, an
edition the spider does not have).

``--wait`` polls ``listjobs.json`` until every scheduled job has finished, then checks
each job's run report (``newscrawl.operations.report.for_job`` under ``--data-dir``, default
``-s NEWSCRAWL_DATA_DIR`` or ``$NEWSCRAWL_DATA_DIR``) and prints, per job, its items,
monitor verdict and report path; ``--no-check`` skips reports (they are on another
machine). A job Scrapyd no longer lists (Scrapyd restarted: it forgets finished jobs,
and a running one may have died with it) counts as finished when its report exists,
else as lost once it has been unlisted for ``--lost-after`` seconds. A distributed
round (several nodes) is judged on the sum over its workers: its item count against
``NEWSCRAWL_MONITOR_MIN_ITEMS``, any other monitor failing for any worker fails it.

Exit status: 0 done (scheduled or skipped); 1 Scrapyd unreachable, refusing (HTTP
error, 401, ``"status": "error"``) or the project has no such spider; 2 bad
options; 3 a finished job's monitors failed, it left no report, or it was lost;
4 ``--wait`` timed out. Every failure prints one line saying why on stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import requests
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from scrapy.utils.misc import walk_modules_iter
from scrapy.utils.spider import iter_spider_classes
from scrapyd_client.exceptions import ErrorResponse, MalformedResponse
from scrapyd_client.pyclient import ScrapydClient

from newscrawl.operations import report
from newscrawl.operations.redact import redact
from newscrawl.operations.startup import StartupError
from newscrawl.spiders.base import NewsSpider, SpiderArgs

EXIT_OK, EXIT_SCRAPYD, EXIT_USAGE, EXIT_MONITORS, EXIT_TIMEOUT = 0, 1, 2, 3, 4
DEFAULT_URL = "http://localhost:6800"
# schedule.json's own parameters: a spider argument may not use these names
RESERVED_ARGS = frozenset({"project", "spider", "setting", "jobid", "priority", "_version", "_job"})
SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class ScheduleParams(BaseModel):
    """Everything one scheduler run needs, validated before Scrapyd is called."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(default_factory=lambda: [DEFAULT_URL], min_length=1)
    project: str = Field("newscrawl", min_length=1)
    spiders: list[str] = Field(default_factory=list)
    args: dict[str, str] = Field(default_factory=dict)
    settings: dict[str, str] = Field(default_factory=dict)
    username: str | None = None
    password: SecretStr | None = None
    version: str | None = None
    priority: float = 0.0
    timeout: float = Field(30.0, gt=0, description="seconds per HTTP call")
    wait: bool = False
    wait_timeout: float = Field(6 * 3600.0, gt=0)
    poll: float = Field(5.0, gt=0)
    check: bool = True
    data_dir: Path | None = None
    lost_after: float = Field(60.0, ge=0, description="seconds a job may be unlisted before it is lost")

    @field_validator("urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        out = []
        for url in urls:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"not an http(s) URL: {url!r}")
            out.append(url.rstrip("/"))  # scrapyd endpoints are joined with "/"
        return out

    @field_validator("args")
    @classmethod
    def _args(cls, args: dict[str, str]) -> dict[str, str]:
        if clash := sorted(RESERVED_ARGS & set(args)):
            raise ValueError(f"spider argument name(s) reserved by schedule.json: {clash}")
        return args

    @field_validator("settings")
    @classmethod
    def _settings(cls, settings: dict[str, str]) -> dict[str, str]:
        if bad := sorted(k for k in settings if not SETTING_NAME.match(k)):
            raise ValueError(f"not a Scrapy setting name: {bad}")
        return settings

    @model_validator(mode="after")
    def _spider_args(self) -> Self:
        """Validate ``-a`` as each spider will (unknown names, bad values, editions), so a
        mistake fails here instead of in every job."""
        known = local_spiders()
        try:
            for name in self.spiders or sorted(known):
                if name in known:
                    known[name].validate_args(self.args)
                else:
                    SpiderArgs.parse(name, self.args)  # deployed only: the common arguments
        except StartupError as exc:
            raise ValueError(str(exc)) from None
        return self

    @model_validator(mode="after")
    def _nodes(self) -> Self:
        if len(self.urls) > 1 and not self.settings.get("REDIS_URL"):
            raise ValueError(
                "several Scrapyd nodes share a crawl only in distributed mode: add -s REDIS_URL=redis://..."
                " (or schedule each node separately)"
            )
        return self

    @property
    def report_dir(self) -> Path:
        return report.data_dir(self.data_dir or self.settings.get("NEWSCRAWL_DATA_DIR"))


class ScrapydError(Exception):
    """Scrapyd could not be reached or refused the call; the message says which and why."""


def local_spiders() -> dict[str, type[NewsSpider]]:
    """{name: class} of the spiders in this installation (``newscrawl.spiders``)."""
    found: dict[str, type[NewsSpider]] = {}
    for module in walk_modules_iter("newscrawl.spiders"):
        for spidercls in iter_spider_classes(module):
            if issubclass(spidercls, NewsSpider) and spidercls.name:
                found[spidercls.name] = spidercls
    return found


class Scrapyd:
    """The Scrapyd calls the scheduler makes, through ``scrapyd_client.ScrapydClient``;
    every failure becomes a one-line ``ScrapydError`` and no call outlasts ``timeout``."""

    def __init__(self, url: str, username: str | None, password: str | None, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.client = ScrapydClient(url, username, password)

    def _call(self, endpoint: str, call: Callable[[], Any]) -> Any:
        result: dict[str, Any] = {}

        def run() -> None:
            try:
                result["value"] = call()
            except Exception as exc:  # noqa: BLE001 - handed to the caller's thread below
                result["error"] = exc

        worker = threading.Thread(target=run, name=f"scrapyd {endpoint}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        where = redact(f"{self.url}/{endpoint}")
        if worker.is_alive():
            raise ScrapydError(f"{where}: no answer from Scrapyd within {self.timeout:g}s")
        error = result.get("error")
        if error is None:
            return result["value"]
        if isinstance(error, ErrorResponse):
            raise ScrapydError(f"{where}: Scrapyd refused: {error}")
        if isinstance(error, MalformedResponse):
            text = str(error).strip()
            if "unauthorized" in text.lower():
                raise ScrapydError(
                    f"{where}: HTTP 401 Unauthorized, authentication failed"
                    " (set SCRAPYD_USERNAME/SCRAPYD_PASSWORD)"
                )
            raise ScrapydError(f"{where}: not a Scrapyd JSON answer: {text[:200]!r}")
        if isinstance(error, requests.ConnectionError | requests.Timeout):
            raise ScrapydError(f"{redact(self.url)}: Scrapyd unreachable ({type(error).__name__})")
        if isinstance(error, requests.RequestException | KeyError | ValueError):
            raise ScrapydError(f"{where}: {type(error).__name__}: {error}")
        raise error

    def spiders(self, project: str) -> list[str]:
        return list(self._call("listspiders.json", lambda: self.client.spiders(project)))

    def jobs(self, project: str) -> dict[str, Any]:
        return dict(self._call("listjobs.json", lambda: self.client.jobs(project)))

    def schedule(self, project: str, spider: str, fields: list[tuple[str, str]]) -> str:
        return str(self._call("schedule.json", lambda: self.client.schedule(project, spider, fields)))


@dataclass(frozen=True)
class Job:
    node: str
    spider: str
    id: str


def active_jobs(client: Scrapyd, project: str) -> dict[str, str]:
    """{spider: job id} of the project's pending and running jobs on one node."""
    jobs = client.jobs(project)
    return {job["spider"]: job["id"] for state in ("pending", "running") for job in jobs.get(state, [])}


def schedule(params: ScheduleParams, say: Callable[[str], None] = print) -> list[Job]:
    """Schedule what is not already pending/running; returns the jobs started."""
    started: list[Job] = []
    password = params.password.get_secret_value() if params.password else None
    for url in params.urls:
        client = Scrapyd(url, params.username, password, params.timeout)
        available = client.spiders(params.project)
        if missing := sorted(set(params.spiders) - set(available)):
            raise ScrapydError(f"{url}: project {params.project!r} has no spider {missing}; has {available}")
        active = active_jobs(client, params.project)
        for spider in params.spiders or available:
            if spider in active:
                say(f"{spider} @ {url}: skipped, job {active[spider]} is already pending or running")
                continue
            fields = [("priority", str(params.priority))]
            fields += [("setting", f"{k}={v}") for k, v in params.settings.items()]
            fields += list(params.args.items())
            if params.version:
                fields.append(("_version", params.version))
            job = client.schedule(params.project, spider, fields)
            say(f"{spider} @ {url}: scheduled job {job}")
            started.append(Job(url, spider, job))
    return started


FINISHED, LOST = "finished", "lost"


def _has_report(params: ScheduleParams, job: Job) -> bool:
    if not params.check:
        return False
    try:
        report.for_job(job.spider, job.id, params.report_dir)
    except (FileNotFoundError, ValueError, OSError):
        return False
    return True


def wait(
    params: ScheduleParams, jobs: Sequence[Job], say: Callable[[str], None] = print
) -> dict[Job, str] | None:
    """Poll ``listjobs.json`` until every job is finished or lost; None on timeout.

    Returns {job: "finished" | "lost"}. A job no longer listed at all (Scrapyd restarted)
    is finished when its run report exists, and lost after ``lost_after`` seconds unlisted.
    """
    password = params.password.get_secret_value() if params.password else None
    deadline = time.monotonic() + params.wait_timeout
    outcome: dict[Job, str] = {}
    unlisted_since: dict[Job, float] = {}
    while len(outcome) < len(jobs):
        for node in sorted({job.node for job in jobs if job not in outcome}):
            listing = Scrapyd(node, params.username, password, params.timeout).jobs(params.project)
            states = {
                j["id"]: state
                for state in ("pending", "running", "finished")
                for j in listing.get(state) or []
            }
            for job in [j for j in jobs if j.node == node and j not in outcome]:
                state = states.get(job.id)
                if state == FINISHED:
                    outcome[job] = FINISHED
                    say(f"{job.spider} @ {job.node}: job {job.id} finished")
                elif state is not None:
                    unlisted_since.pop(job, None)
                elif _has_report(params, job):
                    outcome[job] = FINISHED
                    say(
                        f"{job.spider} @ {job.node}: job {job.id} finished"
                        " (no longer listed: Scrapyd restarted)"
                    )
                else:
                    since = unlisted_since.setdefault(job, time.monotonic())
                    if time.monotonic() - since >= params.lost_after:
                        outcome[job] = LOST
                        say(f"{job.spider} @ {job.node}: job {job.id} lost: Scrapyd no longer lists it"
                            " and it left no report (Scrapyd restarted while it ran?)")  # fmt: skip
        if len(outcome) == len(jobs):
            break
        if time.monotonic() > deadline:
            return None
        time.sleep(params.poll)
    return outcome


def monitor_failures(jobs: Sequence[Job], data_dir: Path) -> list[str]:
    """Hook for monitoring: one message per finished job whose run report says its
    spidermon monitors failed, or that left no report (crashed before closing).
    Reports are read with ``newscrawl.operations.report.for_job`` from ``data_dir``."""
    problems = []
    for job in jobs:
        try:
            verdict = report.for_job(job.spider, job.id, data_dir)
        except FileNotFoundError:
            problems.append(f"{job.spider} job {job.id}: no run report under {data_dir / 'reports'}")
            continue
        monitors = verdict.get("monitors") or {}
        if not monitors.get("passed", False):
            failed = ", ".join(monitors.get("failed") or ["?"])
            problems.append(f"{job.spider} job {job.id}: monitors failed: {failed} ({verdict.get('path')})")
    return problems


ITEM_MONITOR = "Item count"


def _failed_monitors(verdict: report.Report) -> list[str]:
    monitors = verdict.get("monitors") or {}
    if monitors.get("passed", False):
        return []
    return [str(m) for m in monitors.get("failed") or ["?"]]


def judge(
    params: ScheduleParams,
    outcome: dict[Job, str],
    say: Callable[[str], None] = print,
    *,
    min_items: int | None = None,
) -> list[str]:
    """Print items, monitor verdict and report path per job; return the problems.

    With several nodes (a distributed round) a spider's jobs are judged together: the
    item count on their sum, every other monitor per worker."""
    minimum = (
        min_items if min_items is not None else int(params.settings.get("NEWSCRAWL_MONITOR_MIN_ITEMS", 1))
    )
    problems: list[str] = []
    rounds: dict[str, list[tuple[Job, report.Report]]] = {}
    for job, state in outcome.items():
        if state == LOST:
            problems.append(f"{job.spider} job {job.id} @ {job.node}: lost, no run report")
            continue
        try:
            verdict = report.for_job(job.spider, job.id, params.report_dir)
        except FileNotFoundError:
            problems.append(f"{job.spider} job {job.id}: no run report under {params.report_dir / 'reports'}")
            continue
        failed = _failed_monitors(verdict)
        shown = "monitors passed" if not failed else f"monitors FAILED: {', '.join(failed)}"
        say(f"{job.spider} job {job.id} @ {job.node}: {verdict.get('items', 0)} items, {shown}, "
            f"report {verdict.get('path')}")  # fmt: skip
        rounds.setdefault(job.spider, []).append((job, verdict))
    distributed = len(params.urls) > 1
    for spider, members in rounds.items():
        if not distributed:
            for job, verdict in members:
                if failed := _failed_monitors(verdict):
                    problems.append(
                        f"{spider} job {job.id}: monitors failed: {', '.join(failed)} ({verdict.get('path')})"
                    )
            continue
        items = sum(int(v.get("items") or 0) for _, v in members)
        failed = sorted({m for _, v in members for m in _failed_monitors(v) if m != ITEM_MONITOR})
        if items < minimum:
            failed.insert(0, f"{ITEM_MONITOR} ({items} < {minimum} over the round)")
        shown = "passed" if not failed else f"FAILED: {', '.join(failed)}"
        say(f"{spider}: distributed round of {len(members)} workers: {items} items, monitors {shown}")
        if failed:
            problems.append(f"{spider} round: monitors failed: {', '.join(failed)}")
    return problems


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newscrawl-schedule", description=__doc__.split("\n")[0])
    p.add_argument("spiders", nargs="*", help="spider names (default: every spider of the project)")
    p.add_argument("--url", action="append", dest="urls", help="Scrapyd node URL, repeatable")
    p.add_argument("--project", default=os.environ.get("SCRAPYD_PROJECT", "newscrawl"))
    p.add_argument("-a", dest="args", action="append", type=_pair, default=[], metavar="NAME=VALUE")
    p.add_argument("-s", dest="settings", action="append", type=_pair, default=[], metavar="NAME=VALUE")
    p.add_argument("--username", default=os.environ.get("SCRAPYD_USERNAME") or None)
    p.add_argument("--password", default=os.environ.get("SCRAPYD_PASSWORD") or None)
    p.add_argument("--version", dest="version", help="deployed egg version (default: latest)")
    p.add_argument("--priority", type=float, default=0.0)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP call")
    p.add_argument("--wait", action="store_true", help="wait for the jobs, then check their reports")
    p.add_argument("--wait-timeout", type=float, default=6 * 3600.0)
    p.add_argument("--poll", type=float, default=5.0, help="seconds between listjobs.json polls")
    p.add_argument("--no-check", dest="check", action="store_false", help="with --wait: skip reports")
    p.add_argument("--data-dir", type=Path, help="where the jobs write reports (for --wait)")
    p.add_argument(
        "--lost-after",
        type=float,
        default=60.0,
        help="with --wait: seconds a job Scrapyd no longer lists may leave no report before it is lost",
    )
    return p


def params_from_argv(argv: Sequence[str] | None = None) -> ScheduleParams:
    ns = parser().parse_args(argv)
    values = {k: v for k, v in vars(ns).items() if v is not None}
    values["args"] = dict(ns.args)
    values["settings"] = dict(ns.settings)
    if not ns.urls:
        env = os.environ.get("SCRAPYD_URL", "")
        values["urls"] = [u.strip() for u in env.split(",") if u.strip()] or [DEFAULT_URL]
    return ScheduleParams.model_validate(values)


def main(argv: Sequence[str] | None = None) -> int:
    def fail(code: int, message: str) -> int:
        print(f"newscrawl-schedule: {message}", file=sys.stderr)
        return code

    try:
        params = params_from_argv(argv)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in exc.errors())
        return fail(EXIT_USAGE, f"invalid options: {errors}")
    try:
        jobs = schedule(params)
        if not params.wait:
            return EXIT_OK
        outcome = wait(params, jobs)
        if outcome is None:
            return fail(EXIT_TIMEOUT, f"jobs still running after {params.wait_timeout:g}s")
    except ScrapydError as exc:
        return fail(EXIT_SCRAPYD, str(exc))
    if params.check:
        problems = judge(params, outcome)
        from newscrawl.operations.history import write_page  # lazy: plotly only when a page is written

        print(f"run history page: {write_page(params.report_dir)}")
    else:
        problems = [
            f"{j.spider} job {j.id} @ {j.node}: lost" for j, state in outcome.items() if state == LOST
        ]
    for problem in problems:
        print(f"newscrawl-schedule: {problem}", file=sys.stderr)
    return EXIT_MONITORS if problems else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
