"""Score extraction on real pages nobody here wrote, side by side with trafilatura.

    python scripts/eval_wild.py [--corpus ../shared/corpus/wild] [--spider arab_news ...] [--json out.json]

Each page of the corpus (``truth.json`` + HTML files) is served through a
replay snapshot at an English article URL of each spider and crawled with
``scrapy crawl <spider> -a urls=...``, the whole pipeline included (validation:
a page that does not yield a valid article scores zero). trafilatura's
``bare_extraction`` (with metadata) runs on the same HTML in the same process.

Scores (the corpus README's definitions): title equal at token F1 >= 0.7;
date = publication day; ``with`` recall = share of body snippets found;
``without`` leakage = share of boilerplate snippets found (lower is better).
Exit status is 1 when a spider scores below trafilatura on any measure.
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
URLS: dict[str, Callable[[int], str]] = {
    "arab_news": lambda n: f"https://www.arabnews.com/node/{9_000_000 + n}/world",
    "asharq_al_awsat": lambda n: f"https://english.aawsat.com/world/{9_000_000 + n}-wild-page",
    "al_arabiya": lambda n: f"https://english.alarabiya.net/News/world/2026/11/20/wild-page-{n}",
}
MEASURES = ("title", "date", "with", "without")


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


def score(truth: dict[str, Any], title: str | None, date: str | None, body: str | None) -> dict[str, Any]:
    text = norm(f"{title or ''}\n{body or ''}")
    found_with = [s for s in truth["with"] if norm(s) in text]
    found_without = [s for s in truth["without"] if norm(s) in text]
    return {
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


def spider_scores(spider: str, corpus: Path, truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp)
        urls = {}
        lines = []
        for n, name in enumerate(sorted(truth)):
            url = URLS[spider](n)
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
    return {
        name: score(
            facts, *(lambda i: (i.get("title"), i.get("published_at"), i.get("body")))(by_name.get(name, {}))
        )
        for name, facts in truth.items()
    }


def totals(scores: dict[str, dict[str, Any]]) -> dict[str, float]:
    n = len(scores) or 1
    out = {m: sum(s[m] for s in scores.values()) / n for m in ("title", "date")}
    for m in ("with", "without"):
        found = sum(s[m][0] for s in scores.values())
        total = sum(s[m][1] for s in scores.values()) or 1
        out[m] = found / total
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "wild")
    ap.add_argument(
        "--spider", action="append", choices=sorted(URLS), help="default: every spider that exists"
    )
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--verbose", "-v", action="store_true", help="per-page details")
    opts = ap.parse_args()
    truth_path = opts.corpus / "truth.json"
    if not truth_path.exists():
        print(f"no corpus at {opts.corpus} (truth.json missing)", file=sys.stderr)
        return 2
    truth = json.loads(truth_path.read_text("utf-8"))
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True
    )
    spiders = opts.spider or [s for s in URLS if s in listed.stdout.split()]

    results = {"trafilatura": totals(base := trafilatura_scores(opts.corpus, truth))}
    details = {"trafilatura": base}
    for spider in spiders:
        details[spider] = spider_scores(spider, opts.corpus, truth)
        results[spider] = totals(details[spider])

    print(f"{'extractor':<18}" + "".join(f"{m:>10}" for m in MEASURES) + "   (without: lower is better)")
    for who, figures in results.items():
        print(f"{who:<18}" + "".join(f"{figures[m]:>10.2f}" for m in MEASURES))
    if opts.verbose:
        for who, pages in details.items():
            for name, s in pages.items():
                if s["missed"] or s["leaked"] or not s["title"] or not s["date"]:
                    print(
                        f"  {who} {name}: title={s['title']} date={s['date']}"
                        f" missed={s['missed']} leaked={s['leaked']}"
                    )
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2), "utf-8")

    def below(spider: str, m: str) -> bool:
        ours, theirs = results[spider][m], results["trafilatura"][m]
        return ours > theirs if m == "without" else ours < theirs

    worse = [f"{spider}.{m}" for spider in spiders for m in MEASURES if below(spider, m)]
    if worse:
        print("below trafilatura on: " + ", ".join(worse))
    return 1 if worse else 0


if __name__ == "__main__":
    raise SystemExit(main())
