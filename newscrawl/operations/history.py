"""Run history: one static HTML page over every run report under a data directory.

    newscrawl report --html [--data-dir DIR] [-o FILE]      (make report)
    newscrawl report [SPIDER ...] [--check] [--data-dir DIR]  latest verdicts, as
                                                             ``python -m newscrawl.operations.report``

Reads the JSON run reports (``newscrawl.operations.report``) found at ``<dir>/reports/<spider>/``
and one or two levels below ``<dir>`` (``<dir>/node1/reports/...``,
``<dir>/node1/data/reports/...``: the data directories of several workers or nodes
copied side by side). A file that is not a readable report is listed on the page and
skipped. The page (default ``<dir>/reports/index.html``) is self-contained: the
plotting library (Plotly, its JavaScript inlined) and the data are in the file, so it
opens offline and can be mailed or archived. Per spider, over time:

- items per run (by language), drops and failed requests by reason,
- field coverage, the share of each extraction layer per field,
- monitor verdicts (one marker per monitor and run),
- layout drift marked: a run whose body share from the ``generic`` layer exceeds
  ``NEWSCRAWL_MONITOR_MAX_GENERIC_SHARE`` or whose ``Layout drift`` monitor failed;
  the first run of such a streak is annotated on the charts,
- the latest run: verdicts with reasons, its failed URLs, where its files are.

A distributed round (``REDIS_URL``; docs/distributed.md) is one run here: its workers'
reports (``distributed.worker`` set) are summed. A round starts with the report whose
worker opened it (``distributed.opened_round``); a later worker's report belongs to the
round it joined, the latest opened round of that spider that was still running when it
started (within ``ROUND_SLACK`` seconds, for clocks of different nodes). Counts are
summed, coverage is weighted by items, and a monitor fails the round when it failed for
any worker, except ``Item count``, which is judged on the round's sum (a worker that
joined late and found no work reports 0 items).
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from newscrawl.items import Article
from newscrawl.operations import report

PATTERNS = ("reports/*/*.json", "*/reports/*/*.json", "*/*/reports/*/*.json")
ROUND_SLACK = timedelta(seconds=60)
FILE_SLACK = timedelta(seconds=2)
LAYER_FIELDS = ("title", "body", "published_at")
LAYER_COLOURS = {
    "jsonld": "#1f77b4",
    "meta": "#17becf",
    "selectors": "#2ca02c",
    "embedded": "#9467bd",
    "text": "#8c564b",
    "generic": "#d62728",
}
STATUS_COLOURS = {"OK": "#2ca02c", "SKIPPED": "#b0b0b0", "FAIL": "#d62728", "ERROR": "#7f0000"}
# worst first when checks or workers disagree; a skipped check (no items) yields to any verdict
STATUS_RANK = {"SKIPPED": 0, "OK": 1, "FAIL": 2, "ERROR": 3}
BAD = ("FAIL", "ERROR")
# Coverage lines drawn visible; the other fields are in the legend, off until clicked.
SHOWN_FIELDS = ("title", "body", "published_at", "authors", "image_url", "summary", "section", "tags")
DRIFT_MONITOR = "Layout drift"
ITEM_MONITOR = "Item count"


# ----------------------------------------------------------------------------- loading


def find_reports(root: Path) -> tuple[list[report.Report], list[str]]:
    """Every run report under ``root`` (``path`` added to each) and the files skipped, with why."""
    found: list[report.Report] = []
    problems: list[str] = []
    seen: set[Path] = set()
    for pattern in PATTERNS:
        for path in sorted(root.glob(pattern)):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                problems.append(f"{path}: unreadable ({exc})")
                continue
            if not isinstance(data, dict) or not data.get("spider") or _time(data.get("started_at")) is None:
                problems.append(f"{path}: not a run report (no spider or started_at)")
                continue
            data["path"] = str(path)
            found.append(data)
    return found, problems


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _started(rep: report.Report) -> datetime:
    started = _time(rep.get("started_at"))
    assert started is not None  # find_reports keeps only reports with one
    return started


def _finished(rep: report.Report) -> datetime:
    return _time(rep.get("finished_at")) or _started(rep)


def _counts(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int | float)}


# ----------------------------------------------------------------------------- runs


@dataclass
class Run:
    """One crawl, or a distributed round summed over the reports of its workers."""

    spider: str
    workers: list[report.Report]
    complete: bool = True  # False: a round whose opening worker's report was not found
    drift: bool = False
    drift_start: bool = False
    items: int = 0
    items_by_language: dict[str, int] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    layers: dict[str, dict[str, int]] = field(default_factory=dict)
    monitors: dict[str, str] = field(default_factory=dict)  # monitor -> worst status
    reasons: dict[str, list[str]] = field(default_factory=dict)  # monitor -> failure reasons
    finish_reasons: list[str] = field(default_factory=list)

    @property
    def started(self) -> datetime:
        return min(_started(r) for r in self.workers)

    @property
    def finished(self) -> datetime:
        return max(_finished(r) for r in self.workers)

    @property
    def distributed(self) -> bool:
        return bool(self.workers[0].get("distributed"))

    @property
    def passed(self) -> bool:
        return not any(status in BAD for status in self.monitors.values())

    @property
    def label(self) -> str:
        return self.started.strftime("%Y-%m-%d %H:%M:%S")

    def share(self, field_name: str, layer: str) -> float | None:
        """Share of ``field_name`` values supplied by ``layer`` (None: no item recorded a layer)."""
        counts = self.layers.get(field_name) or {}
        total = sum(counts.values())
        return counts.get(layer, 0) / total if total else None

    @property
    def failed_urls(self) -> list[dict[str, str]]:
        return [u for r in self.workers for u in (r.get("failed_urls") or []) if isinstance(u, dict)]

    @property
    def failed_urls_recorded(self) -> bool:
        return all("failed_urls" in r for r in self.workers)


def summarise(spider: str, workers: Sequence[report.Report], min_items: int = 1) -> Run:
    """Sum the reports of one run (one report) or of one distributed round (its workers)."""
    run = Run(spider, sorted(workers, key=_started))
    items: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    drops: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    layers: dict[str, Counter[str]] = {}
    statuses: dict[str, list[str]] = {}
    for rep in run.workers:
        n = int(rep.get("items") or 0)
        items["all"] += n
        languages.update(_counts(rep.get("items_by_language")))
        drops.update(_counts(rep.get("drops")))
        failed.update(_counts(rep.get("failed")))
        skipped.update(_counts(rep.get("skipped")))
        for name, share in (rep.get("coverage") or {}).items():
            covered[name] += round(float(share) * n)
        for name, counts in (rep.get("layers") or {}).items():
            layers.setdefault(name, Counter()).update(_counts(counts))
        worker: dict[str, str] = {}
        for result in (rep.get("monitors") or {}).get("results") or []:
            name = str(result.get("monitor"))
            status = str(result.get("status"))
            if name not in worker or STATUS_RANK.get(status, 3) >= STATUS_RANK.get(worker[name], 3):
                worker[name] = status
            if status in BAD and result.get("reason"):
                run.reasons.setdefault(name, []).append(str(result["reason"]))
        for name, status in worker.items():
            statuses.setdefault(name, []).append(status)
        reason = rep.get("finish_reason")
        if reason and reason not in run.finish_reasons:
            run.finish_reasons.append(str(reason))
    run.items = items["all"]
    run.items_by_language = dict(sorted(languages.items()))
    run.drops, run.failed, run.skipped = dict(drops), dict(failed), dict(skipped)
    run.coverage = {k: (v / run.items if run.items else 0.0) for k, v in covered.items()}
    run.layers = {k: dict(v) for k, v in layers.items()}
    for name, found in statuses.items():
        worst = max(found, key=lambda s: STATUS_RANK.get(s, 3))
        if name == ITEM_MONITOR and len(run.workers) > 1:
            worst = "OK" if "OK" in found or run.items >= min_items else worst
            if worst == "OK":
                run.reasons.pop(name, None)
        run.monitors[name] = worst
    return run


def group(reports: Iterable[report.Report], min_items: int = 1) -> dict[str, list[Run]]:
    """Runs per spider, oldest first; distributed workers grouped into rounds."""
    by_spider: dict[str, list[report.Report]] = {}
    for rep in reports:
        by_spider.setdefault(str(rep["spider"]), []).append(rep)
    out: dict[str, list[Run]] = {}
    for spider, found in sorted(by_spider.items()):
        runs: list[tuple[list[report.Report], bool]] = []
        rounds: list[tuple[list[report.Report], bool]] = []
        for rep in sorted(found, key=_started):
            info = rep.get("distributed")
            if not isinstance(info, Mapping) or not info.get("worker"):
                runs.append(([rep], True))
                continue
            open_round = next(
                (r for r in reversed(rounds) if _started(rep) <= max(map(_finished, r[0])) + ROUND_SLACK),
                None,
            )
            if info.get("opened_round") or open_round is None:
                rounds.append(([rep], bool(info.get("opened_round"))))
                runs.append(rounds[-1])
            else:
                open_round[0].append(rep)
        summed = []
        for workers, complete in runs:
            run = summarise(spider, workers, min_items)
            run.complete = complete
            summed.append(run)
        out[spider] = sorted(summed, key=lambda r: r.started)
    return out


def mark_drift(runs: Sequence[Run], max_generic: float) -> None:
    """Flag runs whose bodies came from the generic layer (above ``max_generic``) or whose
    drift monitor failed; the first run of each such streak is where the layout changed."""
    before = False
    for run in runs:
        share = run.share("body", "generic")
        run.drift = (share is not None and share > max_generic) or run.monitors.get(DRIFT_MONITOR) in BAD
        run.drift_start = run.drift and not before
        before = run.drift


# ----------------------------------------------------------------------------- files


def _stamp(name: str) -> datetime | None:
    try:
        return datetime.strptime(name[:19], report.STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def files(rep: report.Report) -> list[tuple[str, Path]]:
    """Where one run's files are: its report, its feed and rejects under the same data dir.

    Feeds and rejects are found by the UTC time in their names (``%(time)s`` and the
    rejects' timestamp) falling within the run; ``-o``/``FEEDS`` elsewhere are not found.
    """
    path = Path(str(rep["path"]))
    root = path.parent.parent.parent
    spider = str(rep["spider"])
    start, end = _started(rep) - FILE_SLACK, _finished(rep) + FILE_SLACK
    out: list[tuple[str, Path]] = [("report", path)]
    if path.with_suffix(".md").exists():
        out.append(("report (Markdown)", path.with_suffix(".md")))
    for kind, folder in (("articles", root / spider), ("rejected", root / "rejected" / spider)):
        for candidate in sorted(folder.glob("*.jsonl")):
            when = _stamp(candidate.name)
            if when is not None and start <= when <= end:
                out.append((kind, candidate))
    return out


# ----------------------------------------------------------------------------- charts


def _figures(spider: str, runs: Sequence[Run], coverage_rules: Mapping[str, float]) -> list[tuple[str, Any]]:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    x = [r.label for r in runs]
    hover = [
        f"{r.label}<br>{len(r.workers)} workers: "
        + " + ".join(str(int(w.get("items") or 0)) for w in r.workers)
        if len(r.workers) > 1
        else r.label
        for r in runs
    ]
    layout = {
        "template": "plotly_white",
        "height": 320,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": {"title": {"text": "run start (UTC)"}, "type": "category"},
    }
    drift_at = [r.label for r in runs if r.drift_start]

    def mark(fig: Any, y: float = 1.0) -> None:
        for at in drift_at:
            fig.add_vline(x=at, line_dash="dash", line_color="#d62728")
            fig.add_annotation(
                x=at, y=y, xref="x", yref="paper", yanchor="bottom", showarrow=False,
                text="layout drift: body selectors → generic", font={"color": "#d62728"},
            )  # fmt: skip

    items = go.Figure(layout={**layout, "title": {"text": "Items per run"}, "barmode": "stack"})
    for lang in sorted({k for r in runs for k in r.items_by_language}):
        items.add_bar(x=x, y=[r.items_by_language.get(lang, 0) for r in runs], name=f"items ({lang})")
    items.add_scatter(x=x, y=[r.items for r in runs], name="total", mode="lines+markers", hovertext=hover)

    drops = go.Figure(layout={**layout, "title": {"text": "Drops and failed requests by reason"}})
    drops.update_layout(barmode="stack")
    reasons = sorted(
        {f"drop {k}" for r in runs for k in r.drops} | {f"failed {k}" for r in runs for k in r.failed}
    )
    for reason in reasons:
        kind, _, key = reason.partition(" ")
        source = "drops" if kind == "drop" else "failed"
        drops.add_bar(x=x, y=[getattr(r, source).get(key, 0) for r in runs], name=reason)
    totals = [sum(r.drops.values()) + sum(r.failed.values()) for r in runs]
    drops.add_scatter(x=x, y=totals, name="total lost", mode="lines+markers", line={"color": "#444"})

    coverage = go.Figure(layout={**layout, "title": {"text": "Field coverage (share of items)"}})
    coverage.update_layout(height=380, legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 10}})
    coverage.update_yaxes(range=[0, 1.05], tickformat=".0%")
    # required fields are always there (validation); the optional and the monitored ones vary
    optional = [n for n, f in Article.model_fields.items() if not f.is_required()]
    fields = list(dict.fromkeys([*coverage_rules, *SHOWN_FIELDS, *optional]))
    for name in fields:
        label = f"{name} (min {coverage_rules[name]:.0%})" if name in coverage_rules else name
        coverage.add_scatter(
            x=x, y=[r.coverage.get(name, 0.0) for r in runs], name=label, mode="lines+markers",
            visible=True if name in coverage_rules or name in SHOWN_FIELDS else "legendonly",
        )  # fmt: skip
    mark(coverage)

    present = [f for f in LAYER_FIELDS if any(f in r.layers for r in runs)] or ["body"]
    layer_fig = make_subplots(
        rows=len(present), cols=1, shared_xaxes=True, subplot_titles=present, vertical_spacing=0.08
    )
    layer_fig.update_layout(**{**layout, "height": 200 + 170 * len(present)}, barmode="stack")
    layer_fig.update_layout(title={"text": "Extraction layer per field (share of items)"})
    order = list(LAYER_COLOURS)
    layer_names = sorted(
        {k for r in runs for c in r.layers.values() for k in c},
        key=lambda k: (order.index(k) if k in order else len(order), k),
    )
    for row, name in enumerate(present, start=1):
        for layer in layer_names or ["selectors"]:
            layer_fig.add_bar(
                x=x, y=[r.share(name, layer) or 0.0 for r in runs], name=layer, legendgroup=layer,
                showlegend=row == 1, marker_color=LAYER_COLOURS.get(layer), row=row, col=1,
            )  # fmt: skip
        layer_fig.update_yaxes(range=[0, 1], tickformat=".0%", row=row, col=1)
    layer_fig.update_xaxes(type="category", title=None)
    layer_fig.update_xaxes(title={"text": "run start (UTC)"}, row=len(present), col=1)
    mark(layer_fig, 1.02)

    monitors = go.Figure(layout={**layout, "title": {"text": "Monitor verdicts"}})
    names = list(dict.fromkeys(m for r in runs for m in r.monitors))
    monitors.update_layout(height=max(260, 90 + 34 * len(names)), legend={"orientation": "h", "y": -0.3})
    monitors.update_yaxes(type="category", categoryorder="array", categoryarray=names[::-1])
    for status, colour in STATUS_COLOURS.items():
        points = [(r, m) for r in runs for m, s in r.monitors.items() if s == status]
        if not points:
            continue
        monitors.add_scatter(
            x=[r.label for r, _ in points], y=[m for _, m in points], name=status, mode="markers",
            marker={"color": colour, "size": 14, "symbol": "square"},
            hovertext=["; ".join(r.reasons.get(m, [])) or status for r, m in points],
        )  # fmt: skip
    return [
        ("items", items),
        ("drops", drops),
        ("coverage", coverage),
        ("layers", layer_fig),
        ("monitors", monitors),
    ]


# ----------------------------------------------------------------------------- page

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 2px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0 1em; }
td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
td.n { text-align: right; } code { font-size: .92em; word-break: break-all; }
.ok { color: #207520; font-weight: 600; } .bad { color: #b00; font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; font-size: .85em; color: #fff; }
.badge.pass { background: #2ca02c; } .badge.fail { background: #d62728; }
.badge.drift { background: #e67e00; }
tr.drift td { background: #fff1e0; } .note { color: #666; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 8px 16px; }
.chart { min-width: 0; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], row_class: Sequence[str] = ()) -> str:
    body = "".join(
        f'<tr class="{row_class[i] if i < len(row_class) else ""}">'
        + "".join(f"<td>{c}</td>" for c in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return "<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + f"</tr>{body}</table>"


def _verdict(run: Run) -> str:
    if run.passed:
        return '<span class="badge pass">passed</span>'
    failed = [m for m, s in run.monitors.items() if s in BAD]
    return f'<span class="badge fail">failed: {_e(", ".join(failed))}</span>'


def _drift_note(runs: Sequence[Run]) -> str:
    starts = [i for i, r in enumerate(runs) if r.drift_start]
    if not starts:
        return ""
    run = runs[starts[-1]]
    prev = runs[starts[-1] - 1] if starts[-1] else None
    generic, selectors = run.share("body", "generic") or 0, run.share("body", "selectors") or 0
    now = f"generic {generic:.0%}, selectors {selectors:.0%}"
    was = (
        f" (run before: generic {prev.share('body', 'generic') or 0:.0%},"
        f" selectors {prev.share('body', 'selectors') or 0:.0%})"
        if prev
        else ""
    )
    still = "still drifting in the latest run" if runs[-1].drift else "the latest run is back to normal"
    return (
        f'<p class="drift" data-drift-run="{_e(run.label)}"><span class="badge drift">layout drift</span>'
        f" since the run of {_e(run.label)} UTC: bodies {_e(now)}{_e(was)}; {still}."
        " The site's markup probably changed: update the parser's selectors.</p>"
    )


def _latest(run: Run) -> str:
    who = f"a distributed round of {len(run.workers)} workers" if len(run.workers) > 1 else "one crawl"
    if run.distributed and not run.complete:
        who += " (the report of the worker that opened the round was not found)"
    parts = [
        f"<h3>Latest run: {_e(run.label)} UTC</h3>",
        f"<p>{_verdict(run)} {_e(who)}, {run.items} items, finish reason"
        f" <code>{_e(', '.join(run.finish_reasons) or '?')}</code>.</p>",
    ]
    bad = [(m, s) for m, s in run.monitors.items() if s in BAD]
    if bad:
        parts.append(
            _table(
                ("monitor", "status", "reason"),
                [(_e(m), _e(s), _e("; ".join(run.reasons.get(m, [])))) for m, s in bad],
            )
        )
    urls = run.failed_urls
    total = sum(run.failed.values())
    if urls:
        more = f" (first {len(urls)} of {total} kept)" if total > len(urls) else ""
        parts.append(f"<h4>Failed URLs{_e(more)}</h4>")
        parts.append(
            _table(
                ("URL", "reason"), [(f"<code>{_e(u.get('url'))}</code>", _e(u.get("reason"))) for u in urls]
            )
        )
    elif total:
        reasons = ", ".join(f"{k} {v}" for k, v in run.failed.items())
        why = "" if run.failed_urls_recorded else " (this report predates failed-URL recording)"
        parts.append(f"<h4>Failed URLs</h4><p>{_e(reasons)}; URLs not in the report{_e(why)}.</p>")
    else:
        parts.append("<h4>Failed URLs</h4><p>none</p>")
    rows = []
    for worker in run.workers:
        who_w = (worker.get("distributed") or {}).get("worker") or ""
        rows += [(_e(kind), f"<code>{_e(path)}</code>", _e(who_w)) for kind, path in files(worker)]
    parts.append("<h4>Files</h4>" + _table(("file", "path", "worker"), rows))
    return "".join(parts)


def _runs_table(runs: Sequence[Run]) -> str:
    rows, classes = [], []
    for run in reversed(runs):
        share = run.share("body", "generic")
        rows.append((
            _e(run.label), str(len(run.workers)), str(run.items), str(sum(run.drops.values())),
            str(sum(run.failed.values())), "-" if share is None else f"{share:.0%}",
            _verdict(run) + (' <span class="badge drift">drift</span>' if run.drift else ""),
            "<br>".join(f"<code>{_e(w['path'])}</code>" for w in run.workers),
        ))  # fmt: skip
        classes.append("drift" if run.drift else "")
    head = ("run (UTC)", "workers", "items", "drops", "failed", "generic bodies", "monitors", "report")
    return f"<details><summary>all {len(runs)} runs</summary>{_table(head, rows, classes)}</details>"


def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    return settings


def render(root: Path, settings: Settings | None = None) -> str:
    """The HTML page over every run report under ``root``."""
    from plotly.offline import get_plotlyjs

    settings = settings or project_settings()
    found, problems = find_reports(root)
    spiders = group(found, settings.getint("NEWSCRAWL_MONITOR_MIN_ITEMS"))
    max_generic = settings.getfloat("NEWSCRAWL_MONITOR_MAX_GENERIC_SHARE")
    rules = {str(k): float(v) for k, v in settings.getdict("NEWSCRAWL_MONITOR_COVERAGE").items()}
    for runs in spiders.values():
        mark_drift(runs, max_generic)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    overview = []
    sections = []
    for spider, runs in spiders.items():
        latest = runs[-1]
        drift = ' <span class="badge drift">drift</span>' if latest.drift else ""
        overview.append((
            f'<a href="#{_e(spider)}">{_e(spider)}</a>', str(len(runs)), _e(runs[0].label), _e(latest.label),
            str(latest.items), _verdict(latest) + drift,
        ))  # fmt: skip
        charts = []
        for name, fig in _figures(spider, runs, rules):
            div = fig.to_html(
                full_html=False, include_plotlyjs=False, div_id=f"{spider}-{name}",
                config={"displaylogo": False, "responsive": True},
            )  # fmt: skip
            charts.append(
                f'<div class="chart" data-chart="{_e(name)}" data-spider="{_e(spider)}">{div}</div>'
            )
        sections.append(
            f'<section id="{_e(spider)}" data-spider="{_e(spider)}"><h2>{_e(spider)}</h2>'
            f'{_drift_note(runs)}{_latest(latest)}<div class="charts">{"".join(charts)}</div>'
            f"{_runs_table(runs)}</section>"
        )
    if problems:
        skipped = "".join(f"<li><code>{_e(p)}</code></li>" for p in problems)
        sections.append(f"<h2>Skipped files</h2><ul>{skipped}</ul>")
    if not spiders:
        sections.append(f"<p>No run reports under <code>{_e(root)}</code>.</p>")
    head = ("spider", "runs", "first run", "latest run", "latest items", "latest monitors")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>newscrawl run history</title><style>{CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f'<h1>newscrawl run history</h1><p class="note">{len(found)} run reports under'
        f" <code>{_e(root.absolute())}</code>,"
        f" generated {now} UTC. Drift threshold: generic bodies above {max_generic:.0%}.</p>"
        f"{_table(head, overview)}{''.join(sections)}</body></html>"
    )


def write_page(root: str | Path | None = None, out: str | Path | None = None) -> Path:
    """Write the page (default ``<data dir>/reports/index.html``); returns its path."""
    folder = report.data_dir(root)
    path = Path(out) if out else folder / "reports" / "index.html"
    page = render(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, "utf-8")
    return path


# ----------------------------------------------------------------------------- command


def run_command(args: argparse.Namespace) -> int:
    root = report.data_dir(args.data_dir)
    if not args.html:
        spiders = args.spiders or sorted({str(r["spider"]) for r in find_reports(root)[0]})
        if not spiders:
            print(f"newscrawl report: no run reports under {root}", file=sys.stderr)
            return 2 if args.check else 0
        argv = [*spiders, *(["--data-dir", str(root)]), *(["--check"] if args.check else [])]
        return report.main(argv)
    if not find_reports(root)[0]:
        print(
            f"newscrawl report: no run reports under {root} (run a crawl or `make demo` first)",
            file=sys.stderr,
        )
        return 1
    print(f"run history page: {write_page(root, args.output)}")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="run reports: latest verdicts, or --html: one page of charts over every run",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("spiders", nargs="*", help="without --html: spiders whose latest verdict to print")
    parser.add_argument("--html", action="store_true", help="write the run-history page")
    parser.add_argument("--data-dir", help="default: $NEWSCRAWL_DATA_DIR or ./data")
    parser.add_argument("-o", "--output", help="page path (default <data dir>/reports/index.html)")
    parser.add_argument("--check", action="store_true", help="without --html: exit 1 if monitors failed")
    parser.set_defaults(func=run_command)
