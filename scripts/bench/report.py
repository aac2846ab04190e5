"""The targets, the printed table and the JSON files (``<out>/latest.json`` and a stamped copy).

docs/bench.md explains every row; its "The JSON" section lists the keys.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TARGETS = {
    "parse_speedup": (">=", 8.0),
    "wild_parse_speedup": (">=", 1.5),
    "crawl_ratio": (">=", 0.5),
    "seen_store_ratio": (">=", 0.9),
    "peak_rss_mb": ("<", 200.0),
    "rss_growth_1000_to_2000": ("<", 0.10),
}


def _met(key: str, value: float | None) -> bool | None:
    if value is None:
        return None
    op, target = TARGETS[key]
    return value >= target if op == ">=" else value < target


def targets(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The JSON's ``targets``: ``{key: {target, value, met}}`` for every key of ``TARGETS``."""
    return {
        key: {"target": f"{op} {goal:g}", "value": r.get(key), "met": _met(key, r.get(key))}
        for key, (op, goal) in TARGETS.items()
    }


def _fmt(value: Any, spec: str = ".1f") -> str:
    if value is None:
        return "n/a"
    return format(value, spec) if isinstance(value, (int, float)) else str(value)


def table(r: dict[str, Any]) -> str:
    """The figures as an aligned text table: measure, value, baseline/detail, target, met."""
    rows: list[tuple[str, ...]] = []

    def row(label: str, value: str, detail: str = "", key: str = "", ratio: str = "") -> None:
        target = met = ""
        if key:
            op, goal = TARGETS[key]
            target = f"{op} {goal:.0%}" if key == "rss_growth_1000_to_2000" else f"{op} {goal:g}"
            met = {True: "yes", False: "NO", None: "n/a"}[r["targets"][key]["met"]]
        rows.append((label, value, detail, ratio or target, met))

    def parse_row(label: str, s: dict[str, Any]) -> None:
        row(label, f"{s['ms_project']:.2f} ms", f"{s['ms_trafilatura']:.2f} ms", ratio=f"{s['speedup']:.1f}x")

    p = r["parse"]
    parse_row(f"parse, fixtures ({p['fixtures']['pages']} pages): project | trafilatura", p["fixtures"])
    row("parse speedup vs trafilatura, fixtures", f"{r['parse_speedup']:.1f}x", key="parse_speedup")
    for name, s in p["by_source"].items():
        parse_row(f"  source {name} ({s['pages']})", s)
    for name, s in p["by_layer"].items():
        parse_row(f"  body layer {name} ({s['pages']})", s)
    if "wild" in p:
        layers = ", ".join(f"{k} {v}" for k, v in sorted(p["wild"]["layers"].items()))
        parse_row(f"  wild corpus ({p['wild']['pages']}; body: {layers})", p["wild"])
        row(
            "parse speedup vs trafilatura, wild corpus",
            f"{r['wild_parse_speedup']:.1f}x",
            key="wild_parse_speedup",
        )
    if big := r.get("largest_page"):
        row(
            f"largest page ({big['mb']:.1f} MB, {big['paragraphs']:,} paragraphs): parse s",
            f"{big['seconds']:.1f}",
        )
    row(
        "crawl pages/min: project | scrapy bench",
        _fmt(r["crawl_pages_per_min"], ".0f"),
        _fmt(r["scrapy_bench_pages_per_min"], ".0f"),
    )
    row("crawl ratio to scrapy bench", _fmt(r["crawl_ratio"], ".2f"), key="crawl_ratio")
    row(
        "  articles exported | requests | wall s",
        f"{r['crawl_items']} | {r['crawl_requests']}",
        _fmt(r["crawl_wall_s"], ".1f"),
    )
    if r.get("crawl_nostate_pages_per_min"):
        row(
            "  same crawl, seen-store off: pages/min | ratio",
            _fmt(r["crawl_nostate_pages_per_min"], ".0f"),
            _fmt(r["crawl_nostate_ratio"], ".2f"),
        )
        runs = r.get("seen_store_runs") or {}
        detail = " | ".join(f"{k} {'/'.join(f'{v:.0f}' for v in vs)}" for k, vs in runs.items())
        row(
            "seen-store on / off, best of 2 each",
            _fmt(r.get("seen_store_ratio"), ".2f"),
            detail,
            key="seen_store_ratio",
        )
    row("peak RSS MB", _fmt(r["peak_rss_mb"]), key="peak_rss_mb")
    row("RSS MB at 1,000 | 2,000 articles", _fmt(r["rss_mb_at_1000"]), _fmt(r["rss_mb_at_2000"]))
    growth = r["rss_growth_1000_to_2000"]
    row(
        "RSS growth 1,000 -> 2,000 articles",
        _fmt(None if growth is None else f"{growth:+.1%}"),
        key="rss_growth_1000_to_2000",
    )
    row(
        "rerun (unchanged): requests | article requests",
        str(r["rerun_requests"]),
        str(r["rerun_article_requests"]),
    )
    row("rerun: items | wall s", str(r["rerun_items"]), _fmt(r["rerun_wall_s"], ".1f"))
    render = r["render"]
    row(
        "render pages/min through Chromium (daily8 JS page)",
        _fmt(r["render_pages_per_min"]),
        str(render.get("reason") or f"{render.get('render_pages', 0)} pages, browser start included"),
    )
    share = r["daily8_render_share"]
    row(
        "daily8 demo article pages that needed rendering",
        _fmt(None if share is None else f"{share:.0%}"),
        f"{render.get('demo_rendered_pages', '?')} of {render.get('demo_article_pages', '?')}",
    )
    for n, link in (r.get("linking") or {}).items():
        row(
            f"linking lookup, {int(n):,} originals: store (key index) | linear scan",
            f"{link['ms_store']:.3f} ms",
            f"{link['ms_linear_scan']:.2f} ms",
        )
    head = ("measure", "value", "baseline/detail", "target", "met")
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip() for x in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write(result: dict[str, Any], out: Path) -> str:
    """``<out>/<UTC timestamp>.json`` and ``<out>/latest.json``; returns the timestamp."""
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, sort_keys=True, default=str)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    (out / f"{stamp}.json").write_text(text, "utf-8")
    (out / "latest.json").write_text(text, "utf-8")
    return stamp


def show(result: dict[str, Any], out: Path, stamp: str) -> list[str]:
    """Print the table, the machine's load, the files written and any profiles;
    returns the keys of the missed targets."""
    print()
    print(table(result))
    machine = result["machine"]
    print(
        f"\n{machine['cpus']} CPUs, load average {machine['load_average_at_start']} at start,"
        f" {machine['load_average_at_crawl']} before the crawl (other processes make rates noisy;"
        " each ratio is measured side by side)"
    )
    print(f"written: {out / 'latest.json'} and {stamp}.json ({result['bench_seconds']} s)")
    for name, views in result.get("profile", {}).items():
        print(f"\nwhere the time goes: {name}, own time under cProfile (profiler overhead included)")
        for mod, fun in zip(views["by_module"], views["by_function"], strict=False):
            left = f"{mod['own_ms']:7.3f} {mod['share']:6.1%}  {mod['module']}"
            right = f"{fun['own_ms']:7.3f} {fun['share']:6.1%}  {fun['function']}"
            print(f"  {left:<48} | {right}")
    missed = [k for k, t in result["targets"].items() if t["met"] is False]
    if missed:
        print("targets missed: " + ", ".join(missed) + " (docs/bench.md: where the time goes)")
    return missed
