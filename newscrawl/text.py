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
    out: dict[str, None] = {}  # insertion-ordered set: linear in the number of paragraphs
    for raw in paragraphs:
        if text := clean_text(raw):
            out.setdefault(text, None)
    return "\n\n".join(out)


def arabic_digits_to_ascii(value: str) -> str:
    """Arabic-Indic (and Persian) digits to ASCII digits."""
    return value.translate(_ARABIC_DIGITS)


# --- dates ------------------------------------------------------------------


def _month_names(*names: str) -> dict[str, int]:
    """``{"january": 1, ...}`` from twelve names (a name may list variants: "ابريل|إبريل")."""
    return {variant: i for i, name in enumerate(names, 1) for variant in name.split("|")}


_MONTHS = {
    # English, with abbreviations
    **_month_names("january", "february", "march", "april", "may", "june", "july",
                   "august", "september", "october", "november", "december"),
    **_month_names("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep|sept", "oct", "nov", "dec"),
    # Arabic: Egyptian/Gulf names and Levantine (Syriac) names, common spellings
    **_month_names("يناير", "فبراير", "مارس", "أبريل|ابريل|إبريل", "مايو", "يونيو|يونيه", "يوليو|يوليه",
                   "أغسطس|اغسطس", "سبتمبر", "أكتوبر|اكتوبر", "نوفمبر", "ديسمبر"),
    **_month_names("كانون الثاني", "شباط", "آذار|اذار", "نيسان", "أيار|ايار", "حزيران", "تموز",
                   "آب|اب", "أيلول|ايلول", "تشرين الأول|تشرين الاول", "تشرين الثاني",
                   "كانون الأول|كانون الاول"),
    # other languages of the pages Daily8 and the wild web carry (full names only: no
    # abbreviations that are also words)
    **_month_names("januar|jänner", "februar|feber", "märz", "april", "mai", "juni", "juli",
                   "august", "september", "oktober", "november", "dezember"),  # de
    **_month_names("janvier", "février|fevrier", "mars", "avril", "mai", "juin", "juillet",
                   "août|aout", "septembre", "octobre", "novembre", "décembre|decembre"),  # fr
    **_month_names("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
                   "agosto", "septiembre|setiembre", "octubre", "noviembre", "diciembre"),  # es
    **_month_names("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio",
                   "agosto", "settembre", "ottobre", "novembre", "dicembre"),  # it
    **_month_names("janeiro", "fevereiro", "março|marco", "abril", "maio", "junho", "julho",
                   "agosto", "setembro", "outubro", "novembro", "dezembro"),  # pt
    **_month_names("januari", "februari", "maart", "april", "mei", "juni", "juli",
                   "augustus", "september", "oktober", "november", "december"),  # nl
    **_month_names("ocak", "şubat", "mart", "nisan", "mayıs", "haziran", "temmuz",
                   "ağustos", "eylül", "ekim", "kasım", "aralık"),  # tr
}  # fmt: skip
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
# "18 November 2026", "18. November 2026", "18 de noviembre de 2026", "الأربعاء 18 تشرين الثاني 2026",
# "14:05-18 نوفمبر 2026", "18-Nov-2026"
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:\.|º|er)?(?:\s*[-/]\s*|\s+|(?=\D))(?:de\s+)?({_MONTH_ALT})(?!\w)\.?"
    rf"[\s,،/-]*(?:de\s+)?(\d{{4}})(?!\d)",
    re.I,
)
# "November 18, 2026", "Nov. 18th 2026"
_MONTH_DAY_YEAR = re.compile(
    rf"({_MONTH_ALT})(?!\w)\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.I
)
_NUMERIC_DMY = re.compile(r"(?<![\d.])(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?![\d.])")
_NUMERIC_YMD = re.compile(r"(?<![\d.])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d.])")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)\s*(a\.?m\.?|p\.?m\.?|ص|م)?", re.I)
_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
# A zone the visible time states, after the time: "14:05 GMT", "10:15 (UTC+3)", "2:05 PM ET"
_ZONE = re.compile(r"^\s*\(?(?:GMT|UTC)\s*([+-]\s*\d{1,2})(?::?(\d{2}))?\)?|^\s*\(?(GMT|UTC|Z)\b\)?")


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


def _visible_day(text: str) -> tuple[int, int, int, re.Match[str]] | None:
    """(year, month, day, match) of the first date form found in ``text``."""
    if m := _DAY_MONTH_YEAR.search(text):
        return int(m[3]), _MONTHS[m[2].lower()], int(m[1]), m
    if m := _MONTH_DAY_YEAR.search(text):
        return int(m[3]), _MONTHS[m[1].lower()], int(m[2]), m
    if m := _NUMERIC_YMD.search(text):
        return int(m[1]), int(m[3]), int(m[4]), m
    if m := _NUMERIC_DMY.search(text):
        first, second = int(m[1]), int(m[3])
        if second > 12 and first <= 12:  # 11/18/2026: month first
            first, second = second, first
        return int(m[4]), second, first, m
    return None


def parse_visible_date(value: str | None, default_offset: timezone) -> ParsedDate | None:
    """Parse a human date shown on a page, with optional time of day.

    Day-month-year with month names in English, Arabic (both series, Arabic-Indic
    digits), German, French, Spanish, Italian, Portuguese, Dutch and Turkish
    (``18 November 2026``, ``18. November 2026``, ``18 de noviembre de 2026``,
    ``الأربعاء، ١٨ تشرين الثاني ٢٠٢٦ - 10:15 م``); month-day-year (``November 18, 2026
    2:05 PM``); numeric ``18.11.2026``, ``18/11/2026``, ``2026/11/18``. Weekday names
    and other words around the date are ignored. A stated ``GMT``/``UTC(+3)`` zone
    after the time is used; otherwise ``default_offset`` is applied and marked
    assumed. Without a time of day the precision is ``day``.
    """
    if not value:
        return None
    text = arabic_digits_to_ascii(clean_text(value))[:400]
    found = _visible_day(text)
    if found is None:
        return None
    year, month, day, m = found
    hour = minute = second = 0
    precision = "day"
    zone: timezone | None = None
    rest = text[: m.start()] + " " + text[m.end() :]
    if t := _TIME.search(rest):
        hour, minute, second = int(t[1]), int(t[2]), int(t[3] or 0)
        marker = (t[4] or "").lower().replace(".", "")
        if marker in ("pm", "م") and hour < 12:
            hour += 12
        elif marker in ("am", "ص") and hour == 12:
            hour = 0
        precision = "minute"
        if z := _ZONE.match(rest[t.end() :]):
            hours = int(z[1].replace(" ", "")) if z[1] else 0
            minutes = int(z[2] or 0) * (1 if hours >= 0 else -1)
            zone = timezone(timedelta(hours=hours, minutes=minutes)) if abs(hours) <= 14 else None
    try:
        parsed = datetime(year, month, day, hour, minute, second, tzinfo=zone or default_offset)
    except ValueError:
        return None
    if not 1990 <= year <= 2100:
        return None
    return ParsedDate(parsed, precision, zone is None)


def date_in_url(url: str) -> tuple[int, int, int] | None:
    """(year, month, day) a URL path states: ``/2026/11/18/``, ``/2026-11-18-``,
    ``/20261118/``, ``/18-11-2026``; ``None`` when it has none (a year and month alone are not a day)."""
    path = urlsplit(url).path
    if m := _URL_DATE.search(path) or _URL_DATE_COMPACT.search(path):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _URL_DATE_DMY.search(path):
        year, month, day = int(m[3]), int(m[2]), int(m[1])
    else:
        return None
    try:
        datetime(year, month, day)
    except ValueError:
        return None
    return (year, month, day) if 1990 <= year <= 2100 else None


_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[/_-](\d{1,2})[/_-](\d{1,2})(?!\d)")
_URL_DATE_DMY = re.compile(r"(?<!\d)(\d{1,2})[_-](\d{1,2})[_-]((?:19|20)\d{2})(?!\d)")
_URL_DATE_COMPACT = re.compile(r"(?<![\d])((?:19|20)\d{2})(\d{2})(\d{2})(?![\d])")


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


# --- languages ----------------------------------------------------------------

_LANGUAGE_CODE = re.compile(r"^\s*([a-zA-Z]{2})(?:[-_][a-zA-Z0-9]+)*\s*$")
# Languages written in Arabic script: a page declaring one of these keeps it.
ARABIC_SCRIPT_LANGUAGES = frozenset(("ar", "fa", "ur", "ps", "ku", "sd", "ug"))
_LETTER = re.compile(r"[^\W\d_]")
_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def language_code(value: str | None) -> str | None:
    """ISO 639-1 code of a declared language (``de-DE``, ``ar_AR``, ``EN``), else None."""
    if not value:
        return None
    m = _LANGUAGE_CODE.match(value.split(",")[0])
    return m[1].lower() if m else None


def text_script(text: str) -> str | None:
    """``arabic`` when most letters of ``text`` are Arabic script, ``other`` when few
    are, None when there are too few letters to tell."""
    sample = text[:1500]
    letters = len(_LETTER.findall(sample))
    if letters < 20:
        return None
    arabic = len(_ARABIC_LETTER.findall(sample))
    if arabic * 2 > letters:
        return "arabic"
    return "other" if arabic * 10 < letters else None


_NOT_WORD = re.compile(r"[\W_]+")


def alnum_key(text: str) -> str:
    """``text`` lower-cased with everything but letters and digits removed: the form
    in which two renderings of one text (spacing, punctuation, markup) compare equal."""
    return _NOT_WORD.sub("", text.lower())
