"""``newscrawl parse URL|FILE [--url URL] [--source NAME]``: one page to Article JSON.

- ``FILE`` (a saved page) is parsed offline. Its URL — which picks the parser and
  becomes the record's ``url`` — is ``--url``, else the page's own rel=canonical or
  og:url.
- ``URL`` is fetched once (no retries) by the source's own spider (``-a urls=URL``),
  so robots.txt, the project's User-Agent, redirects, Daily8's rendering and
  ``NEWSCRAWL_REPLAY`` apply as in a crawl; nothing is exported, marked seen or reported.

The parser is chosen by domain (``newscrawl.parsers.parser_for``) unless ``--source``
names one. Prints the validated ``Article`` as JSON on stdout. Exit status: 0 valid;
1 when the page breaks the contract (each field and why on stderr, as in
``data/rejected/``), is not an article, or could not be fetched; 2 for usage errors
(no parser for the host, no such file, no URL).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from parsel import Selector

from newscrawl.sources import SOURCES

USAGE, INVALID = 2, 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "parse",
        help="parse one page (a URL, fetched once, or a saved file) into Article JSON",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="URL|FILE", help="an article URL, or a saved HTML file")
    parser.add_argument("--url", help="FILE: the page's original URL (default: its rel=canonical/og:url)")
    parser.add_argument(
        "--source", choices=sorted(SOURCES), help="use this source's parser, whatever the host"
    )
    parser.add_argument("--jsonl", action="store_true", help="one line of JSON instead of indented")
    parser.set_defaults(func=main)


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _page_url(html: bytes) -> str | None:
    sel = Selector(body=html, type="html")
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        if (found := (sel.xpath(xpath).get() or "").strip()) and _is_url(found):
            return found
    return None


def _fetch(url: str, source: str) -> tuple[dict[str, Any] | None, str | None]:
    """The source spider's raw fields for ``url``, or why there are none."""
    from newscrawl.cli import runner

    settings = runner.project_settings(
        ITEM_PIPELINES={},  # validation is ours: the errors go to stderr, not data/rejected/
        NEWSCRAWL_STATE="off",
        NEWSCRAWL_FEEDS=False,
        NEWSCRAWL_STATS_FILE=None,
        SPIDERMON_ENABLED=False,
        RETRY_ENABLED=False,
        LOG_LEVEL="ERROR",  # what went wrong is summed up in one line below
    )
    (outcome,) = runner.run(settings, [(source, {"urls": [url]})])
    if outcome.items:
        return outcome.items[0], None
    for prefix, what in (
        ("skipped/", "skipped"),
        ("failed/", "fetch failed"),
        ("dropped/", "dropped"),
        ("render/", "rendering"),
    ):
        if found := outcome.counts(prefix):
            return None, f"{what}: {', '.join(found)}"
    if outcome.stat("newscrawl/parse_error"):
        return None, "the parser raised an error (see the log above)"
    return None, "no article came out (see the log above)"


def main(args: argparse.Namespace) -> int:
    from newscrawl.api import (
        InvalidArticle,
        NotAnArticle,
        UnsupportedSite,
        choose_parser,
        parse_fields,
        validate,
    )

    target: str = args.target
    try:
        if _is_url(target) and not Path(target).exists():
            if args.url:
                print("newscrawl parse: --url is for a FILE; the URL is the target", file=sys.stderr)
                return USAGE
            source = args.source or choose_parser(target).source
            fields, why = _fetch(target, source)
            if fields is None:
                print(f"newscrawl parse: {target}: {why}", file=sys.stderr)
                return INVALID
        else:
            path = Path(target)
            if not path.is_file():
                print(f"newscrawl parse: no such file: {target}", file=sys.stderr)
                return USAGE
            html = path.read_bytes()
            url = args.url or _page_url(html)
            if not url:
                print(
                    f"newscrawl parse: {target} names no canonical URL: give --url with the page's URL",
                    file=sys.stderr,
                )
                return USAGE
            fields = parse_fields(html, url, source=args.source)
        article = validate(fields)
    except UnsupportedSite as exc:
        print(f"newscrawl parse: {exc}", file=sys.stderr)
        return USAGE
    except NotAnArticle as exc:
        print(f"newscrawl parse: {exc}", file=sys.stderr)
        return INVALID
    except InvalidArticle as exc:
        print(f"newscrawl parse: {exc.url} breaks the Article contract:", file=sys.stderr)
        for error in exc.errors:
            value = exc.fields.get(error["field"].split(".")[0])
            print(f"  {error['field']}: {error['reason']} (extracted: {value!r:.80})", file=sys.stderr)
        return INVALID
    record = article.model_dump(mode="json")
    try:
        print(json.dumps(record, ensure_ascii=False, indent=None if args.jsonl else 2), flush=True)
    except BrokenPipeError:  # `newscrawl parse ... | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # keeps the interpreter's final flush quiet
    return 0
