"""newscrawl-schedule: start crawls on Scrapyd from cron or a systemd timer.

For each spider (those named, else every spider of the deployed project) and each
Scrapyd node (``--url``, repeatable; default ``$SCRAPYD_URL``, comma-separated, else
``http://localhost:6800``): if ``listjobs.json`` shows a pending or running job of
that spider, skip it; otherwise ``schedule.json`` it with the spider arguments
(``-a name=value``) and settings (``-s NAME=value``). Credentials come from
``$SCRAPYD_USERNAME`` / ``$SCRAPYD_PASSWORD`` (or ``--username``/``--password``).
Several nodes are for distributed crawls: they require ``-s REDIS_URL=...``.

``--wait`` polls until the scheduled jobs finish, then checks each job's run report
(``newscrawl.report.for_job`` under ``--data-dir``, default ``-s NEWSCRAWL_DATA_DIR``
or ``$NEWSCRAWL_DATA_DIR``); ``--no-check`` skips that (reports on another machine).

Exit status: 0 done (scheduled or skipped); 1 Scrapyd unreachable, refusing (HTTP
error, 401, ``"status": "error"``) or the project has no such spider; 2 bad
options; 3 a finished job's monitors failed or it left no report; 4 ``--wait``
timed out. Every failure prints one line saying why on stderr.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from newscrawl import report
from newscrawl.spiders.base import SpiderArgs

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
        known = {k: v for k, v in args.items() if k in SpiderArgs.model_fields}
        SpiderArgs.model_validate(known)  # -a urls/since/edition/max_pages fail here, not in the job
        return args

    @field_validator("settings")
    @classmethod
    def _settings(cls, settings: dict[str, str]) -> dict[str, str]:
        if bad := sorted(k for k in settings if not SETTING_NAME.match(k)):
            raise ValueError(f"not a Scrapy setting name: {bad}")
        return settings

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


class Scrapyd:
    """The few Scrapyd JSON endpoints the scheduler calls (stdlib HTTP, basic auth)."""

    def __init__(self, url: str, username: str | None, password: str | None, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.headers = {"Accept": "application/json"}
        if username:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def call(self, endpoint: str, params: Sequence[tuple[str, str]] = (), *, post: bool = False) -> Any:
        query = urllib.parse.urlencode(params)
        url = f"{self.url}/{endpoint}"
        if not post and query:
            url += f"?{query}"
        data = query.encode() if post else None
        request = urllib.request.Request(url, data=data, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                body = answer.read()
        except urllib.error.HTTPError as exc:
            why = "authentication failed (set SCRAPYD_USERNAME/SCRAPYD_PASSWORD)" if exc.code == 401 else ""
            raise ScrapydError(f"{url}: HTTP {exc.code} {exc.reason} {why}".rstrip()) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ScrapydError(f"{self.url}: Scrapyd unreachable ({reason})") from None
        try:
            result = json.loads(body)
        except ValueError:
            raise ScrapydError(f"{url}: not a Scrapyd JSON answer: {body[:200]!r}") from None
        if not isinstance(result, dict) or result.get("status") != "ok":
            message = result.get("message") if isinstance(result, dict) else result
            raise ScrapydError(f"{url}: Scrapyd refused: {message}")
        return result


@dataclass(frozen=True)
class Job:
    node: str
    spider: str
    id: str


def active_jobs(client: Scrapyd, project: str) -> dict[str, str]:
    """{spider: job id} of the project's pending and running jobs on one node."""
    jobs = client.call("listjobs.json", [("project", project)])
    return {job["spider"]: job["id"] for state in ("pending", "running") for job in jobs.get(state, [])}


def schedule(params: ScheduleParams, say: Callable[[str], None] = print) -> list[Job]:
    """Schedule what is not already pending/running; returns the jobs started."""
    started: list[Job] = []
    password = params.password.get_secret_value() if params.password else None
    for url in params.urls:
        client = Scrapyd(url, params.username, password, params.timeout)
        available = client.call("listspiders.json", [("project", params.project)])["spiders"]
        if missing := sorted(set(params.spiders) - set(available)):
            raise ScrapydError(f"{url}: project {params.project!r} has no spider {missing}; has {available}")
        active = active_jobs(client, params.project)
        for spider in params.spiders or available:
            if spider in active:
                say(f"{spider} @ {url}: skipped, job {active[spider]} is already pending or running")
                continue
            fields = [("project", params.project), ("spider", spider), ("priority", str(params.priority))]
            fields += [("setting", f"{k}={v}") for k, v in params.settings.items()]
            fields += list(params.args.items())
            if params.version:
                fields.append(("_version", params.version))
            job = client.call("schedule.json", fields, post=True)["jobid"]
            say(f"{spider} @ {url}: scheduled job {job}")
            started.append(Job(url, spider, job))
    return started


def wait(params: ScheduleParams, jobs: Sequence[Job], say: Callable[[str], None] = print) -> bool:
    """Poll ``listjobs.json`` until every job has finished; False on timeout."""
    password = params.password.get_secret_value() if params.password else None
    deadline = time.monotonic() + params.wait_timeout
    pending = set(jobs)
    while pending:
        for node in sorted({job.node for job in pending}):
            client = Scrapyd(node, params.username, password, params.timeout)
            finished = {
                j["id"] for j in client.call("listjobs.json", [("project", params.project)])["finished"]
            }
            for job in [j for j in pending if j.node == node and j.id in finished]:
                say(f"{job.spider} @ {job.node}: job {job.id} finished")
                pending.discard(job)
        if pending and time.monotonic() > deadline:
            return False
        if pending:
            time.sleep(params.poll)
    return True


def monitor_failures(jobs: Sequence[Job], data_dir: Path) -> list[str]:
    """Hook for monitoring: one message per finished job whose run report says its
    spidermon monitors failed, or that left no report (crashed before closing).
    Reports are read with ``newscrawl.report.for_job`` from ``data_dir``."""
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
        if not wait(params, jobs):
            return fail(EXIT_TIMEOUT, f"jobs still running after {params.wait_timeout:g}s")
    except ScrapydError as exc:
        return fail(EXIT_SCRAPYD, str(exc))
    if params.check and (problems := monitor_failures(jobs, params.report_dir)):
        for problem in problems:
            print(f"newscrawl-schedule: {problem}", file=sys.stderr)
        return EXIT_MONITORS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
