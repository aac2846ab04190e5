"""Link aggregator items to the originals they republish (``duplicate_of``).

An item read on an aggregator (``via`` set: Daily8) is linked to the ``id`` of the
original article, exported by a publisher spider (arab_news, asharq_al_awsat, al_arabiya):

1. **Explicit link.** ``original_url`` is looked up among the originals' canonical URLs,
   else mapped through the parser registry (``parser_for(url).native_id``): ids are
   derived from URLs, so an explicit link names the original's id in any run.
2. **Fingerprint.** ``fingerprint(title, body)`` is a 64-bit SimHash of the word
   3-shingles of the normalised text: case, punctuation and quote styles ignored
   (Daily8 prints the source's ``"…"`` as ``'…'``), Arabic diacritics, tatweel and alef
   forms folded. Two texts are near-duplicates when their fingerprints differ in at most
   ``MAX_DISTANCE`` bits. Texts under ``MIN_WORDS`` words get no fingerprint: a one-line
   lede cannot be told apart from another, so such items link only by URL.

Within one run ``LinkingPipeline`` keeps the originals in memory: every publisher item
that passes through it, plus (loaded once, when the first aggregator item arrives) the
lines the publisher spiders exported under ``<NEWSCRAWL_DATA_DIR>/<spider>/*.jsonl`` in
the last ``WINDOW`` — ``make demo`` runs daily8 after them, so its items are linked.

Across runs, the seen-store (``NEWSCRAWL_STATE``) is the index: it stores ``id``,
``canonical_url`` and ``fingerprint(title, body)`` of each exported original and answers
the same two questions. ``bands(fp)`` splits a fingerprint into four 16-bit keys: two
fingerprints within ``MAX_DISTANCE`` (3) bits share at least one band (pigeonhole), so
a store indexes bands and compares only the candidates sharing one.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import timedelta
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newscrawl.items import SOURCES
from newscrawl.parsers import parser_for
from newscrawl.stats import inc
from newscrawl.text import canonical_url, clean_text

logger = logging.getLogger(__name__)

AGGREGATORS = ("daily8",)
PUBLISHERS = tuple(s for s in SOURCES if s not in AGGREGATORS)
MIN_WORDS = 50
MAX_DISTANCE = 3
WINDOW = timedelta(days=7)

_DIACRITICS = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, dagger alef, tatweel
_FOLD = str.maketrans("أإآٱىة", "اااايه")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Normalised words: case-folded, no punctuation or quotes, Arabic letters folded."""
    folded = _DIACRITICS.sub("", clean_text(text).casefold()).translate(_FOLD)
    return _WORD.findall(folded)


_LANE = 24  # bits per counter lane: room for 16M shingles per article


def _spread_byte(byte: int) -> int:
    return sum(1 << (bit * _LANE) for bit in range(8) if byte >> bit & 1)


_SPREAD = [_spread_byte(b) for b in range(256)]


@lru_cache(maxsize=1024)
def fingerprint(title: str | None, body: str | None) -> int | None:
    """64-bit SimHash of the word 3-shingles of title + body; None under MIN_WORDS words.

    Each shingle hash is spread into 64 counter lanes of one big integer, so the
    per-bit counts are plain additions (the same SimHash as counting bit by bit).
    Cached: the linking and seen-store pipelines both ask for the same item's."""
    tokens = words(f"{title or ''} {body or ''}")
    if len(tokens) < MIN_WORDS:
        return None
    counts = 0
    shingles = len(tokens) - 2
    for i in range(shingles):
        digest = blake2b(" ".join(tokens[i : i + 3]).encode(), digest_size=8).digest()
        for k, byte in enumerate(reversed(digest)):  # big-endian digest: last byte is bits 0-7
            counts += _SPREAD[byte] << (k * 8 * _LANE)
    mask = (1 << _LANE) - 1
    # bit set where more shingles have it set than not (weights[bit] > 0)
    return sum(1 << bit for bit in range(64) if 2 * (counts >> (bit * _LANE) & mask) > shingles)


def distance(a: int, b: int) -> int:
    """Number of differing bits."""
    return (a ^ b).bit_count()


def bands(fp: int) -> tuple[int, int, int, int]:
    """Four 16-bit keys; near-duplicates (<= 3 bits apart) share at least one."""
    return (fp & 0xFFFF, fp >> 16 & 0xFFFF, fp >> 32 & 0xFFFF, fp >> 48 & 0xFFFF)


def id_from_url(url: str | None) -> str | None:
    """The id a publisher spider gives the article at ``url`` (registry parsers), or None."""
    if not url:
        return None
    parser = parser_for(url)
    if parser is None or parser.source not in PUBLISHERS:
        return None
    native = parser.native_id(canonical_url(url))
    return f"{parser.source}:{native}" if native else None


class Originals:
    """In-memory index of exported originals: canonical URL -> id, fingerprints."""

    def __init__(self) -> None:
        self.by_url: dict[str, str] = {}
        self.prints: list[tuple[int, str]] = []

    def add(self, item: dict[str, Any]) -> None:
        if not item.get("id"):
            return
        for url in (item.get("canonical_url"), item.get("url")):
            if url:
                self.by_url[canonical_url(url)] = item["id"]
        if (fp := fingerprint(item.get("title"), item.get("body"))) is not None:
            self.prints.append((fp, item["id"]))

    def find(self, original_url: str | None, fp: int | None) -> tuple[str, str] | None:
        """(id, how) with how = ``url`` or ``fingerprint``; None when nothing matches."""
        if original_url:
            found = self.by_url.get(canonical_url(original_url)) or id_from_url(original_url)
            if found:
                return found, "url"
        if fp is not None:
            near = [(distance(fp, other), id_) for other, id_ in self.prints]
            best = min(near, default=None)
            if best and best[0] <= MAX_DISTANCE:
                return best[1], "fingerprint"
        return None


class LinkingPipeline:
    """Sets ``duplicate_of`` on aggregator items; see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.originals = Originals()
        self._loaded = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if not adapter.get("via"):
            self.originals.add(adapter.asdict())
            return item
        if adapter.get("duplicate_of"):
            return item
        if not self._loaded:
            self._load_exports()
        fp = fingerprint(adapter.get("title"), adapter.get("body"))
        if found := self.originals.find(adapter.get("original_url"), fp):
            adapter["duplicate_of"], how = found
            self._inc(f"linked/{how}")
        return item

    def _load_exports(self) -> None:
        self._loaded = True
        root = Path(self.crawler.settings.get("NEWSCRAWL_DATA_DIR") or "data")
        cutoff = time.time() - WINDOW.total_seconds()
        for spider in PUBLISHERS:
            for path in sorted((root / spider).glob("*.jsonl")):
                if path.stat().st_mtime < cutoff:
                    continue
                for line in path.read_text("utf-8").splitlines():
                    try:
                        self.originals.add(json.loads(line))
                    except (ValueError, TypeError, AttributeError):
                        self._inc("linked/unreadable_lines")  # cut short by a crash: not exported
                        continue
                    self._inc("linked/originals_loaded")
        logger.info("Linking: %d originals indexed", len(self.originals.by_url))

    def _inc(self, key: str) -> None:
        inc(self.crawler, key)
