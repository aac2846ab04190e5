"""The four sources, described once: name, hosts, editions, language, offset, spider, parser.

Everything else reads this table: ``Article.source`` and the id prefix (``newscrawl.items``),
the parser registry (``newscrawl.parsers.parser_for``), the spiders' ``allowed_domains``,
the Daily8 linking pipeline (which sources publish, which aggregate), the CLI's ``--source``
choices. ``tests/test_project.py`` checks that the spiders and parsers agree with it. The facts
behind each entry are in docs/sources.md (§1–§4).

Add a source: one ``SourceInfo`` here, its name in ``Source``, a spider and a parser module named
after it, fixtures under ``tests/fixtures/<name>/``, a section in docs/sources.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone
from typing import Literal

from newscrawl.text import offset

Source = Literal["asharq_al_awsat", "al_arabiya", "arab_news", "daily8"]


@dataclass(frozen=True)
class SourceInfo:
    """One crawled site. ``editions`` maps each edition (language code) to its host."""

    name: str  # spider name, ``Article.source``, id prefix, fixtures folder, module names
    publisher: str  # the site's name; ``Article.publisher`` unless an aggregator (it credits the outlet)
    editions: dict[str, str]  # language -> host, e.g. {"en": "english.aawsat.com"}
    utc_offset_hours: int  # the documented local time of the site, applied when a date has none
    spider: str  # "module:Class" under newscrawl.spiders
    parser: str  # "module:Class" under newscrawl.parsers
    domains: tuple[str, ...]  # registered domains the parser covers (subdomains included)
    aggregator: bool = False  # republishes other outlets (Daily8): its items link to originals
    extra_hosts: tuple[str, ...] = field(default=())  # other hosts its spider may fetch
    section: str = ""  # docs/sources.md section

    @property
    def offset(self) -> timezone:
        return offset(self.utc_offset_hours)

    @property
    def hosts(self) -> list[str]:
        """Every host a spider of this source may fetch (its ``allowed_domains``)."""
        return list(dict.fromkeys((*self.editions.values(), *self.extra_hosts)))

    def language_of(self, host: str) -> str | None:
        """The edition language served on ``host`` (``www.`` ignored), or None."""
        host = host.lower().removeprefix("www.")
        for language, edition_host in self.editions.items():
            if edition_host.removeprefix("www.") == host:
                return language
        return None


SOURCES_INFO: dict[str, SourceInfo] = {
    info.name: info
    for info in (
        SourceInfo(
            name="asharq_al_awsat",
            publisher="Asharq Al-Awsat",
            editions={"en": "english.aawsat.com", "ar": "aawsat.com"},
            utc_offset_hours=3,  # Saudi Arabia, no DST
            spider="asharq_al_awsat:AsharqAlAwsatSpider",
            parser="asharq_al_awsat:AsharqAlAwsatParser",
            domains=("aawsat.com",),
            section="§1",
        ),
        SourceInfo(
            name="al_arabiya",
            publisher="Al Arabiya",
            editions={"en": "english.alarabiya.net", "ar": "www.alarabiya.net"},
            utc_offset_hours=4,  # Gulf Standard Time (Dubai), no DST
            spider="al_arabiya:AlArabiyaSpider",
            parser="al_arabiya:AlArabiyaParser",
            domains=("alarabiya.net",),
            section="§2",
        ),
        SourceInfo(
            name="arab_news",
            publisher="Arab News",
            editions={"en": "www.arabnews.com"},
            utc_offset_hours=3,  # Saudi Arabia, no DST
            spider="arab_news:ArabNewsSpider",
            parser="arab_news:ArabNewsParser",
            domains=("arabnews.com",),
            extra_hosts=("arabnews.com",),  # links without www. redirect to www.
            section="§3",
        ),
        SourceInfo(
            name="daily8",
            publisher="Daily8",
            editions={"en": "www.daily8.com", "ar": "www.daily8.com"},
            utc_offset_hours=4,  # UAE (the company's home); dates on the page carry no zone
            spider="daily8:Daily8Spider",
            parser="daily8:Daily8Parser",
            domains=("daily8.com", "d358xbzettaslu.amplifyapp.com"),  # Amplify branch host
            aggregator=True,
            section="§4",
        ),
    )
}
SOURCES: tuple[str, ...] = tuple(SOURCES_INFO)
AGGREGATORS: tuple[str, ...] = tuple(name for name, info in SOURCES_INFO.items() if info.aggregator)
PUBLISHERS: tuple[str, ...] = tuple(name for name in SOURCES if name not in AGGREGATORS)
