"""Score extraction on real pages nobody here wrote, side by side with trafilatura.

    python scripts/eval_wild.py [--corpus-dir ../shared/corpus] [--corpus DIR ...]
                                [--spider arab_news ...] [--json out.json] [-v]

Every folder under ``--corpus-dir`` with a ``truth.json`` is a corpus (``wild``,
``wild2``, ``arabic``; ``--corpus`` names folders one by one instead). Its pages are
served through a replay snapshot at article URLs of each spider and crawled with
``scrapy crawl <spider> -a urls=...``, the whole pipeline included (validation: a
page that does not yield a valid article is lost and scores zero). A corpus whose
titles are mostly Arabic goes through the Arabic editions (``aawsat.com``,
``www.alarabiya.net``), any other through the English ones. The URLs carry no date,
so a date can only come from the page itself. trafilatura's ``bare_extraction``
(with metadata, given the page's original URL) runs on the same HTML in the same
process.

Scores (the corpus README's definitions): ``items`` = pages that yielded an item;
title equal at token F1 >= 0.7; ``day`` = publication day; ``with`` recall = share
of body snippets found; ``without`` leakage = share of boilerplate snippets found
(lower is better). Exit status 1 when a spider loses a page or scores below
trafilatura on any measure of any corpus; 2 when there is no corpus.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Article URLs per route: no date in them (a date must come from the page).
ROUTES: dict[str, dict[str, Callable[[int], str]]] = {
    "en": {
        "arab_news": lambda n: f"https://www.arabnews.com/node/{9_000_000 + n}/world",
        "asharq_al_awsat": lambda n: f"https://english.aawsat.com/world/{9_000_000 + n}-wild-page",
        "al_arabiya": lambda n: f"https://english.alarabiya.net/News/world/wild-page-{n}",
    },
    "ar": {
        "asharq_al_awsat": lambda n: f"https://aawsat.com/%D8%B9%D8%A7%D9%84%D9%85/{9_000_000 + n}-wild-page",
        "al_arabiya": lambda n: f"https://www.alarabiya.net/arab-and-world/wild-page-{n}",
    },
}
MEASURES = ("items", "title", "date", "with", "without")
ARABIC = re.compile("[\u0600-\u06ff]")


def norm(text: str) -> str:
    text = re.sub(r"&#x27;|&#39;", "'", text)
    return " ".join(text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').split()).lower()


def token_f1(a: str, b: str) -> float:
    ta, tb = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    if not ta or not tb:
        return 0.0
    common = sum(min(ta.count(t), tb.count(t)) for t in set(ta))
    if not common:
        return 0.0
    precision, recall = common / len(ta), common / len(tb)
    return 2 * precision * recall / (precision + recall)


def score(
    truth: dict[str, Any], title: str | None, date: str | None, body: str | None, found: bool = True
) -> dict[str, Any]:
    text = norm(f"{title or ''}\n{body or ''}")
    found_with = [s for s in truth["with"] if norm(s) in text]
    found_without = [s for s in truth["without"] if norm(s) in text]
    return {
        "items": float(found),
        "title": float(token_f1(title or "", truth["title"]) >= 0.7),
        "date": float((date or "")[:10] == truth["date"]),
        "with": (len(found_with), len(truth["with"])),
        "without": (len(found_without), len(truth["without"])),
        "leaked": found_without,
        "missed": [s for s in truth["with"] if s not in found_with],
    }


def trafilatura_scores(corpus: Path, truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    import trafilatura

    out = {}
    for name, facts in truth.items():
        html = (corpus / name).read_text("utf-8", errors="replace")
        doc = trafilatura.bare_extraction(html, url=facts["url"], with_metadata=True)
        data = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
        out[name] = score(facts, data.get("title"), data.get("date"), data.get("text"))
    return out


def spider_scores(
    spider: str, route: Callable[[int], str], corpus: Path, truth: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp)
        urls = {}
        lines = []
        for n, name in enumerate(sorted(truth)):
            url = route(n)
            urls[url] = name
            (snap / name).write_bytes((corpus / name).read_bytes())
            headers = {"Content-Type": "text/html; charset=utf-8"}
            lines.append(json.dumps({"url": url, "headers": headers, "body": name}))
        (snap / "manifest.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
        out = snap / "out.jsonl"
        cmd = [
            sys.executable, "-m", "scrapy", "crawl", spider, "-O", str(out),
            "-a", "urls=" + ",".join(urls), "-s", f"NEWSCRAWL_REPLAY={snap}",
            "-s", f"NEWSCRAWL_DATA_DIR={snap / 'data'}", "-s", "LOG_LEVEL=WARNING",
        ]  # fmt: skip
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        items = [json.loads(line) for line in out.read_text("utf-8").splitlines()] if out.exists() else []
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
    by_name = {urls[item["url"]]: item for item in items if item["url"] in urls}
    out = {}
    for name, facts in truth.items():
        item = by_name.get(name)
        got = item or {}
        out[name] = score(facts, got.get("title"), got.get("published_at"), got.get("body"), item is not None)
    return out


def totals(scores: dict[str, dict[str, Any]]) -> dict[str, float]:
    n = len(scores) or 1
    out = {m: sum(s[m] for s in scores.values()) / n for m in ("items", "title", "date")}
    for m in ("with", "without"):
        found = sum(s[m][0] for s in scores.values())
        total = sum(s[m][1] for s in scores.values()) or 1
        out[m] = found / total
    return out


def route_of(truth: dict[str, Any]) -> str:
    """``ar`` when most titles are in Arabic script, else ``en``."""
    arabic = sum(bool(ARABIC.search(facts.get("title", ""))) for facts in truth.values())
    return "ar" if arabic * 2 > len(truth) else "en"


def corpora(opts: argparse.Namespace) -> list[Path]:
    if opts.corpus:
        return list(opts.corpus)
    return sorted(p.parent for p in opts.corpus_dir.glob("*/truth.json"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus-dir", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--corpus", type=Path, action="append", help="one corpus folder (repeatable)")
    ap.add_argument("--spider", action="append", help="default: every spider of the route that exists")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--verbose", "-v", action="store_true", help="per-page misses")
    opts = ap.parse_args()
    folders = [f for f in corpora(opts) if (f / "truth.json").exists()]
    if not folders:
        print(f"no corpus under {opts.corpus_dir} (no */truth.json)", file=sys.stderr)
        return 2
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()

    results: dict[str, dict[str, dict[str, float]]] = {}
    worse: list[str] = []
    header = f"{'corpus':<10}{'extractor':<26}" + "".join(f"{m:>9}" for m in MEASURES)
    print(header + "   (without: lower is better)")
    for folder in folders:
        truth = json.loads((folder / "truth.json").read_text("utf-8"))
        route = route_of(truth)
        details = {"trafilatura": trafilatura_scores(folder, truth)}
        for spider, make_url in ROUTES[route].items():
            if spider in listed and (not opts.spider or spider in opts.spider):
                details[f"{spider} ({route})"] = spider_scores(spider, make_url, folder, truth)
        figures = results[folder.name] = {who: totals(pages) for who, pages in details.items()}
        for who, fig in figures.items():
            shown = "".join(
                f"{f'{round(fig[m] * len(truth))}/{len(truth)}':>9}" if m == "items" else f"{fig[m]:>9.2f}"
                for m in MEASURES
            )
            print(f"{folder.name:<10}{who:<26}{shown}")
        for who in figures:
            if who == "trafilatura":
                continue
            ours, theirs = figures[who], figures["trafilatura"]
            for m in MEASURES:
                lower = ours[m] > theirs[m] + 1e-9 if m == "without" else ours[m] < theirs[m] - 1e-9
                if lower or (m == "items" and ours[m] < 1.0):
                    worse.append(f"{folder.name}:{who}.{m}")
        if opts.verbose:
            for who, pages in details.items():
                for name, s in sorted(pages.items()):
                    if s["missed"] or s["leaked"] or not s["title"] or not s["date"] or not s["items"]:
                        lost = "" if s["items"] else " LOST"
                        print(
                            f"  {folder.name} {who} {name}:{lost} title={s['title']:.0f} date={s['date']:.0f}"
                            f" missed={s['missed']} leaked={s['leaked']}"
                        )
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2), "utf-8")
    if worse:
        print("lost pages or below trafilatura on: " + ", ".join(worse))
    return 1 if worse else 0


if __name__ == "__main__":
    raise SystemExit(main())
