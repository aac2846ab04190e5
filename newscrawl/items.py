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

__all__ = [
    "SOURCES", "Article", "Image", "RelatedLink", "Section", "Source", "word_count",
]  # fmt: skip  # SOURCES, Source: newscrawl.sources

Layer = Literal["jsonld", "meta", "selectors", "html", "text", "generic", "embedded", "url", "feed", "http"]
Precision = Literal["second", "minute", "hour", "day"]

# `<source>:<native id>`; the native id is a short token, never a path or a URL
_ID = re.compile(rf"^({'|'.join(SOURCES)}):[A-Za-z0-9][A-Za-z0-9._-]{{0,63}}$")

# Scripts written without spaces between words: each letter or digit of theirs counts as one
# word. Han (CJK ideographs), Hiragana, Katakana, Thai, Lao, Khmer, Myanmar, Tibetan.
# Hangul is written with spaces and counts by tokens.
_UNSPACED_SCRIPTS = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f\u0f00-\u0fff"
)
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED_SCRIPTS}]")
_NOT_A_WORD = re.compile(r"(?<!\S)[^\s\w]+(?!\S)")  # a whitespace token without a letter or digit


def word_count(text: str) -> int:
    """Words in ``text``, the rule behind ``Article.word_count``.

    A word is a whitespace-separated token holding at least one letter or digit
    (``--`` and ``|`` are not words; ``U.S.``, ``30%`` and ``al-Sudani`` are one each).
    In scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar,
    Tibetan) each letter or digit of those scripts is one word, as word processors count
    East Asian text; what is left of such a token counts as one more word if it holds a
    letter or digit (``iPhone在`` is two). Combining marks are not letters."""
    unspaced = 0
    if _UNSPACED_CHAR.search(text):
        unspaced = sum(1 for char in _UNSPACED_CHAR.findall(text) if char.isalnum())
        text = _UNSPACED_CHAR.sub(" ", text)
    return unspaced + len(text.split()) - len(_NOT_A_WORD.findall(text))


def paragraphs(body: str) -> list[str]:
    """``body``'s paragraphs (they are separated by one blank line)."""
    return [p for p in body.split("\n\n") if p]


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


class Section(BaseModel):
    """A run of the body under one subheading (``heading`` null: the text before the first)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    heading: str | None = Field(default=None, description="the subheading, as shown; null before the first")
    paragraphs: list[str] = Field(default_factory=list, description="the paragraphs under it, in order")


class Image(BaseModel):
    """A picture of the article: the lead image, a JSON-LD/og image or a figure in the body."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(description="absolute http(s) URL")
    caption: str | None = Field(default=None, description="the caption the page gives it (never in `body`)")
    credit: str | None = Field(default=None, description="photographer or agency, when stated apart")

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
    sections: list[Section] = Field(
        description="the body by subheading: `[{heading, paragraphs}]`, the first `heading` null when"
        " text precedes the first subheading; read in order, each heading then its paragraphs are"
        " exactly the paragraphs of `body` (a subheading is a paragraph of `body`, as before)",
    )
    images: list[Image] = Field(
        default_factory=list,
        description="the article's pictures `[{url, caption, credit}]`, the lead (`image_url`) first;"
        " from JSON-LD `image`/`associatedMedia`, og:image and figures in the body; absolute URLs,"
        " each picture once (renditions that differ only by a size segment are one), no logos,"
        " icons or tracking pixels",
    )
    word_count: int = Field(
        ge=0,
        description="words in `body`: whitespace-separated tokens holding a letter or digit; in"
        " scripts written without spaces (Chinese, Japanese, Thai, ...) each character is a word",
    )

    @model_validator(mode="before")
    @classmethod
    def _derived_defaults(cls, data: object) -> object:
        """A record written before ``sections``/``word_count``/``images`` existed validates:
        they are derived from ``body`` (one section, no heading) and ``image_url``."""
        if not isinstance(data, dict) or not isinstance(data.get("body"), str):
            return data
        missing = {k for k in ("sections", "word_count", "images") if k not in data}
        if not missing:
            return data
        data = dict(data)
        body = data["body"].strip()
        if "sections" in missing:
            data["sections"] = [{"heading": None, "paragraphs": paragraphs(body)}] if body else []
        if "word_count" in missing:
            data["word_count"] = word_count(body)
        if "images" in missing and isinstance(data.get("image_url"), str):
            data["images"] = [{"url": data["image_url"]}]
        return data

    @model_validator(mode="after")
    def _sections_are_the_body(self) -> Article:
        flat: list[str] = []
        for index, section in enumerate(self.sections):
            if section.heading is None and index:
                raise ValueError("sections: only the first section may have no heading")
            if section.heading is None and not section.paragraphs:
                raise ValueError("sections: a section without heading needs paragraphs")
            flat += [section.heading] if section.heading is not None else []
            flat += section.paragraphs
        if flat != paragraphs(self.body):
            raise ValueError("sections: headings and paragraphs, in order, are not the paragraphs of body")
        return self

    @model_validator(mode="after")
    def _word_count_is_the_body(self) -> Article:
        if self.word_count != (expected := word_count(self.body)):
            raise ValueError(f"word_count {self.word_count} is not the words of body ({expected})")
        return self

    @model_validator(mode="after")
    def _lead_image_first(self) -> Article:
        urls = [image.url for image in self.images]
        if len(set(urls)) != len(urls):
            raise ValueError("images: the same URL twice")
        if self.image_url is not None and urls[:1] != [self.image_url]:
            raise ValueError("images: the first image must be the lead image, `image_url`")
        return self

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
