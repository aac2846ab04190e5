"""The richer record (issue 14.5) and the per-field parser hooks (issue 13.7).

``sections``, ``images`` and ``word_count`` on every body layer; ids never a path;
Daily8 kickers split from the headline; each field asked of its hook once per page,
a subclass's hooks replacing the base's (a Daily8 page never runs the base date layers),
each structured block parsed once per page.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from scrapy.http import HtmlResponse, Request

from newscrawl.items import Article, word_count
from newscrawl.parsers import dates, parser_for
from newscrawl.parsers.base import ArticleParser, numeric_id, short_id
from newscrawl.parsers.daily8 import Daily8NextParser, Daily8Parser, split_kicker
from newscrawl.parsers.fields import field, hooks
from newscrawl.pipelines.linking import id_from_url
from newscrawl.storage.database import SqliteBackend, columns
from newscrawl.text import canonical_url
from tests.conftest import FROZEN, fake_response, fixture_pages

PAGES = {p.id: p for p in fixture_pages() if p.expected is not None}
TEXT = (
    "The ministry said on Tuesday that the new rules would apply to every port in the region"
    " from January, after two years of talks with shipping companies and unions."
)
EN_URL = "https://www.arabnews.com/node/9000001/world"  # no site selector matches the pages below
AA_URL = "https://english.alarabiya.net/News/world/2026/11/20/a-story-without-a-uuid"


def response(url: str, body: str, headers: dict[str, str] | None = None) -> HtmlResponse:
    return HtmlResponse(
        url=url,
        body=body.encode("utf-8"),
        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
        request=Request(url),
    )


def parse(url: str, body: str, **headers: str) -> dict[str, Any]:
    parser = parser_for(url)
    assert parser is not None
    return parser.parse(response(url, body, headers), crawled_at=FROZEN)


def article(url: str, body: str) -> Article:
    return Article(**parse(url, body))


def page(body: str, head: str = "") -> str:
    meta = '<meta property="article:published_time" content="2026-11-18T09:00:00+03:00">'
    return (
        f"<html><head><title>Ports adopt new rules</title>{meta}{head}</head>"
        f"<body><article><h1>Ports adopt new rules</h1>{body}</article></body></html>"
    )


def flatten(sections: list[Any]) -> list[str]:
    out: list[str] = []
    for s in sections:
        out += ([s.heading] if s.heading is not None else []) + s.paragraphs
    return out


# --- sections -------------------------------------------------------------------


def test_site_selector_body_keeps_subheadings_apart() -> None:
    p = PAGES["al_arabiya/en-opinion"]
    got = Article(**parser_for(p.url).parse(fake_response(p), crawled_at=FROZEN))  # type: ignore[union-attr]
    assert got.extraction["body"] == "selectors"
    assert [s.heading for s in got.sections] == [None, "Why trains, and why now"]
    assert got.sections[1].paragraphs[0].startswith("Trains change how people think about distance.")
    assert flatten(got.sections) == got.body.split("\n\n")  # body unchanged: the heading is in it


def test_bold_only_paragraph_is_a_heading_a_bold_sentence_is_not() -> None:
    body = (
        '<div class="field--name-body">'
        f"<p>{TEXT}</p><p><strong>What the rules change</strong></p><p>{TEXT} Second.</p>"
        f"<p><strong>Ports will be inspected every month.</strong></p><p>{TEXT} Third.</p></div>"
    )
    got = article(EN_URL, page(body))
    assert got.extraction["body"] == "selectors"
    assert [s.heading for s in got.sections] == [None, "What the rules change"]
    assert "Ports will be inspected every month." in got.sections[1].paragraphs


def test_generic_layer_headings_come_from_trafilaturas_tree() -> None:
    body = f"<p>{TEXT}</p><p>{TEXT} Two.</p><h2>Unions react to the decision</h2><p>{TEXT} Three.</p>"
    got = article(EN_URL, page(body))
    assert got.extraction["body"] == "generic"
    assert "Unions react to the decision" in [s.heading for s in got.sections]
    assert flatten(got.sections) == got.body.split("\n\n")


def test_jsonld_article_body_layer_keeps_its_subheadings() -> None:
    heading = "Unions react to the decision of the ministry"
    paragraphs = [f"{TEXT} {n}." for n in ("One", "Two", "Three")]
    ld = {
        "@type": "NewsArticle",
        "headline": "Ports adopt new rules",
        "articleBody": " ".join([paragraphs[0], paragraphs[1], heading, paragraphs[2]]),
    }
    body = f"<p>{paragraphs[0]}</p><p>{paragraphs[1]}</p><h3>{heading}</h3><p>{paragraphs[2]}</p>"
    got = article(EN_URL, page(body, f'<script type="application/ld+json">{json.dumps(ld)}</script>'))
    assert got.extraction["body"] == "jsonld"
    assert [s.heading for s in got.sections] == [None, heading]


def test_daily8_sections_are_its_cleaned_body() -> None:
    for slug in ("ar-layout-a", "en-layout-b", "republished-arab-news"):
        p = PAGES[f"daily8/{slug}"]
        got = Article(**Daily8Parser().parse(fake_response(p), crawled_at=FROZEN))
        assert flatten(got.sections) == got.body.split("\n\n") and got.sections


def test_contract_ties_sections_and_word_count_to_body() -> None:
    expected = PAGES["al_arabiya/en-opinion"].expected
    assert expected is not None
    base = {**json.loads(expected.read_text("utf-8")), "crawled_at": FROZEN.isoformat()}
    Article(**base)
    broken = [dict(s) for s in base["sections"]]
    broken[1] = {**broken[1], "paragraphs": broken[1]["paragraphs"][:-1]}
    with pytest.raises(ValidationError, match="sections"):
        Article(**{**base, "sections": broken})
    with pytest.raises(ValidationError, match="only the first section"):
        Article(**{**base, "sections": [base["sections"][0], {**base["sections"][1], "heading": None}]})
    with pytest.raises(ValidationError, match="word_count"):
        Article(**{**base, "word_count": base["word_count"] + 1})
    old = {k: v for k, v in base.items() if k not in ("sections", "images", "word_count")}
    derived = Article(**old)  # a record written before the new fields still validates
    assert derived.word_count == base["word_count"]
    assert [s.heading for s in derived.sections] == [None]
    assert [i.url for i in derived.images] == [base["image_url"]]


# --- word_count --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("One.\n\nTwo words.", 3),
        ("Oil rose 2% – U.S. crude | al-Sudani", 6),  # "–" and "|" are not words
        ("東京で会議", 5),  # each character of a script written without spaces
        ("iPhone在东京发布", 6),  # the Latin rest of the token is one more word
        ("สวัสดีครับ", 7),  # Thai: letters; the combining vowel and tone marks are not
        ("한국어 문장입니다", 2),  # Hangul is written with spaces
        ("الرياض تستضيف منتدى", 3),
    ],
)
def test_word_count_rule(text: str, words: int) -> None:
    assert word_count(text) == words


def test_every_fixture_counts_its_body() -> None:
    for p in PAGES.values():
        got = Article(**parser_for(p.url).parse(fake_response(p), crawled_at=FROZEN))  # type: ignore[union-attr]
        assert got.word_count == word_count(got.body) > 0


# --- images ------------------------------------------------------------------------


IMAGE_PAGE_LD = {
    "@context": "https://schema.org",
    "@graph": [
        {
            "@type": "NewsArticle",
            "headline": "Ports adopt new rules",
            "image": [
                {"@id": "https://www.arabnews.com/node/9000001/world#primaryimage"},
                "https://cdn.example.com/styles/600x300/public/2026/lead.jpg",
            ],
            "associatedMedia": [
                {"@type": "VideoObject", "contentUrl": "https://cdn.example.com/clip.mp4"},
                {
                    "@type": "ImageObject",
                    "url": "https://cdn.example.com/2026/crane.jpg",
                    "caption": {"@value": "A crane at the port"},
                    "copyrightHolder": {"@type": "Organization", "name": "Reuters"},
                },
            ],
        },
        {
            "@type": "ImageObject",
            "@id": "https://www.arabnews.com/node/9000001/world#primaryimage",
            "url": "https://cdn.example.com/styles/1200x600/public/2026/lead.jpg",
            "caption": "Ships wait outside the port",
            "creditText": "AFP",
        },
    ],
}


def image_page() -> str:
    head = (
        f'<script type="application/ld+json">{json.dumps(IMAGE_PAGE_LD)}</script>'
        '<meta property="og:image" content="https://cdn.example.com/styles/800x400/public/2026/lead.jpg">'
    )
    body = (
        '<div class="field--name-body">'
        f"<p>{TEXT}</p>"
        '<figure><img src="/files/2026/dock.jpg" width="800" height="450">'
        '<figcaption>Dockers at work <span class="credit">Photo: Jane Roe</span></figcaption></figure>'
        f"<p>{TEXT} Two.</p>"
        '<figure><img src="/themes/site/logo.png"><figcaption>Our logo</figcaption></figure>'
        '<figure><img src="https://t.example.com/p.gif" width="1" height="1"></figure>'
        f"<p>{TEXT} Three.</p></div>"
        '<div class="related"><figure><img src="/files/other-story.jpg"><figcaption>Another story'
        "</figcaption></figure></div>"
        '<a href="/node/2/x"><figure><img src="/files/card.jpg"></figure></a>'
    )
    return page(body, head)


def test_images_lead_first_with_captions_credits_each_picture_once() -> None:
    got = article(EN_URL, image_page())
    assert got.image_url == "https://cdn.example.com/styles/1200x600/public/2026/lead.jpg"  # @id resolved
    assert [(i.url, i.caption, i.credit) for i in got.images] == [
        (got.image_url, "Ships wait outside the port", "AFP"),
        ("https://www.arabnews.com/files/2026/dock.jpg", "Dockers at work", "Photo: Jane Roe"),
        ("https://cdn.example.com/2026/crane.jpg", "A crane at the port", "Reuters"),
    ]  # the 600x300 and 800x400 renditions of the lead, the logo, the pixel, the video, the
    # related story's and the card's pictures are not listed
    for caption in ("Dockers at work", "Our logo", "Another story", "Ships wait"):
        assert caption not in got.body


def test_contract_keeps_the_lead_first_and_urls_unique() -> None:
    fields = parse(EN_URL, image_page())
    images = fields["images"]
    with pytest.raises(ValidationError, match="lead image"):
        Article(**{**fields, "images": images[1:]})
    with pytest.raises(ValidationError, match="same URL twice"):
        Article(**{**fields, "images": [*images, images[1]]})
    with pytest.raises(ValidationError, match="absolute"):
        Article(**{**fields, "images": [*images, {"url": "/files/x.jpg"}]})


def test_a_logo_is_never_the_lead_image() -> None:
    head = (
        '<meta property="og:image" content="https://www.example.com/img/site-logo.png">'
        '<meta name="twitter:image" content="https://cdn.example.com/2026/real-photo.jpg">'
    )
    body = f'<div class="field--name-body"><p>{TEXT}</p><p>{TEXT} Two.</p></div>'
    got = article(EN_URL, page(body, head))
    assert got.image_url == "https://cdn.example.com/2026/real-photo.jpg"
    assert [i.url for i in got.images] == [got.image_url]


# --- ids ---------------------------------------------------------------------------


def al_arabiya_page(uuid: str = "") -> str:
    head = f'<meta name="uuid" content="{uuid}">' if uuid else ""
    body = f'<div id="body-text"><p>{TEXT}</p><p>{TEXT} Two.</p></div>'
    return page(body, head + f'<link rel="canonical" href="{AA_URL}?utm_source=x">')


def test_al_arabiya_without_uuid_gets_a_short_stable_id_not_its_path() -> None:
    first, again = article(AA_URL, al_arabiya_page()), article(AA_URL, al_arabiya_page())
    assert first.id == again.id == f"al_arabiya:{short_id(canonical_url(AA_URL))}"
    assert len(first.id) == len("al_arabiya:") + 16 and "/" not in first.id
    uuid = "6f3a1c9d-2e8b-4d57-b0a4-8c7e6d5f4a38"
    assert article(AA_URL, al_arabiya_page(uuid)).id == f"al_arabiya:{uuid}"
    assert id_from_url(AA_URL) == first.id  # Daily8 links to such an original by URL


def test_an_id_is_never_a_path() -> None:
    fields = parse(AA_URL, al_arabiya_page())
    with pytest.raises(ValidationError, match="id must be"):
        Article(**{**fields, "id": "al_arabiya:/News/world/2026/11/20/a-story-without-a-uuid"})


def test_numeric_ids_in_urls_dates_are_not_ids() -> None:
    assert numeric_id("https://example.com/news/world/123456-port-rules") == "123456"
    assert numeric_id("https://example.com/2026/11/20/port-rules") is None
    assert numeric_id("https://example.com/archive/20261120/port-rules") is None
    url = "https://www.arabnews.com/saudi-arabia/2456789-ports-adopt-new-rules"  # no /node/
    body = f'<div class="field--name-body"><p>{TEXT}</p><p>{TEXT} Two.</p></div>'
    assert article(url, page(body)).id == "arab_news:2456789"


def test_every_source_falls_back_to_the_short_hash() -> None:
    class Plain(ArticleParser):
        source = "arab_news"

    url = "https://www.arabnews.com/saudi-arabia/ports-adopt-new-rules"
    assert Plain().url_id(url) == short_id(canonical_url(url))
    body = f'<div class="field--name-body"><p>{TEXT}</p><p>{TEXT} Two.</p></div>'
    assert article(url, page(body)).id == f"arab_news:{short_id(canonical_url(url))}"


# --- Daily8 kickers ----------------------------------------------------------------


def test_daily8_kicker_fused_to_the_headline_is_split_off() -> None:
    p = PAGES["daily8/ar-layout-b"]
    got = Article(**Daily8Parser().parse(fake_response(p), crawled_at=FROZEN))
    assert got.title == "الرياض تستضيف منتدى الاستثمار البلدي"
    assert "دولةالرياض" not in got.body  # the body's repeat of the fused title stays out


def test_split_kicker_on_a_real_daily8_title() -> None:
    # the title of a real Daily8 page (Arabic, layout B; the skeletons behind docs/sources.md §4)
    title = "رغم دخول (23) ألف طن مساعدات خلال أسبوعغزّة على شفا المجاعة"
    words = {"غزة", "أسبوع", "المساعدات"}
    assert split_kicker(title, words) == "غزّة على شفا المجاعة"
    assert split_kicker(title, set()) == title  # no evidence, no cut
    assert split_kicker("YouTube removes the channel", {"you", "tube"}) == "YouTube removes the channel"
    assert split_kicker("أمطار غزيرة في جدة", {"أمطار", "غزيرة"}) == "أمطار غزيرة في جدة"


# --- per-field hooks ---------------------------------------------------------------


def test_daily8_never_runs_the_base_date_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    def base_layers(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the base date layers ran on a Daily8 page")

    monkeypatch.setattr(dates, "published", base_layers)
    for slug in ("ar-layout-b", "mirror-test-host"):  # the Next.js and the HTML layout
        p = PAGES[f"daily8/{slug}"]
        fields = Daily8Parser().parse(fake_response(p), crawled_at=FROZEN)  # no report: would raise
        assert fields["published_at"] and fields["extraction"]["published_at"] in ("embedded", "selectors")
    with pytest.raises(AssertionError, match="base date layers"):  # the base parser does run them
        p = PAGES["arab_news/wire-story"]
        parser_for(p.url).parse(fake_response(p), crawled_at=FROZEN)  # type: ignore[union-attr]


def test_the_nextjs_layout_is_its_own_parser() -> None:
    next_page, html_page = PAGES["daily8/en-layout-b"], PAGES["daily8/mirror-test-host"]
    registered = parser_for(next_page.url)
    assert isinstance(registered, Daily8Parser)
    assert type(registered.layout(fake_response(next_page))) is Daily8NextParser
    assert registered.layout(fake_response(html_page)) is registered
    assert Daily8NextParser().parse(fake_response(next_page), crawled_at=FROZEN)["extraction"]["body"] == (
        "embedded"
    )


def test_next_data_and_jsonld_are_parsed_once_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = json.loads
    calls: list[str] = []

    def counting(raw: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(raw))
        return loads(raw, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    p = PAGES["daily8/en-layout-b"]
    resp = fake_response(p)
    parser = Daily8Parser()
    assert not parser.needs_render(resp)  # the spider asks first, on the same response
    parser.parse(resp, crawled_at=FROZEN)
    assert sum('"pageProps"' in c for c in calls) == 1
    calls.clear()
    p = PAGES["arab_news/wire-story"]
    resp = fake_response(p)
    parser_for(p.url).page_kind(resp)  # type: ignore[union-attr]
    parser_for(p.url).parse(resp, crawled_at=FROZEN)  # type: ignore[union-attr]
    blocks = len(resp.xpath('//script[contains(@type, "ld+json")]'))
    assert blocks and sum('"@context"' in c for c in calls) == blocks


def test_each_field_is_asked_of_its_hook_once(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = parser_for(EN_URL)
    assert parser is not None
    calls: dict[str, int] = {}
    for name in ("_body", "_title", "_date", "_image"):
        hook = getattr(parser, name)

        def counted(page: Any, hook: Any = hook, name: str = name) -> Any:
            calls[name] = calls.get(name, 0) + 1
            return hook(page)

        monkeypatch.setattr(parser, name, counted)
    got = Article(**parser.parse(response(EN_URL, image_page()), crawled_at=FROZEN))
    # body is read by language, sections, word_count and images; title by language;
    # published_at by published_precision and timezone_assumed; image_url by images
    assert calls == {"_body": 1, "_title": 1, "_date": 1, "_image": 1}
    assert got.extraction == {"title": "jsonld", "published_at": "meta", "body": "selectors"}


def test_a_failing_daily8_hook_costs_only_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any, page: Any) -> Any:
        raise KeyError("card of an unexpected shape")

    monkeypatch.setattr(Daily8NextParser, "_related", broken)
    reported: list[tuple[str, str]] = []
    p = PAGES["daily8/en-layout-b"]
    fields = Daily8Parser().parse(
        fake_response(p), crawled_at=FROZEN, report=lambda field, url, exc: reported.append((field, url))
    )
    assert reported == [("related", p.url)]
    got = Article(**fields)
    assert got.related == [] and got.title and got.body and got.extraction["body"] == "embedded"


def test_a_subclass_hook_replaces_the_base_one() -> None:
    class Titled(ArticleParser):
        source = "arab_news"

        @field("title")
        def _headline_in_capitals(self, page: Any) -> str:
            return "PORTS ADOPT NEW RULES"

    assert hooks(Titled)["title"][0] == "_headline_in_capitals"
    assert hooks(ArticleParser)["title"][0] == "_title"
    body = f'<div class="field--name-body"><p>{TEXT}</p><p>{TEXT} Two.</p></div>'
    assert Titled().parse(response(EN_URL, page(body)), crawled_at=FROZEN)["title"] == "PORTS ADOPT NEW RULES"


# --- storage -------------------------------------------------------------------------


def test_database_rows_carry_the_new_fields(tmp_path: Path) -> None:
    kinds = {name: kind for name, kind, _ in columns()}
    assert (kinds["sections"], kinds["images"], kinds["word_count"]) == ("json", "json", "integer")
    p = PAGES["al_arabiya/en-opinion"]
    item = Article(**parser_for(p.url).parse(fake_response(p), crawled_at=FROZEN)).model_dump(mode="json")  # type: ignore[union-attr]
    backend = SqliteBackend(tmp_path / "db.sqlite3")
    backend.write([item])
    backend.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        sections, images, words = conn.execute("SELECT sections, images, word_count FROM articles").fetchone()
    assert json.loads(sections) == item["sections"] and json.loads(images) == item["images"]
    assert words == item["word_count"] and isinstance(words, int)
