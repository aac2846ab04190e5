"""Pure text helpers: whitespace and bidi marks, dates with offsets, canonical URLs.

Nothing here performs I/O or needs a response; every function is safe on any
input and returns ``None`` (never raises) when it cannot make sense of a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract
from w3lib.url import safe_url_string

# Bidi controls (LRM, RLM, ALM, embeddings/overrides, isolates) and zero-width chars.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_[ce]id|_ga|igshid|ref|amp)$")


def clean_text(value: str | None) -> str:
    """Strip bidi/zero-width marks and collapse all whitespace to single spaces."""
    if not value:
        return ""
    return " ".join(_INVISIBLE.sub("", value).split())


def join_paragraphs(paragraphs: list[str]) -> str:
    """Clean each paragraph, drop empty ones and exact repeats, join with a blank line."""
    out: list[str] = []
    for raw in paragraphs:
        text = clean_text(raw)
        if text and text not in out:
            out.append(text)
    return "\n\n".join(out)


def arabic_digits_to_ascii(value: str) -> str:
    """Arabic-Indic (and Persian) digits to ASCII digits."""
    return value.translate(_ARABIC_DIGITS)


# --- dates ------------------------------------------------------------------

_MONTHS = {
    # English
    **{m: i for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july",
         "august", "september", "october", "november", "december"], 1)},
    **{m: i for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)},
    "sept": 9,
    # Arabic: Egyptian/Gulf names and Levantine (Syriac) names
    **{m: i for i, m in enumerate(
        ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو",
         "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"], 1)},
    **{m: i for i, m in enumerate(
        ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز",
         "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول"], 1)},
    "ابريل": 4, "إبريل": 4, "اغسطس": 8, "اكتوبر": 10, "يونيه": 6, "يوليه": 7,
}  # fmt: skip
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"(\d{{1,2}})\s*(?:-|\s)\s*({_MONTH_ALT})[\s,،-]*(\d{{4}})", re.I)
_MONTH_DAY_YEAR = re.compile(rf"({_MONTH_ALT})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})", re.I)
_NUMERIC_DMY = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm|ص|م)?", re.I)
_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


@dataclass(frozen=True)
class ParsedDate:
    """A date resolved to an aware datetime, with how it was obtained."""

    value: datetime
    precision: str = "second"  # second | minute | hour | day
    assumed_offset: bool = False

    def iso(self) -> str:
        return self.value.isoformat(timespec="seconds")


def parse_iso(value: str | None, default_offset: timezone) -> ParsedDate | None:
    """Parse a machine timestamp (ISO 8601, ``+0400`` offsets and ``Z`` accepted).

    Without an offset, ``default_offset`` is applied and recorded as assumed;
    a bare date gets day precision.
    """
    if not value:
        return None
    text = clean_text(value).replace("Z", "+00:00").replace("z", "+00:00")
    text = _OFFSET_NO_COLON.sub(r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    precision = "day" if len(text) <= 10 else "second"
    if parsed.tzinfo is None:
        return ParsedDate(parsed.replace(tzinfo=default_offset), precision, True)
    return ParsedDate(parsed.replace(microsecond=0), precision)


def parse_rfc822(value: str | None) -> ParsedDate | None:
    """Parse an RSS ``pubDate`` / HTTP ``Date`` value."""
    from email.utils import parsedate_to_datetime

    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(clean_text(value))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return ParsedDate(parsed.replace(tzinfo=UTC), "second", True)
    return ParsedDate(parsed)


def parse_visible_date(value: str | None, default_offset: timezone) -> ParsedDate | None:
    """Parse a human date shown on a page, English or Arabic, with optional time.

    Handles ``18 November 2026``, ``November 18, 2026 14:05``, ``18-11-2026``,
    ``١٨ نوفمبر ٢٠٢٦``, ``الأربعاء 18 تشرين الثاني 2026 - 10:15 م``. The
    page gives no offset, so ``default_offset`` is applied and marked assumed.
    """
    if not value:
        return None
    text = arabic_digits_to_ascii(clean_text(value))
    day = month = year = None
    if m := _DAY_MONTH_YEAR.search(text):
        day, month, year = int(m[1]), _MONTHS[m[2].lower()], int(m[3])
    elif m := _MONTH_DAY_YEAR.search(text):
        day, month, year = int(m[2]), _MONTHS[m[1].lower()], int(m[3])
    elif m := _NUMERIC_DMY.search(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    if not (day and month and year):
        return None
    hour = minute = second = 0
    precision = "day"
    rest = text.replace(m[0], " ") if m else text
    if t := _TIME.search(rest):
        hour, minute, second = int(t[1]), int(t[2]), int(t[3] or 0)
        marker = (t[4] or "").lower()
        if marker in ("pm", "م") and hour < 12:
            hour += 12
        elif marker in ("am", "ص") and hour == 12:
            hour = 0
        precision = "minute"
    try:
        parsed = datetime(year, month, day, hour, minute, second, tzinfo=default_offset)
    except ValueError:
        return None
    return ParsedDate(parsed, precision, True)


def offset(hours: float) -> timezone:
    """A fixed UTC offset, e.g. ``offset(3)`` for Saudi time."""
    return timezone(timedelta(hours=hours))


# Relative dates ("15 minutes ago", "منذ 4 أيام"), as aggregators show them. Arabic
# phrases are rewritten to English ("منذ ساعة واحدة" -> "1 hour ago") because
# dateparser 1.5 misses singular/dual Arabic forms; dateparser does the arithmetic.
_EN_RELATIVE = re.compile(
    r"(?:(\d+|an?|one)\s+(second|minute|hour|day|week|month|year)s?\s+ago|(just now|now|today|yesterday))"
)
_AR_UNITS: dict[str, tuple[str, int | None]] = {
    **dict.fromkeys(("ثانية",), ("second", 1)), **dict.fromkeys(("ثوان", "ثواني", "ثوانٍ"), ("second", None)),
    **dict.fromkeys(("ثانيتين", "ثانيتان"), ("second", 2)),
    "دقيقة": ("minute", 1), "دقائق": ("minute", None), "دقيقتين": ("minute", 2), "دقيقتان": ("minute", 2),
    "ساعة": ("hour", 1), "ساعات": ("hour", None), "ساعتين": ("hour", 2), "ساعتان": ("hour", 2),
    "يوم": ("day", 1), **dict.fromkeys(("أيام", "ايام", "يوما", "يومًا"), ("day", None)),
    "يومين": ("day", 2), "يومان": ("day", 2),
    "أسبوع": ("week", 1), "أسابيع": ("week", None), "أسبوعين": ("week", 2),
    "شهر": ("month", 1), "أشهر": ("month", None), "شهور": ("month", None), "شهرين": ("month", 2),
    **dict.fromkeys(("سنة", "عام"), ("year", 1)), **dict.fromkeys(("سنوات", "أعوام"), ("year", None)),
    **dict.fromkeys(("سنتين", "عامين"), ("year", 2)),
}  # fmt: skip
_AR_RELATIVE = re.compile(
    r"منذ\s+(?:(\d+)\s+)?(" + "|".join(sorted(_AR_UNITS, key=len, reverse=True)) + r")(?:\s+واحد[ةه]?)?"
)
_AR_WORDS = {"الآن": "now", "الان": "now", "اليوم": "today", "أمس": "yesterday", "امس": "yesterday"}
_WORD_UNIT = {"just now": "minute", "now": "minute", "today": "day", "yesterday": "day"}
_GLUED_TIME = re.compile(
    r"(.*?)(\d{1,2}-\d{1,2}-\d{4}|(?:\d+|an?|one)\s+\w+\s+ago|just now|yesterday|منذ\s.+)", re.I
)


_EXACT_UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}
_EXACT_COUNT = re.compile(r"(\d+|an?|one) \w+? ago")


def _relative_phrase(text: str) -> tuple[str, str] | None:
    """(English phrase dateparser understands, unit) for a relative date, else None."""
    if text in _AR_WORDS:
        text = _AR_WORDS[text]
    if m := _AR_RELATIVE.fullmatch(text):
        unit, implied = _AR_UNITS[m[2]]
        count = int(m[1]) if m[1] else implied
        return (f"{count} {unit} ago", unit) if count else None
    if m := _EN_RELATIVE.fullmatch(text):
        return (text, m[2] or _WORD_UNIT[m[3]])
    return None


def parse_relative_date(value: str | None, base: datetime) -> ParsedDate | None:
    """Resolve ``15 minutes ago`` / ``an hour ago`` / ``منذ 4 أيام`` / ``منذ ساعة واحدة``
    against ``base`` (an aware datetime: the response's ``Date``, else the crawl time).

    The result keeps ``base``'s offset; ``precision`` follows the unit: ``second``,
    ``minute``, ``hour``, else ``day`` (days, weeks, months, years, "yesterday").
    Absolute dates are not relative: ``None`` (use ``parse_visible_date``).
    """
    if not value or base.tzinfo is None:
        return None
    phrase = _relative_phrase(arabic_digits_to_ascii(clean_text(value)).lower())
    if phrase is None:
        return None
    unit = phrase[1]
    if (count := _EXACT_COUNT.fullmatch(phrase[0])) and unit in _EXACT_UNITS:
        # fixed-length units need no calendar: the same arithmetic dateparser does
        number = 1 if count[1] in ("a", "an", "one") else int(count[1])
        delta = timedelta(**{_EXACT_UNITS[unit]: number})
        resolved = (base.astimezone(UTC) - delta).replace(microsecond=0).astimezone(base.tzinfo)
        return ParsedDate(resolved, unit if unit in ("second", "minute", "hour") else "day")
    import dateparser  # lazy: months, years and words ("yesterday") need its calendar

    naive_base = base.astimezone(UTC).replace(tzinfo=None)
    settings = {"RELATIVE_BASE": naive_base, "TIMEZONE": "UTC", "PREFER_DATES_FROM": "past"}
    found = dateparser.parse(phrase[0], languages=["en"], settings=settings)
    if found is None:
        return None
    resolved = found.replace(tzinfo=UTC, microsecond=0).astimezone(base.tzinfo)
    return ParsedDate(resolved, unit if unit in ("second", "minute", "hour") else "day")


def split_glued_time(value: str | None) -> tuple[str, str] | None:
    """Split a source name glued to its time, as page text shows it:
    ``Asharq Al-Awsat28-05-2025`` -> ``("Asharq Al-Awsat", "28-05-2025")``,
    ``The Nationala day ago``, ``يمني برسمنذ 4 أيام``. ``None`` if no time ends it."""
    m = _GLUED_TIME.fullmatch(clean_text(value))
    return (m[1].strip(), m[2]) if m else None


# --- URLs -------------------------------------------------------------------


def canonical_url(url: str) -> str:
    """One form per URL: safe percent-encoding (upper-case hex), lower-case host,
    no fragment, no tracking parameters, no default port."""
    safe = safe_url_string(url.strip())
    parts = urlsplit(safe)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not TRACKING_PARAMS.match(k)]  # fmt: skip
    path = re.sub(r"%[0-9a-f]{2}", lambda m: m[0].upper(), parts.path or "/")
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query, safe="/:"), ""))


# Public Suffix List as bundled with tldextract: never fetched (no network, no cache
# written); private suffixes (amplifyapp.com, github.io) count, so two apps there are two sites.
_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def registered_site(url: str) -> str:
    """The site a URL belongs to, for "same site" checks: the registrable domain.

    ``www.bbc.co.uk`` -> ``bbc.co.uk``, ``main.d1.amplifyapp.com`` -> ``d1.amplifyapp.com``;
    a host without a public suffix (an IP address, ``localhost``) is its own site.
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return _SUFFIXES(host).top_domain_under_public_suffix or host
