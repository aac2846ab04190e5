"""1. Parse cost: the project's parsers vs ``trafilatura.bare_extraction`` on the same HTML.

The golden fixtures' article pages (overall, by source, by the layer the body came from)
and, when ``--corpus`` has a ``truth.json``, the wild corpus served at an Arab News URL.
Each page's median CPU ms over ``--repeat`` interleaved runs; medians over pages.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from .common import FROZEN, SITE, article_pages

Page = tuple[str, str, bytes, dict[str, str]]  # group, url, body, headers


def _forget_duplicates() -> None:
    """Empty trafilatura's duplicate filter: it remembers text segments across calls, so
    extracting the same page again and again would drop its paragraphs as duplicates
    (the generic layer uses ``deduplicate=True``). Its pure memo caches stay warm, as
    they are in a long crawl (and repeating one page favours them, if anything)."""
    try:
        from trafilatura.deduplication import LRU_TEST
    except ImportError:
        return
    LRU_TEST.clear()


def _time_pair(ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median CPU ms of each (``process_time``: other processes on the machine do not
    count), measured interleaved so that cache and frequency effects hit both alike."""
    ours()
    theirs()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        for fn, out in ((ours, a), (theirs, b)):
            _forget_duplicates()
            start = time.process_time()
            fn()
            out.append((time.process_time() - start) * 1000)
    return statistics.median(a), statistics.median(b)


def _parse_next(parser: Any, responses: Iterator[Any]) -> dict[str, Any]:
    fields: dict[str, Any] = parser.parse(next(responses), crawled_at=FROZEN)
    return fields


def _parse_rows(pages: list[Page], repeat: int) -> list[dict[str, Any]]:
    """One row per page: (group, url, body, headers) -> ms of both and the body layer."""
    import trafilatura
    from scrapy.http import HtmlResponse, Request

    from newscrawl.parsers import parser_for

    rows = []
    for group, url, body, headers in pages:
        parser = parser_for(url)
        if parser is None:
            continue
        # a fresh response per call (the parsed tree is cached on the response), built
        # outside the timing; the HTML is decoded once for trafilatura likewise
        responses = iter(
            [
                HtmlResponse(url=url, body=body, headers=headers, encoding="utf-8", request=Request(url))
                for _ in range(repeat + 2)
            ]
        )
        ours = partial(_parse_next, parser, responses)
        theirs = partial(
            trafilatura.bare_extraction, body.decode("utf-8", errors="replace"), url=url, with_metadata=True
        )
        gc.collect()
        ms_ours, ms_theirs = _time_pair(ours, theirs, repeat)
        _forget_duplicates()
        layer = (ours().get("extraction") or {}).get("body", "no body")
        rows.append({"group": group, "url": url, "ours": ms_ours, "theirs": ms_theirs, "layer": layer})
    return rows


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ours = statistics.median(r["ours"] for r in rows)
    theirs = statistics.median(r["theirs"] for r in rows)
    return {"pages": len(rows), "ms_project": ours, "ms_trafilatura": theirs, "speedup": theirs / ours}


def bench_parse(corpus: Path | None, repeat: int) -> dict[str, Any]:
    """``{"fixtures", "by_source", "by_layer"[, "wild"]}``, each a ``_summary``."""
    fixtures = [(p.source, p.url, p.html.read_bytes(), p.headers) for p in article_pages()]
    rows = _parse_rows(fixtures, repeat)
    out: dict[str, Any] = {"fixtures": _summary(rows), "by_source": {}, "by_layer": {}}
    for key, field in (("by_source", "group"), ("by_layer", "layer")):
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            groups[row[field]].append(row)
        out[key] = {name: _summary(group) for name, group in sorted(groups.items())}
    if corpus and (corpus / "truth.json").exists():
        truth = json.loads((corpus / "truth.json").read_text("utf-8"))
        # served at an Arab News article URL, as scripts/eval_wild.py does
        wild: list[Page] = [
            ("wild", f"{SITE}/node/{9_000_000 + n}/world", (corpus / name).read_bytes(), {})
            for n, name in enumerate(sorted(truth))
        ]
        wild_rows = _parse_rows(wild, max(3, repeat // 3))
        out["wild"] = {**_summary(wild_rows), "layers": dict(Counter(r["layer"] for r in wild_rows))}
    return out


def measure(corpus: Path | None, repeat: int) -> dict[str, Any]:
    """The parse figures under their top-level JSON keys."""
    parse = bench_parse(corpus, repeat)
    fixtures = parse["fixtures"]
    return {
        "parse": parse,
        "parse_ms_project": fixtures["ms_project"],
        "parse_ms_trafilatura": fixtures["ms_trafilatura"],
        "parse_speedup": fixtures["speedup"],
        "wild_parse_speedup": parse["wild"]["speedup"] if "wild" in parse else None,
    }
