"""Link aggregator items to the originals they republish (``duplicate_of``).

An item read on an aggregator (``via`` set: Daily8) is linked to the ``id`` of the
original article, exported by a publisher spider (arab_news, asharq_al_awsat, al_arabiya):

1. **Explicit link.** ``original_url`` is looked up among the originals' canonical URLs,
   else mapped through the parser registry (``parser_for(url).url_id``): ids are
   derived from URLs, so an explicit link names the original's id in any run.
2. **Fingerprint.** ``fingerprint(title, body)`` is a 64-bit SimHash of the word
   3-shingles of the normalised text: case, punctuation and quote styles ignored
   (Daily8 prints the source's ``"…"`` as ``'…'``), Arabic diacritics, tatweel and alef
   forms folded. Two texts are near-duplicates when their fingerprints differ in at most
   ``MAX_DISTANCE`` bits. Texts under ``MIN_WORDS`` words get no fingerprint: a one-line
   lede cannot be told apart from another, so such items link only by URL.

Within one run ``LinkingPipeline`` indexes every publisher item that passes through it
(canonical URLs, and fingerprints by ``keys``). Across runs and machines the seen-store
(``NEWSCRAWL_STATE``) is the index: every original durably exported is remembered there
with its fingerprint (``SeenStore.commit``), so a Daily8 crawl on a fresh worker or a
Scrapyd node finds originals exported anywhere, by ``original_url`` (``store.get``) or by
fingerprint (``store.find_original``, an indexed lookup: as fast at a million originals as
at a thousand; ``make bench`` measures it). No export file is read.

``bands(fp)`` / ``keys(fp)`` split a fingerprint into index keys such that two fingerprints
within ``MAX_DISTANCE`` (3) bits share at least one (pigeonhole), so an index compares
only the candidates sharing a key.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from functools import lru_cache
from hashlib import blake2b
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newscrawl.parsers import parser_for
from newscrawl.sources import PUBLISHERS
from newscrawl.stats import inc
from newscrawl.text import canonical_url, clean_text

logger = logging.getLogger(__name__)

MIN_WORDS = 50
MAX_DISTANCE = 3

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
# _SHIFTED[k][byte]: byte k of the digest (0 = its bits 0-7) spread into its 8 lanes, pre-shifted
_SHIFTED = tuple(tuple(spread << (k * 8 * _LANE) for spread in _SPREAD) for k in range(8))


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
    t0, t1, t2, t3, t4, t5, t6, t7 = _SHIFTED
    for i in range(shingles):
        d = blake2b(" ".join(tokens[i : i + 3]).encode(), digest_size=8).digest()
        # big-endian digest: its last byte holds bits 0-7
        counts += t0[d[7]] + t1[d[6]] + t2[d[5]] + t3[d[4]] + t4[d[3]] + t5[d[2]] + t6[d[1]] + t7[d[0]]
    mask = (1 << _LANE) - 1
    # bit set where more shingles have it set than not (weights[bit] > 0)
    return sum(1 << bit for bit in range(64) if 2 * (counts >> (bit * _LANE) & mask) > shingles)


def distance(a: int, b: int) -> int:
    """Number of differing bits."""
    return (a ^ b).bit_count()


def bands(fp: int) -> tuple[int, int, int, int]:
    """Four 16-bit keys; near-duplicates (<= 3 bits apart) share at least one.

    The Redis store's index (a set per band): few keys, but a band is shared by one
    original in 65,536, so candidates grow with the store (~60 at a million)."""
    return (fp & 0xFFFF, fp >> 16 & 0xFFFF, fp >> 32 & 0xFFFF, fp >> 48 & 0xFFFF)


_BLOCKS = ((0, 13), (13, 13), (26, 13), (39, 13), (52, 12))  # (offset, width): 64 bits in 5 blocks
_PAIRS = tuple((i, j) for i in range(5) for j in range(i + 1, 5))


def keys(fp: int) -> tuple[int, ...]:
    """Ten 30-bit keys (4-bit pair number + 26 bits); near-duplicates share at least one.

    64 bits in five blocks: 3 differing bits touch at most 3 blocks, so at least 2 blocks
    are equal, and the key of that pair of blocks is the same (pigeonhole). A key is shared
    by one unrelated original in 2^26: the candidates stay ~0 up to millions of originals,
    so a lookup costs the same at 1k and 1M (the SQLite store's and the in-run index)."""
    b = [fp >> offset & ((1 << width) - 1) for offset, width in _BLOCKS]
    return tuple(n << 26 | b[i] << 13 | b[j] for n, (i, j) in enumerate(_PAIRS))


def id_from_url(url: str | None) -> str | None:
    """The id a publisher spider gives the article at ``url`` (registry parsers), or None."""
    if not url:
        return None
    parser = parser_for(url)
    if parser is None or parser.source not in PUBLISHERS:
        return None
    return f"{parser.source}:{parser.url_id(url)}"  # the id its parser gives a page without ids of its own


class Originals:
    """In-memory index of this run's originals: canonical URL -> id, fingerprints by key."""

    def __init__(self) -> None:
        self.by_url: dict[str, str] = {}
        self.by_key: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)

    def add(self, item: dict[str, Any]) -> None:
        if not item.get("id"):
            return
        for url in (item.get("canonical_url"), item.get("url")):
            if url:
                self.by_url[canonical_url(url)] = item["id"]
        if (fp := fingerprint(item.get("title"), item.get("body"))) is not None:
            for key in keys(fp):
                self.by_key[key].append((fp, item["id"]))

    def find(self, original_url: str | None, fp: int | None) -> tuple[str, str] | None:
        """(id, how) with how = ``url`` or ``fingerprint``; None when nothing matches."""
        if original_url:
            if found := self.by_url.get(canonical_url(original_url)):
                return found, "url"
        if fp is not None:
            near = [(distance(fp, other), id_) for key in keys(fp) for other, id_ in self.by_key.get(key, ())]
            best = min(near, default=None)
            if best and best[0] <= MAX_DISTANCE:
                return best[1], "fingerprint"
        return None


class LinkingPipeline:
    """Sets ``duplicate_of`` on aggregator items; see the module docstring.

    Order: this run's originals (``linked/url``, ``linked/fingerprint``), then the
    seen-store (``linked/store``), then the id an explicit ``original_url`` maps to
    (``linked/url``)."""

    def __init__(self, crawler: Crawler) -> None:
        from newscrawl.storage.incremental import SeenState, state_enabled  # circular: it imports this module

        self.crawler = crawler
        self.originals = Originals()
        self.state = SeenState.of(crawler) if state_enabled(crawler.settings) else None

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
        original_url = adapter.get("original_url")
        fp = fingerprint(adapter.get("title"), adapter.get("body"))
        found = self.originals.find(original_url, fp) or self._from_store(original_url, fp)
        if found is None and (mapped := id_from_url(original_url)):
            found = mapped, "url"
        if found and found[0] != adapter.get("id"):
            adapter["duplicate_of"], how = found
            inc(self.crawler, f"linked/{how}")
        return item

    def _from_store(self, original_url: str | None, fp: int | None) -> tuple[str, str] | None:
        if self.state is None:
            return None
        store = self.state.store
        if original_url and (record := store.get(original_url)):
            return record.id, "store"
        if fp is not None and (found := store.find_original(fp)):
            return found, "store"
        return None
