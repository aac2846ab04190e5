"""Pure text helpers: bidi marks, Arabic and English dates with offsets, canonical URLs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newscrawl.text import canonical_url, clean_text, join_paragraphs, offset, parse_iso, parse_visible_date

KSA = offset(3)


def test_clean_text_strips_bidi_and_zero_width_marks() -> None:
    assert clean_text("\u200f نورة\u200b  القحطاني \u202b\n") == "نورة القحطاني"
    assert join_paragraphs([" a ", "", "b", "a"]) == "a\n\nb"


@pytest.mark.parametrize(
    ("value", "iso", "precision", "assumed"),
    [
        ("2023-01-12T00:55:00.000+0400", "2023-01-12T00:55:00+04:00", "second", False),
        ("2026-11-18T14:05:00Z", "2026-11-18T14:05:00+00:00", "second", False),
        ("2026-11-18T14:05:00", "2026-11-18T14:05:00+03:00", "second", True),
        ("2026-11-18", "2026-11-18T00:00:00+03:00", "day", True),
    ],
)
def test_parse_iso(value: str, iso: str, precision: str, assumed: bool) -> None:
    parsed = parse_iso(value, KSA)
    assert parsed is not None
    assert (parsed.iso(), parsed.precision, parsed.assumed_offset) == (iso, precision, assumed)


@pytest.mark.parametrize(
    ("value", "iso", "precision"),
    [
        ("Updated 18 November 2026", "2026-11-18T00:00:00+03:00", "day"),
        ("November 18, 2026 2:05 pm", "2026-11-18T14:05:00+03:00", "minute"),
        ("١٨ نوفمبر ٢٠٢٦", "2026-11-18T00:00:00+03:00", "day"),
        ("الأربعاء 18 تشرين الثاني 2026 - 10:15 م", "2026-11-18T22:15:00+03:00", "minute"),
        ("11-06-2025", "2025-06-11T00:00:00+03:00", "day"),
    ],
)
def test_parse_visible_date(value: str, iso: str, precision: str) -> None:
    parsed = parse_visible_date(value, KSA)
    assert parsed is not None and parsed.assumed_offset
    assert (parsed.iso(), parsed.precision) == (iso, precision)


def test_unparseable_dates_give_none() -> None:
    assert parse_iso("not a date", KSA) is None
    assert parse_visible_date("31 February 2026", KSA) is None
    assert parse_visible_date("", KSA) is None


def test_canonical_url_one_form() -> None:
    raw = "https://WWW.Alarabiya.net/arab-and-world/2024/08/11/عنوان?utm_source=x&id=2#top"
    lower = "https://www.alarabiya.net/arab-and-world/2024/08/11/%d8%b9%d9%86%d9%88%d8%a7%d9%86?id=2"
    assert canonical_url(raw) == canonical_url(lower)
    assert canonical_url(raw).endswith("/%D8%B9%D9%86%D9%88%D8%A7%D9%86?id=2")
    assert canonical_url("https://x.test:443/a?fbclid=1") == "https://x.test/a"


@pytest.mark.parametrize(
    "phrase",
    ["15 minutes ago", "an hour ago", "14 hours ago", "a day ago", "2 days ago", "3 weeks ago",
     "2 months ago", "yesterday", "just now", "منذ 4 أيام", "منذ ساعة واحدة", "منذ 5 دقائق",
     "منذ ٢١ ساعات", "منذ يومين"],
)  # fmt: skip
def test_relative_dates_match_dateparser(phrase: str) -> None:
    """The fixed-unit shortcut gives dateparser's answer (dateparser still does months)."""
    import dateparser

    from newscrawl.text import _relative_phrase, arabic_digits_to_ascii, parse_relative_date

    base = datetime(2026, 11, 20, 9, 0, tzinfo=offset(4))
    ours = parse_relative_date(phrase, base)
    english = _relative_phrase(arabic_digits_to_ascii(clean_text(phrase)).lower())
    assert ours is not None and english is not None
    settings = {"RELATIVE_BASE": datetime(2026, 11, 20, 5, 0), "TIMEZONE": "UTC", "PREFER_DATES_FROM": "past"}
    theirs = dateparser.parse(english[0], languages=["en"], settings=settings)  # type: ignore[arg-type]
    assert theirs is not None
    assert ours.value == theirs.replace(tzinfo=UTC, microsecond=0)
