"""``--profile``: where the time goes, under cProfile, in the parsers and in the crawl.

Own time summed by module and the top functions, per fixture page (parsers, 20 rounds
after a warm-up round) and per response (a crawl of the snapshot, fresh seen-store).
The raw profiles go to ``<out>/parse.prof`` and ``<out>/crawl.prof``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from .common import FROZEN, article_pages
from .crawl import crawl


def top_functions(stats: Any, per: int, limit: int = 12) -> list[dict[str, Any]]:
    """The ``limit`` functions with the most own time (cProfile), in ms per ``per`` unit."""
    total = sum(row[2] for row in stats.stats.values()) or 1.0
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:limit]
    return [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "own_ms": own * 1000 / per,
            "cum_ms": cum * 1000 / per,
            "share": own / total,
        }
        for (file, line, name), (_, _, own, cum, _) in rows
    ]


def _module(file: str, name: str) -> str:
    """A readable owner for a profile row: package, project module or builtin kind."""
    if file == "~":  # C builtins: "<method 'search' of 're.Pattern' objects>" -> "builtin re.Pattern"
        kind = re.search(r"of '([\w.]+)' objects|built-in method ([\w.]+)", name)
        return "builtin " + (next(g for g in kind.groups() if g) if kind else name)
    path = Path(file)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].removesuffix(".py")
    if "newscrawl" in path.parts:
        return "/".join(path.parts[path.parts.index("newscrawl") :])
    return "stdlib " + path.stem


def by_module(stats: Any, per: int, limit: int = 12) -> list[dict[str, Any]]:
    """Own time summed by ``_module``: where the time goes, in ms per ``per`` unit."""
    owners: Counter[str] = Counter()
    for (file, _, name), (_, _, own, _, _) in stats.stats.items():
        owners[_module(file, name)] += own
    total = sum(owners.values()) or 1.0
    return [
        {"module": owner, "own_ms": own * 1000 / per, "share": own / total}
        for owner, own in owners.most_common(limit)
    ]


def profile_parse(out: Path) -> dict[str, list[dict[str, Any]]]:
    """cProfile of the project's parsers over the fixture pages (20 rounds, after a warm-up
    round: first-use costs such as dateparser's locale regexes are left out)."""
    import cProfile
    import pstats

    from scrapy.http import HtmlResponse, Request

    from newscrawl.parsers import parser_for

    pages = [(p.url, p.html.read_bytes(), p.headers, parser_for(p.url)) for p in article_pages()]
    pages = [page for page in pages if page[3] is not None]
    rounds = 20
    responses = [
        [HtmlResponse(url=u, body=b, headers=h, encoding="utf-8", request=Request(u)) for u, b, h, _ in pages]
        for _ in range(rounds + 1)
    ]
    for response, (_, _, _, parser) in zip(responses.pop(), pages, strict=True):
        parser.parse(response, crawled_at=FROZEN)  # type: ignore[union-attr]
    profiler = cProfile.Profile()
    profiler.enable()
    for batch in responses:
        for response, (_, _, _, parser) in zip(batch, pages, strict=True):
            parser.parse(response, crawled_at=FROZEN)  # type: ignore[union-attr]
    profiler.disable()
    profiler.dump_stats(out / "parse.prof")
    stats = pstats.Stats(profiler)
    per = rounds * len(pages)
    return {"by_module": by_module(stats, per), "by_function": top_functions(stats, per)}


def profile_crawl(snapshot: Path, tmp: Path, out: Path) -> dict[str, list[dict[str, Any]]]:
    """``scrapy crawl --profile`` of the snapshot with a fresh seen-store, per response."""
    import pstats

    prof = out / "crawl.prof"
    profiled = crawl(
        "arab_news", snapshot, tmp, "profiled", state=str(tmp / "profiled.sqlite3"), profile=prof
    )
    pages = int(profiled["stats"].get("response_received_count") or 1)
    stats = pstats.Stats(str(prof))
    return {"by_module": by_module(stats, pages), "by_function": top_functions(stats, pages)}


def measure(snapshot: Path, tmp: Path, out: Path) -> dict[str, Any]:
    """The JSON's ``profile``: both views of both profiles."""
    out.mkdir(parents=True, exist_ok=True)
    crawl_views = profile_crawl(snapshot, tmp, out)
    return {"parse (ms per fixture page)": profile_parse(out), "crawl (ms per response)": crawl_views}
