"""Publication dates as real pages state them: the day and the exact moment (issue 11).

Each page here is small and hand-written, modelled on a markup pattern seen on real pages
nobody here wrote (the ``wild2`` corpus, outside this repository); each pins one rule of
``newscrawl.parsers.dates`` / ``newscrawl.text`` and fails without it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

from newscrawl.items import Article
from newscrawl.parsers import dates, parser_for
from newscrawl.text import find_published_date, labels_edit, offset, parse_iso, parse_visible_date

KSA = offset(3)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
URL = "https://www.arabnews.com/node/9000001/world"  # no date in it: the page must state one
TITLE = "Ministers agree on a new water plan"
LEDE = "The committee met again on the matter and agreed to publish its findings next week in full."
RELATED = """<ul class="related-posts">
<li><h3>Older story</h3>
<p class="post-date"><time datetime="2019-03-01T10:00:00+01:00">1 March 2019</time></p></li>
<li><h3>Another story</h3><span class="date">2 March 2019</span></li></ul>"""
COMMENTS = '<div id="comments"><div class="comment-meta">Isa 5. Januar 2027 um 20:20</div><p>Nice.</p></div>'


def ld(**fields: str) -> str:
    """A JSON-LD ``NewsArticle`` script with ``fields``."""
    return f'<script type="application/ld+json">{json.dumps({"@type": "NewsArticle", **fields})}</script>'


def html(body: str, head: str = "") -> str:
    return f"<html><head><title>{TITLE} | Example</title>{head}</head><body>{body}</body></html>"


def article(top: str = "", bottom: str = "", before: str = "") -> str:
    """An article whose headline is ``<h1>``: ``before`` it, ``top`` just after, ``bottom`` after the text."""
    paragraphs = "".join(f"<p>{LEDE} {n}</p>" for n in range(4))
    return f"<main>{before}<article><h1>{TITLE}</h1>{top}{paragraphs}{bottom}</article></main>"


def response(body: str, url: str = URL) -> HtmlResponse:
    return HtmlResponse(
        url=url,
        body=body.encode("utf-8"),
        headers={"Content-Type": "text/html; charset=utf-8"},
        request=Request(url),
    )


def published(body: str) -> tuple[str, str, str, bool]:
    """(ISO moment, layer, precision, offset assumed) of the page, htmldate left out."""
    page = response(body)
    found = dates.published(page.selector, page, default_offset=KSA, generic=False, crawled_at=NOW)
    assert found is not None, "no date found"
    parsed, layer = found
    return parsed.iso(), layer, parsed.precision, parsed.assumed_offset


# --- the visible date of the article, not the page's other dates ------------------


def test_the_date_line_nearest_the_headline_wins_over_related_and_comment_dates() -> None:
    masthead = '<div class="header-date">Friday, 20 November 2026</div><nav><a href="/">Home</a></nav>'
    body = html(
        masthead + article(top='<div class="byline">By Jane Doe, 18 November 2026</div>', bottom=RELATED)
    )
    assert published(body)[:2] == ("2026-11-18T00:00:00+03:00", "text")


def test_a_logo_h1_sharing_only_the_site_name_is_not_the_headline() -> None:
    logo = '<div class="brand"><h1>Example</h1><span class="today-date">Friday, 20 November 2026</span></div>'
    body = html(logo + f"<p>{LEDE}</p>" + article(top='<div class="byline">18 November 2026</div>'))
    assert published(body)[0] == "2026-11-18T00:00:00+03:00"


def test_dates_in_related_lists_and_comments_are_never_the_articles() -> None:
    # the only dated elements are another article's and a comment's: the page has no date of its own
    page = response(html(article(bottom=RELATED + COMMENTS)))
    assert dates.published(page.selector, page, default_offset=KSA, generic=False, crawled_at=NOW) is None


def test_a_header_holding_the_headline_is_the_articles_own() -> None:
    body = html(
        f'<header class="post-header"><h1>{TITLE}</h1><div class="post-meta">'
        '<time datetime="2020-01-15T01:01:01+00:00">15 January 2020</time></div></header>'
        f"<p>{LEDE}</p>" + RELATED
    )
    assert published(body)[:2] == ("2020-01-15T01:01:01+00:00", "html")


def test_a_header_inside_the_article_is_the_articles_own() -> None:
    body = html(
        f"<h1>{TITLE}</h1><article><header><p class='submitted'>"
        '<time datetime="2019-07-07T18:44:31+0200">7. Juli 2019 - 18:44</time></p></header>'
        f"<p>{LEDE}</p></article>"
    )
    assert published(body)[:2] == ("2019-07-07T18:44:31+02:00", "html")


def test_the_time_nearest_the_headline_not_the_first_of_the_page() -> None:
    sidebar = '<div class="box"><time datetime="2023-01-06T21:59:35+01:00">6. Januar 2023</time></div>'
    top = '<div class="meta"><time datetime="2023-10-31T08:00:00+01:00">31. Oktober 2023</time></div>'
    body = html(sidebar + f"<p>{LEDE * 3}</p>" + article(top=top))
    assert published(body)[:2] == ("2023-10-31T08:00:00+01:00", "html")


def test_class_words_read_camel_case_but_not_inside_longer_words() -> None:
    # "commentDate" is a comment's date; "commentary" is an opinion article's section
    comment = '<p class="commentDate">21. Jan 2027</p>'
    body = html(article(top='<div class="commentary-date">18 November 2026</div>', bottom=comment))
    assert published(body)[0] == "2026-11-18T00:00:00+03:00"
    only_comment = html(article(bottom=comment))
    page = response(only_comment)
    assert dates.published(page.selector, page, default_offset=KSA, generic=False, crawled_at=NOW) is None


# --- edits are not the publication ------------------------------------------------


def test_an_updated_time_beside_a_published_one_is_the_edit() -> None:
    top = (
        '<span class="posted-on">'
        '<time class="updated" datetime="2019-02-11T23:00:55+01:00">11. Februar 2019</time>'
        '<time class="entry-date published" datetime="2019-02-10T09:30:10+01:00">10. Februar 2019</time>'
        "</span>"
    )
    assert published(html(article(top=top)))[0] == "2019-02-10T09:30:10+01:00"
    # a theme marking its one date "updated" (hAtom) still states the publication
    top = (
        '<span class="td-post-date"><time class="entry-date updated" datetime="2022-02-08T18:05:43+00:00">'
        "8. Februar 2022</time></span>"
    )
    assert published(html(article(top=top)))[0] == "2022-02-08T18:05:43+00:00"


def test_a_time_labelled_as_an_update_is_skipped() -> None:
    top = (
        '<div class="meta"><span>Aktualisiert am</span> <time datetime="2020-01-28T15:49:07+01:00">'
        "28.01.2020</time></div>"
    )
    head = '<meta property="article:published_time" content="2020-01-28T15:28:56+01:00">'
    # without the label the <time> (second stronger) would agree on the day and be the only timed one
    assert published(html(article(top=top), head))[0] == "2020-01-28T15:28:56+01:00"
    page = response(html(article(top=top)))
    assert (
        dates._html_dates(page.selector, dates._Layout(page.selector, dates.root_of(page.selector)), KSA)
        is None
    )


def test_a_date_the_page_labels_as_an_edit_outvotes_the_meta_stating_it() -> None:
    head = '<meta name="date" content="2021-10-15"><meta name="DC.date" content="2021-10-15">'
    top = '<div class="article-date">Erschienen am: 13.10.2021</div>'
    bottom = '<div class="Footer__Author-Info">Zuletzt geändert am: 15.10.2021</div>'
    assert published(html(article(top=top, bottom=bottom), head))[:2] == ("2021-10-13T00:00:00+03:00", "text")


def test_a_label_in_the_parent_counts_for_the_date_element() -> None:
    top = (
        '<div class="page-info">page revision: 8, last edited: '
        '<span class="odate">17 Jun 2018 15:15</span></div>'
        '<div class="meta"><span class="date">23 March 2008</span></div>'
    )
    assert published(html(article(top=top)))[0] == "2008-03-23T00:00:00+03:00"


def test_an_edit_inside_a_date_line_is_not_read() -> None:
    top = (
        '<div class="meta-info">Isabell Angele <span class="updated rich-snippet-hidden">'
        "2022-12-07T10:10:52+01:00</span> 25. Dezember 2022 | News</div>"
    )
    head = '<meta property="article:published_time" content="2022-12-25T08:00:00+01:00">'
    # the visible line states the 25th: it agrees with the meta, the hidden edit does not outvote it
    iso, layer, *_ = published(html(article(top=top), head))
    assert (iso, layer) == ("2022-12-25T08:00:00+01:00", "meta")
    assert published(html(article(top=top)))[0] == "2022-12-25T00:00:00+03:00"


def test_current_time_of_a_forum_template_is_not_the_date() -> None:
    before = '<p class="responsive-center time">Aktuelle Zeit: 14.10.2020, 12:18</p>'
    top = '<p class="author">Beitrag von r23</p><div class="postdate">21.01.2009, 05:42</div>'
    assert published(html(article(before=before, top=top)))[0] == "2009-01-21T05:42:00+03:00"


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Updated 4 May 2026 10:00, published 3 May 2026 09:00", "2026-05-03T09:00:00+03:00"),
        ("Published: 3 May 2026 | Updated: 4 May 2026", "2026-05-03T00:00:00+03:00"),
        ("Aktualisiert 26.10.2023, 11:30 Uhr | Erstellt 25.10.2023, 09:15 Uhr", "2023-10-25T09:15:00+03:00"),
        ("آخر تحديث: 19 نوفمبر 2026 نشر في 18 نوفمبر 2026", "2026-11-18T00:00:00+03:00"),
        ("Edited by Jane Doe | 18 November 2026", "2026-11-18T00:00:00+03:00"),
    ],
)
def test_the_published_date_of_a_date_line(line: str, iso: str) -> None:
    found = find_published_date(line, KSA)
    assert found is not None and found[0].iso() == iso


def test_a_date_line_that_states_only_an_edit_states_no_publication() -> None:
    for line in ("Updated 18 November 2026", "Zuletzt geändert am: 15.10.2021", "آخر تحديث: 18 نوفمبر 2026"):
        assert find_published_date(line, KSA) is None
        assert parse_visible_date(line, KSA) is not None  # the date is read, and known as an edit
    assert labels_edit("Last edited:") and not labels_edit("Updated 4 May, first published")


# --- dates in no date-named element ---------------------------------------------------


def test_a_date_line_right_before_the_headline_without_a_date_class() -> None:
    teaser = f'<div class="infos">06. Aug 2020 // Tipps</div><p>Another post. {LEDE}</p>'
    body = html(
        f"<main>{teaser}<div class='einleitung'><p class='subline'>21. Jan 2022 // Dominik Ricker</p>"
        f"<h1>{TITLE}</h1><p>{LEDE}</p><p>{LEDE}</p></div></main>"
    )
    assert published(body)[0] == "2022-01-21T00:00:00+03:00"


def test_a_date_opening_the_text_after_the_headline() -> None:
    body = html(
        f"<h1>{TITLE}</h1><p>Kurz gesagt: die Branche protestiert.</p>"
        f"<p>29.11.2022 – Mehrfach hatte die Branche {LEDE}</p>"
    )
    assert published(body)[:2] == ("2022-11-29T00:00:00+03:00", "text")
    # a date inside a sentence after the headline is an event's, not the page's
    body = html(f"<h1>{TITLE}</h1><p>Der Riesling feiert am 13. März 2022 seinen Geburtstag. {LEDE}</p>")
    page = response(body)
    assert dates.published(page.selector, page, default_offset=KSA, generic=False, crawled_at=NOW) is None


def test_an_itemprop_date_modified_next_to_the_headline_is_not_read() -> None:
    body = html(
        f'<h1 itemprop="headline">{TITLE}</h1>'
        '<time itemprop="dateModified" class="hidden">2018-08-29 14:15:57</time>'
        f'<span class="v-box">22.06.2018 10:20</span><p>{LEDE}</p>'
    )
    assert published(body)[0] == "2018-06-22T10:20:00+03:00"


def test_date_pieces_in_separate_elements_stay_apart() -> None:
    top = '<div class="datum"><span>Feb 18</span><span>2009</span></div>'
    assert published(html(article(top=top)))[0] == "2009-02-18T00:00:00+03:00"


def test_rdfa_dublin_core_created_on_an_element() -> None:
    top = (
        '<p class="submitted"><span property="dc:date dc:created" content="2019-07-07T18:44:31+02:00">'
        "</span>human</p>"
    )
    assert published(html(article(top=top)))[:2] == ("2019-07-07T18:44:31+02:00", "html")


# --- the exact moment -----------------------------------------------------------------


def test_rfc822_in_jsonld_keeps_its_offset_and_seconds() -> None:
    head = ld(datePublished="Wed, 02 Feb 2022 09:12:22 +0100")
    assert published(html(article(), head)) == ("2022-02-02T09:12:22+01:00", "jsonld", "second", False)


@pytest.mark.parametrize(
    ("value", "iso", "precision", "assumed"),
    [
        ("Wed, 04 May 2022 02:41:00 GMT", "2022-05-04T02:41:00+00:00", "second", False),
        ("1651626439", "2022-05-04T01:07:19+00:00", "second", False),
        ("Tue Jan 28 15:28:56 CET 2020", "2020-01-28T15:28:56+01:00", "second", False),
        ("Fri Feb 18 10:27:24 2022", "2022-02-18T10:27:24+03:00", "second", True),
        ("2020-01-10T00:59:47ZZ", "2020-01-10T00:59:47+00:00", "second", False),
        ("2022-01-14T10:31", "2022-01-14T10:31:00+03:00", "minute", True),
    ],
)
def test_machine_timestamps_in_every_common_form(value: str, iso: str, precision: str, assumed: bool) -> None:
    parsed = parse_iso(value, KSA)
    assert parsed is not None
    assert (parsed.iso(), parsed.precision, parsed.assumed_offset) == (iso, precision, assumed)


@pytest.mark.parametrize(
    ("shown", "iso", "precision", "assumed"),
    [
        ("02.02.2022 09:12:22 +0100", "2022-02-02T09:12:22+01:00", "second", False),
        ("Dienstag, 01. Februar 2022 12:10 CET", "2022-02-01T12:10:00+01:00", "minute", False),
        ("2020-03-15 20:18:45 GST", "2020-03-15T20:18:45+04:00", "second", False),
        # the time next to the date is its own, not the update's before it
        ("Updated 10:09am | Published 20 Jan, 2020 10:00am", "2020-01-20T10:00:00+03:00", "minute", True),
        # an event's date in a sentence has no time of its own; the first date in the text is read
        ("Am 22. Mai 2022 drehen. 11.01.2022, 09:50 Uhr", "2022-05-22T00:00:00+03:00", "day", True),
        ("10.11.2021 Bis einschließlich 9. November 2021", "2021-11-10T00:00:00+03:00", "day", True),
    ],
)
def test_visible_moments_keep_the_stated_zone_and_their_own_time(
    shown: str, iso: str, precision: str, assumed: bool
) -> None:
    parsed = parse_visible_date(shown, KSA)
    assert parsed is not None
    assert (parsed.iso(), parsed.precision, parsed.assumed_offset) == (iso, precision, assumed)


def test_a_day_only_winner_takes_the_time_another_layer_states_that_day() -> None:
    head = ld(datePublished="2020-09-18")
    top = '<time datetime="2020-09-18T08:56:40-07:00">September 18, 2020</time>'
    assert published(html(article(top=top), head)) == ("2020-09-18T08:56:40-07:00", "html", "second", False)
    # but another time that day (an update's) never replaces a timed strongest layer's
    head = ld(datePublished="2020-09-18T06:30:00")
    assert published(html(article(top=top), head)) == ("2020-09-18T06:30:00+03:00", "jsonld", "second", True)


def test_an_assumed_offset_gives_way_to_the_stated_one_for_the_same_time() -> None:
    head = (
        ld(datePublished="2023-11-08T22:19:12")
        + '<meta property="article:published_time" content="2023-11-08T22:19:12+00:00">'
    )
    assert published(html(article(), head)) == ("2023-11-08T22:19:12+00:00", "meta", "second", False)


def test_the_record_carries_the_moment_precision_offset_and_layer() -> None:
    """Through the source's parser: the exported fields say what the page stated."""
    head = ld(datePublished="Wed, 02 Feb 2022 09:12:22 +0100", headline=TITLE)
    parser = parser_for(URL)
    assert parser is not None
    fields: dict[str, Any] = parser.parse(response(html(article(), head)), crawled_at=NOW)
    item = Article(**fields)
    assert item.published_at == "2022-02-02T09:12:22+01:00"
    assert (fields["published_precision"], fields["timezone_assumed"]) == ("second", False)
    assert fields["extraction"]["published_at"] == "jsonld"
