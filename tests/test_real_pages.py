"""Right on real pages: no article lost, whatever the markup (see tests/real_pages/README.md).

Real pages of other publishers are served at the sources' article URLs, where the site
selectors do not match, so the structured-data and generic layers carry them, as they
will on a first live crawl. Small hand-written pages pin each rule the real pages need.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from newscrawl.downloader.faults import looks_truncated
from newscrawl.items import Article
from newscrawl.parsers import parser_for
from newscrawl.parsers.errors import FieldErrors
from newscrawl.text import offset, parse_visible_date
from tests.conftest import FROZEN, run_crawl

REAL = Path(__file__).parent / "real_pages"
TRUTH: dict[str, dict[str, Any]] = json.loads((REAL / "truth.json").read_text("utf-8"))
EN_URL = "https://www.arabnews.com/node/9000001/world"
AR_URL = "https://www.alarabiya.net/arab-and-world/wild-page-1"
# beige.de states 2022-11-06T23:00:00Z: the 7th in Germany, the 6th in UTC; its day is not
# what this page is here for (HTML5 without closing tags), the moment is checked instead.
MOMENT = {"beige.de.suedfrankreich.html": "2022-11-06T23:00:00+00:00"}


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).lower()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _title_f1(a: str, b: str) -> float:
    ta, tb = _words(a), _words(b)
    common = sum(min(ta.count(t), tb.count(t)) for t in set(ta))
    if not common:
        return 0.0
    precision, recall = common / len(ta), common / len(tb)
    return 2 * precision * recall / (precision + recall)


def response(url: str, body: bytes | str, headers: dict[str, str] | None = None, **meta: Any) -> HtmlResponse:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return HtmlResponse(
        url=url,
        body=data,
        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
        request=Request(url, meta=meta),
    )


def parse(url: str, body: bytes | str, headers: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    parser = parser_for(url)
    assert parser is not None
    fields: dict[str, Any] = parser.parse(response(url, body, headers, **meta), crawled_at=FROZEN)
    return fields


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_real_page_yields_a_valid_article(name: str) -> None:
    facts = TRUTH[name]
    url = AR_URL if facts["corpus"] == "arabic" else EN_URL
    parser = parser_for(url)
    assert parser is not None
    page = response(url, (REAL / name).read_bytes())
    assert parser.page_kind(page) is None, "an article page must not be skipped"
    article = Article(**parser.parse(page, crawled_at=FROZEN))
    if name in MOMENT:
        assert article.published_at == MOMENT[name]
    else:
        assert article.published_at[:10] == facts["date"]
    assert _title_f1(article.title, facts["title"]) >= 0.7, article.title
    body = _norm(article.body)
    missed = [s for s in facts["with"] if _norm(s) not in body]
    assert not missed
    assert article.language == ("ar" if facts["corpus"] == "arabic" else article.language)


def test_html5_page_without_closing_tags_is_crawled_not_truncated(tmp_path: Path) -> None:
    name = "beige.de.suedfrankreich.html"
    page = (REAL / name).read_bytes()
    assert b"</body>" not in page and b"</html>" not in page
    (tmp_path / "snap").mkdir()
    (tmp_path / "snap" / name).write_bytes(page)
    entry = {"url": EN_URL, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": name}
    (tmp_path / "snap" / "manifest.jsonl").write_text(json.dumps(entry) + "\n", "utf-8")
    result = run_crawl("arab_news", tmp_path, snapshot=tmp_path / "snap", args={"urls": EN_URL})
    assert [i["url"] for i in result.items] == [EN_URL]
    assert "newscrawl/truncated" not in result.stats


def test_truncation_is_told_from_optional_end_tags() -> None:
    whole = b"<!DOCTYPE html><html><body><main><div><p>Text.</p></div></main><script>x()</script>"
    assert not looks_truncated(whole)
    assert not looks_truncated(whole + b"</body></html>")
    assert looks_truncated(b"<html><body><main><div><p>Text cut he")  # containers left open
    assert looks_truncated(b"<html><body><div></div><script>var a = 1;")  # inside a script
    assert looks_truncated(b"<html><body><div></div><p class=")  # inside a tag


# --- dates ----------------------------------------------------------------------

ARTICLE = """<html lang="{lang}"><head><title>{title}</title>{head}</head>
<body><article><h1>{title}</h1>{top}<p>{text}</p><p>{text} {text}</p><p>{text}</p><p>{text}</p>
</article></body></html>"""
TEXT = "The committee met again on the matter and agreed to publish its findings next week in full."


def page(
    head: str = "", top: str = "", title: str = "Ministers agree on a new water plan", lang: str = "en"
) -> str:
    return ARTICLE.format(head=head, top=top, title=title, text=TEXT, lang=lang)


@pytest.mark.parametrize(
    ("shown", "iso", "precision"),
    [
        ("الأربعاء، ١٨ نوفمبر ٢٠٢٦", "2026-11-18T00:00:00+03:00", "day"),
        ("18 تشرين الثاني 2026", "2026-11-18T00:00:00+03:00", "day"),
        ("الخميس 19 تشرين الثاني 2026 - 10:15 م", "2026-11-19T22:15:00+03:00", "minute"),
        ("نشر: 14:05-18 نوفمبر 2026 م ـ 7 جمادى الآخرة 1448 هـ", "2026-11-18T14:05:00+03:00", "minute"),
        ("٢٠ فبراير ٢٠٢٥ ٠٩:٣٠ ص", "2025-02-20T09:30:00+03:00", "minute"),
        ("Thursday, 19 November, 2026 - 10:15", "2026-11-19T10:15:00+03:00", "minute"),
        ("November 18, 2026 2:05 p.m.", "2026-11-18T14:05:00+03:00", "minute"),
        ("Pressemitteilung vom 25. Januar 2022", "2022-01-25T00:00:00+03:00", "day"),
        ("18 de noviembre de 2026", "2026-11-18T00:00:00+03:00", "day"),
        ("10.11.2021", "2021-11-10T00:00:00+03:00", "day"),
        ("2026/11/18 10:15 GMT", "2026-11-18T10:15:00+00:00", "minute"),
    ],
)
def test_visible_dates_in_every_common_form(shown: str, iso: str, precision: str) -> None:
    parsed = parse_visible_date(shown, offset(3))
    assert parsed is not None
    assert (parsed.iso(), parsed.precision) == (iso, precision)
    # and on a page that states nothing else, the visible date is the publication date
    fields = parse(EN_URL, page(top=f'<div class="post-date">{shown}</div>'))
    assert (fields["published_at"], fields["published_precision"]) == (iso, precision)
    assert fields["extraction"]["published_at"] == "text"


def test_relative_arabic_date_against_the_response_date() -> None:
    body = page(top='<span class="time">منذ 3 ساعات</span>')
    fields = parse(AR_URL, body, {"Date": "Fri, 20 Nov 2026 09:00:00 GMT"})
    assert fields["published_at"] == "2026-11-20T10:00:00+04:00"  # 06:00 UTC in Gulf time
    assert (fields["published_precision"], fields["extraction"]["published_at"]) == ("hour", "text")


def test_date_layers_after_the_page_url_feed_then_last_modified() -> None:
    time_tag = parse(EN_URL, page(top='<time datetime="2026-11-17T08:00:00+03:00">Tuesday</time>'))
    assert (time_tag["published_at"], time_tag["extraction"]["published_at"]) == (
        "2026-11-17T08:00:00+03:00",
        "html",
    )
    dated_url = "https://english.alarabiya.net/News/world/2026/11/16/some-story"
    by_url = parse(dated_url, page())
    assert by_url["published_at"] == "2026-11-16T00:00:00+04:00"
    assert (by_url["published_precision"], by_url["extraction"]["published_at"]) == ("day", "url")
    feed = {"kind": "article", "published": "2026-11-15T07:30:00+00:00", "lastmod": None}
    by_feed = parse(EN_URL, page(), newscrawl=feed)
    assert (by_feed["published_at"], by_feed["extraction"]["published_at"]) == (
        "2026-11-15T07:30:00+00:00",
        "feed",
    )
    by_header = parse(EN_URL, page(), {"Last-Modified": "Sat, 14 Nov 2026 06:00:00 GMT"})
    assert (by_header["published_at"], by_header["extraction"]["published_at"]) == (
        "2026-11-14T06:00:00+00:00",
        "http",
    )


def test_layers_vote_by_day_so_one_stale_date_is_outvoted() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2019-01-01"}</script>'
        '<meta property="article:published_time" content="2026-11-18T09:00:00+03:00">'
    )
    fields = parse(EN_URL, page(head=head, top='<time datetime="2026-11-18">18 November</time>'))
    assert fields["published_at"] == "2026-11-18T09:00:00+03:00"
    assert fields["extraction"]["published_at"] == "meta"


# --- structured data of any shape ------------------------------------------------


def test_bad_jsonld_shapes_never_cost_the_article(caplog: pytest.LogCaptureFixture) -> None:
    ld = {
        "@type": ["NewsArticle"],
        "headline": ["Ministers agree on a new water plan"],
        "image": ["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"],
        "author": [{"name": ["Rana", "Haddad"]}, 42],
        "datePublished": {"@value": "2026-11-18T09:00:00+03:00"},
        "articleSection": {"name": "Gulf"},
        "keywords": 7,
    }
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    fields = parse(EN_URL, page(head=head))
    article = Article(**fields)
    assert article.title == "Ministers agree on a new water plan"
    assert article.image_url == "https://cdn.example.com/a.jpg"
    assert article.published_at == "2026-11-18T09:00:00+03:00"
    assert article.authors == ["Rana Haddad", "42"]
    assert article.section == "Gulf"


def test_a_failing_field_is_left_empty_counted_and_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    parser = parser_for(EN_URL)
    assert parser is not None

    def broken(*args: Any) -> list[str]:
        raise TypeError("tags of an unexpected shape")

    monkeypatch.setattr(parser, "_tags", broken)
    crawler = get_crawler()
    crawler.stats = MemoryStatsCollector(crawler)
    report = FieldErrors(crawler)
    dated = page(head='<meta property="article:published_time" content="2026-11-18T09:00:00+03:00">')
    with caplog.at_level(logging.WARNING):
        first = parser.parse(response(EN_URL, dated), crawled_at=FROZEN, report=report)
        parser.parse(response(EN_URL, dated), crawled_at=FROZEN, report=report)
    assert first["tags"] == [] and first["title"] == "Ministers agree on a new water plan"
    Article(**first)
    assert crawler.stats.get_value("newscrawl/parse_error/tags") == 2
    warnings = [r for r in caplog.records if "Field tags" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is not None
    with pytest.raises(TypeError):  # without a report hook the error is not hidden
        parser.parse(response(EN_URL, page()), crawled_at=FROZEN)


# --- titles ----------------------------------------------------------------------


def test_title_is_the_visible_headline_clean() -> None:
    head = (
        '<meta property="og:title"'
        ' content="Water plan: ministers agree &amp;quot;in principle&amp;quot; | Daily Gazette">'
    )
    body = (
        "<html><head><title>Water plan | Daily Gazette</title>" + head + "</head><body><article>"
        '<h1><span class="kicker">Exclusive</span> Ministers agree "in principle" on a water plan'
        "<script>track('h1')</script><style>h1{}</style></h1>"
        f"<p>{TEXT}</p><p>{TEXT}</p></article></body></html>"
    )
    fields = parse(EN_URL, body)
    assert fields["title"] == 'Ministers agree "in principle" on a water plan'


def test_entities_in_structured_titles_are_unescaped() -> None:
    head = '<meta property="og:title" content="Ministers agree &amp;quot;in principle&amp;quot; on water">'
    paragraphs = f"<p>{TEXT}</p>" * 3
    body = f"<html><head>{head}</head><body><article>{paragraphs}</article></body></html>"
    assert parse(EN_URL, body)["title"] == 'Ministers agree "in principle" on water'


def test_kicker_fused_to_the_headline_is_split_off() -> None:
    ld = json.dumps({"@type": "NewsArticle", "headline": "Ministers agree on a new water plan"})
    ld = f'<script type="application/ld+json">{ld}</script>'
    fields = parse(
        EN_URL,
        page(head=ld, title="Ministers agree on a new water plan").replace(
            "<h1>Ministers", "<h1><span>Gulf</span>Ministers"
        ),
    )
    assert fields["title"] == "Ministers agree on a new water plan"


def test_logo_h1_is_not_the_headline() -> None:
    body = (
        "<html><head><title>Interning of small integers in Python » Four Years Remaining</title></head>"
        "<body><header><h1>Four Years Remaining</h1></header>"
        "<main><h2>Interning of small integers in Python</h2>"
        f"<p>{TEXT}</p><p>{TEXT}</p></main></body></html>"
    )
    assert parse(EN_URL, body)["title"] == "Interning of small integers in Python"


# --- bodies, page kinds, language ----------------------------------------------


def test_body_in_a_script_without_spaces() -> None:
    chinese = "益阳市近年来坚持把数字经济作为发展的优长，推动产业转型升级，取得了显著成效。" * 3
    body = (
        "<html lang='zh-CN'><head><title>益阳：数字是优长</title></head><body><article>"
        f"<h1>益阳：数字是优长</h1><p>{chinese}</p><p>{chinese}</p></article></body></html>"
    )
    fields = parse(EN_URL, body)
    assert fields["body"] and "数字经济" in fields["body"]
    assert fields["language"] == "zh"


def test_articlebody_teaser_loses_to_the_page_text() -> None:
    teaser = "The committee met again on the matter and agreed to publish its findings. " * 6
    full = "".join(
        f"<p>{teaser[:200]} Paragraph {n} adds detail the teaser lacks entirely.</p>" for n in range(12)
    )
    ld = json.dumps({"@type": "NewsArticle", "headline": "Ministers agree", "articleBody": teaser[:450]})
    body = (
        f'<html><head><script type="application/ld+json">{ld}</script></head>'
        f"<body><article><h1>Ministers agree</h1>{full}</article></body></html>"
    )
    fields = parse(EN_URL, body)
    assert "Paragraph 11 adds detail" in fields["body"]
    assert fields["extraction"]["body"] == "generic"


def test_article_with_an_embedded_player_is_an_article() -> None:
    parser = parser_for(EN_URL)
    assert parser is not None
    head = '<meta property="og:type" content="video.other">'
    with_text = page(head=head, top='<iframe src="https://player.example.com/1"></iframe>')
    assert parser.page_kind(response(EN_URL, with_text)) is None
    only_player = f'<html><head>{head}</head><body><h1>Watch</h1><iframe src="x"></iframe></body></html>'
    assert parser.page_kind(response(EN_URL, only_player)) == "video"


ARABIC_TEXT = "اجتمعت اللجنة مرة أخرى واتفقت على نشر نتائجها كاملة الأسبوع المقبل في العاصمة."


@pytest.mark.parametrize(
    ("html_lang", "text", "expected"),
    [
        ("de-DE", "Der Ausschuss hat sich erneut getroffen und will seine Ergebnisse veröffentlichen.", "de"),
        ("en", ARABIC_TEXT, "ar"),  # a template's lang="en" over Arabic text
        ("", ARABIC_TEXT, "ar"),  # undeclared: the script says it
        ("ar", TEXT, "en"),  # an Arabic declaration over English text: the source's (Arab News: en)
    ],
)
def test_language_is_the_pages(html_lang: str, text: str, expected: str) -> None:
    body = ARTICLE.format(head="", top="", title="Title of the story", text=text, lang=html_lang)
    assert parse(EN_URL, body)["language"] == expected
