"""The output contract: one ``Article`` per exported JSON line.

Every spider's items are validated against this model by
``newscrawl.pipelines.ValidationPipeline`` and exported with
``model_dump(mode="json")``. Each field's description states its format; the
README's "Output schema" table is generated from the same descriptions
(``tests/test_items.py`` checks they agree).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newscrawl.sources import SOURCES, Source

__all__ = ["SOURCES", "Article", "RelatedLink", "Source"]  # SOURCES, Source: newscrawl.sources

Layer = Literal["jsonld", "meta", "selectors", "html", "text", "generic", "embedded", "url", "feed", "http"]
Precision = Literal["second", "minute", "hour", "day"]

_ID = re.compile(rf"^({'|'.join(SOURCES)}):\S+$")
_URL = re.compile(r"^https?://[^\s/]+\S*$")


def _check_iso(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not ISO 8601: {value!r}") from exc
    if parsed.utcoffset() is None:
        raise ValueError(f"ISO 8601 without a UTC offset: {value!r}")
    return value


def _check_url(value: str | None) -> str | None:
    if value is not None and not _URL.match(value):
        raise ValueError(f"not an absolute http(s) URL: {value!r}")
    return value


class RelatedLink(BaseModel):
    """A related-story card shown beside an article (Daily8)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, description="card title")
    url: str = Field(description="absolute URL the card links to")
    publisher: str | None = Field(default=None, description="outlet the card credits")

    _url = field_validator("url")(_check_url)


class Article(BaseModel):
    """A news article, as exported (one JSON object per line)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(description="stable across runs: `<source>:<native id>`, e.g. `arab_news:2592171`")
    url: str = Field(description="the URL fetched, after redirects")
    canonical_url: str = Field(
        description="normalised canonical URL: rel=canonical when on the same site, else `url`;"
        " no tracking parameters, no fragment, percent-encoding in one (upper-case) form"
    )
    source: Source = Field(description="the crawled site (spider name)")
    publisher: str = Field(
        min_length=1,
        description="who published the text: `Arab News`, `Asharq Al-Awsat`, `Al Arabiya`,"
        " or the outlet Daily8 credits",
    )
    language: str = Field(
        pattern=r"^[a-z]{2}$",
        description="ISO 639-1 code of the page's language (`en`, `ar`, ...): declared by the page"
        " unless its script says otherwise, else the source edition's",
    )
    title: str = Field(min_length=1, description="headline, whitespace-normalised")
    summary: str | None = Field(default=None, description="standfirst / description")
    body: str = Field(
        min_length=1,
        description="plain text, paragraphs separated by one blank line; no navigation,"
        " captions, share text, related links or widgets",
    )
    authors: list[str] = Field(default_factory=list, description="bylines, possibly empty")
    published_at: str = Field(description="ISO 8601 with UTC offset, e.g. `2025-03-04T10:15:00+03:00`")
    modified_at: str | None = Field(default=None, description="ISO 8601 with UTC offset")
    section: str | None = Field(default=None, description="section name as the site shows it")
    tags: list[str] = Field(default_factory=list, description="topic tags")
    image_url: str | None = Field(default=None, description="lead image, absolute URL")
    crawled_at: str = Field(description="when the page was parsed, ISO 8601 with UTC offset")
    # --- extensions (documented in the README) ---
    published_precision: Precision = Field(
        default="second",
        description="how precise `published_at` is: `second`/`minute` for timestamps,"
        ' `hour`/`day` for relative ("14 hours ago") or date-only values',
    )
    timezone_assumed: bool = Field(
        default=False,
        description="true when the page gave no UTC offset and the source's documented"
        " default offset was applied",
    )
    extraction: dict[str, Layer] = Field(
        default_factory=dict,
        description="which extraction layer supplied `title`, `body` and `published_at`:"
        " `jsonld`, `meta`, `selectors`, `html` (`<time>`, microdata), `text` (a visible date),"
        " `generic`, `embedded`, `url` (a date in the URL), `feed` (the feed/sitemap entry's"
        " date) or `http` (`Last-Modified`)",
    )
    original_url: str | None = Field(
        default=None, description="aggregators: link to the original article, when named"
    )
    via: str | None = Field(default=None, description="aggregators: the aggregator host the text was read on")
    related: list[RelatedLink] = Field(
        default_factory=list, description="aggregators: related-story cards (never in `body`)"
    )
    duplicate_of: str | None = Field(
        default=None,
        description="`id` of the original article when this item republishes one exported by another spider",
    )

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"id must be `<source>:<native id>`, got {value!r}")
        return value

    @model_validator(mode="after")
    def _id_names_its_source(self) -> Article:
        if not self.id.startswith(f"{self.source}:"):
            raise ValueError(f"id {self.id!r} does not belong to source {self.source!r}")
        return self

    @field_validator("title")
    @classmethod
    def _title_normalised(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("url", "canonical_url", "image_url", "original_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return _check_url(value)

    @field_validator("published_at", "modified_at", "crawled_at")
    @classmethod
    def _dates(cls, value: str | None) -> str | None:
        return _check_iso(value)

    @field_validator("authors", "tags")
    @classmethod
    def _no_blank_entries(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v and v.strip()]
