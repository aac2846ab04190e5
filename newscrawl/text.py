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
TIME_AFTER_DATE, TIME_BEFORE_DATE = 30, 20  # characters between a date and its time of day
_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
# A zone the visible time states, after the time: "14:05 GMT", "10:15 (UTC+3)", "2:05 PM ET"
_ZONE = re.compile(
    r"^\s*\(?(?:(?:GMT|UTC)\s*([+-]\s*\d{1,2})(?::?(\d{2}))?|([+-]\d{2}):?(\d{2})(?!\d)|(GMT|UTC|Z)\b"
    r"|([A-Z]{2,4}T)\b)\)?"
)
# Zone abbreviations that name one offset only (not IST, AST, CST, BST: several zones each).
ZONE_ABBREVIATIONS = {
    "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "MSK": 3, "GST": 4, "JST": 9,
    "KST": 9, "HKT": 8, "SGT": 8, "AEST": 10, "AEDT": 11, "EST": -5, "EDT": -4, "PST": -8, "PDT": -7,
    "MST": -7, "MDT": -6,
}  # fmt: skip


@dataclass(frozen=True)
class ParsedDate:
    """A date resolved to an aware datetime, with how it was obtained."""

    value: datetime
    precision: str = "second"  # second | minute | hour | day
    assumed_offset: bool = False

    def iso(self) -> str:
        return self.value.isoformat(timespec="seconds")


def parse_iso(value: str | None, default_offset: timezone) -> ParsedDate | None:
    """Parse a machine timestamp: ISO 8601 (``+0400`` offsets and ``Z`` accepted), else
    RFC 822 (``Wed, 02 Feb 2022 09:12:22 +0100``, as some JSON-LD states it) or Unix
    epoch seconds/milliseconds (``1651626439``, UTC).

    Without an offset, ``default_offset`` is applied and recorded as assumed. The
    precision is what the value states: ``day`` for a bare date, ``minute`` without
    seconds, else ``second``.
    """
    if not value:
        return None
    raw = clean_text(value)
    text = _REPEATED_Z.sub("Z", raw).replace("Z", "+00:00").replace("z", "+00:00")
    text = _OFFSET_NO_COLON.sub(r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return (
            _parse_epoch(raw)
            or _parse_rfc822_machine(raw, default_offset)
            or _parse_asctime(raw, default_offset)
        )
    clock = _ISO_CLOCK.search(text, 8)
    precision = "day" if not clock else "second" if clock[2] else "minute" if clock[1] else "hour"
    if parsed.tzinfo is None:
        return ParsedDate(parsed.replace(tzinfo=default_offset, microsecond=0), precision, True)
    return ParsedDate(parsed.replace(microsecond=0), precision)


_REPEATED_Z = re.compile(r"(?<=\d)Z{2,}$")
_ISO_CLOCK = re.compile(r"[T ]\d{2}(:\d{2})?(:\d{2})?")
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")


def _parse_epoch(text: str) -> ParsedDate | None:
    if not _EPOCH.match(text):
        return None
    seconds = int(text[:10])
    if not 946_684_800 <= seconds <= 4_102_444_800:  # 2000-2100
        return None
    return ParsedDate(datetime.fromtimestamp(seconds, UTC))


def _parse_rfc822_machine(text: str, default_offset: timezone) -> ParsedDate | None:
    from email.utils import parsedate_to_datetime

    if not _RFC822_SHAPE.match(text):
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    precision = "second" if _WITH_SECONDS.search(text) else "minute"
    if parsed.tzinfo is None:  # "-0000": no zone stated
        return ParsedDate(parsed.replace(tzinfo=default_offset), precision, True)
    return ParsedDate(parsed, precision)


def _parse_asctime(text: str, default_offset: timezone) -> ParsedDate | None:
    """C ``ctime`` and Java ``Date.toString`` forms: ``Fri Feb 18 10:27:24 2022``,
    ``Tue Jan 28 15:28:56 CET 2020``."""
    m = _ASCTIME.match(text)
    if m is None or m[1].lower() not in _MONTHS:
        return None
    zone: timezone | None = None
    if m[6]:
        zone = UTC if m[6] in ("GMT", "UTC") else None
        if m[6] in ZONE_ABBREVIATIONS:
            zone = timezone(timedelta(hours=ZONE_ABBREVIATIONS[m[6]]))
    try:
        parsed = datetime(int(m[7]), _MONTHS[m[1].lower()], int(m[2]), int(m[3]), int(m[4]), int(m[5]),
                          tzinfo=zone or default_offset)  # fmt: skip
    except ValueError:
        return None
    return ParsedDate(parsed, "second", zone is None)


_WITH_SECONDS = re.compile(r"\d:\d{2}:\d{2}")
_ASCTIME = re.compile(
    r"^(?:[A-Za-z]{3}\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(?:([A-Z]{2,5})\s+)?(\d{4})$"
)


# "Wed, 02 Feb 2022 09:12:22 +0100", "02 Feb 2022 09:12:22 GMT"
_RFC822_SHAPE = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")


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


_FOUR_DIGITS = re.compile(r"\d{4}")  # the year each of the forms below requires (same ``\d``)


def _visible_day(text: str) -> tuple[int, int, int, re.Match[str]] | None:
    """(year, month, day, match) of the date that comes first in ``text``, whatever its form."""
    if not _FOUR_DIGITS.search(text):
        return None  # every form states a four-digit year: most pieces of text are read no further
    found: list[tuple[int, int, tuple[int, int, int], re.Match[str]]] = []
    if m := _DAY_MONTH_YEAR.search(text):
        found.append((m.start(), 0, (int(m[3]), _MONTHS[m[2].lower()], int(m[1])), m))
    if m := _MONTH_DAY_YEAR.search(text):
        found.append((m.start(), 1, (int(m[3]), _MONTHS[m[1].lower()], int(m[2])), m))
    if m := _NUMERIC_YMD.search(text):
        found.append((m.start(), 2, (int(m[1]), int(m[3]), int(m[4])), m))
    if m := _NUMERIC_DMY.search(text):
        first, second = int(m[1]), int(m[3])
        if second > 12 and first <= 12:  # 11/18/2026: month first
            first, second = second, first
        found.append((m.start(), 3, (int(m[4]), second, first), m))
    if not found:
        return None
    _, _, (year, month, day), m = min(found, key=lambda row: row[:2])
    return year, month, day, m


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
    found = _visible_date(arabic_digits_to_ascii(clean_text(value))[:400], default_offset)
    return found[0] if found else None


# Words that say the date after them is not the publication: an edit, or the current
# time a page template shows ("It is currently", phpBB's "Aktuelle Zeit").
_MODIFIED_LABEL = re.compile(
    r"(?:updated|modified|edited|revised|bearbeitet|editiert)(?!\s+(?:by|von)\b)"  # not "Edited by <editor>"
    r"|last change|it is currently|current time|aktualisiert|geändert|aktuelle zeit|mis à jour|modifié"
    r"|actualisé|actualizad[oa]|actualización"
    r"|modificad[oa]|aggiornat[oa]|modificat[oa]|atualizad[oa]|bijgewerkt|gewijzigd|güncellen"
    r"|تحديث|تعديل|محدث",
    re.I,
)
_PUBLISHED_LABEL = re.compile(
    r"publi|posted|veröffentlicht|erschienen|erstellt|created|gepubliceerd|yayın|pubblicat|نشر", re.I
)


def parse_published_date(value: str | None, default_offset: timezone) -> ParsedDate | None:
    """``parse_visible_date`` for a page's date line: the first date not labelled as an
    edit or as the current time (``Updated 18 November 2026``, ``Zuletzt geändert am:
    15.10.2021``, ``Aktuelle Zeit: 14.10.2020``, ``آخر تحديث``). The label nearest before
    a date decides: ``Published 3 May 2026, updated 4 May 2026`` is the 3rd,
    ``Updated 4 May 2026, first published 3 May 2026`` the 3rd too."""
    found = find_published_date(value, default_offset)
    return found[0] if found else None


def labels_edit(text: str) -> bool:
    """The label nearest the end of ``text`` says an edit (or the current time) follows:
    ``Updated``, ``Zuletzt geändert am:``, ``آخر تحديث``, ``Veröffentlicht/Aktualisiert:``
    (either: not the publication for sure); not ``Updated ..., first published``."""
    labels = [*_MODIFIED_LABEL.finditer(text), *_PUBLISHED_LABEL.finditer(text)]
    nearest = max(labels, key=lambda m: m.end(), default=None)
    return nearest is not None and nearest.re is _MODIFIED_LABEL


def find_published_date(
    value: str | None, default_offset: timezone, edits: list[ParsedDate] | None = None
) -> tuple[ParsedDate, int] | None:
    """``parse_published_date`` with where the date starts in ``value``'s cleaned text
    (``clean_text``: bidi marks removed, whitespace collapsed); the dates passed over
    as edits are appended to ``edits``."""
    if not value:
        return None
    text = arabic_digits_to_ascii(clean_text(value))[:400]
    skipped = 0
    for _ in range(4):  # a date line states a handful of dates at most
        found = _visible_date(text, default_offset)
        if found is None:
            return None
        parsed, start, end = found
        if not labels_edit(text[:start]):
            return parsed, skipped + start
        if edits is not None:
            edits.append(parsed)
        rest = text[end:].lstrip(" ,|-–—")
        if t := _TIME.match(rest):  # the skipped date's own time of day
            rest = rest[t.end() :]
        skipped += len(text) - len(rest)
        text = rest
    return None


def _visible_date(text: str, default_offset: timezone) -> tuple[ParsedDate, int, int] | None:
    """The first date ``text`` (cleaned, ASCII digits) states, with where it stands."""
    found = _visible_day(text)
    if found is None:
        return None
    year, month, day, m = found
    hour = minute = second = 0
    precision = "day"
    zone: timezone | None = None
    # the time of day next to the date (just after it, or just before: "14:05-18 نوفمبر 2026"),
    # not one of another date further on
    # (the nearer of the two: "Published: 10:00am, 20 Jan, 2020 Updated: 10:09am")
    after = text[m.end() :]
    t = _TIME.search(after, 0, TIME_AFTER_DATE + 20)
    if t is not None and (t.start() > TIME_AFTER_DATE or _visible_day(after[: t.start()])):
        t = None  # too far, or another date's ("22. Mai 2022 drehen. 11.01.2022, 09:50")
    before = text[max(0, m.start() - TIME_BEFORE_DATE) : m.start()]
    b = next((f for f in reversed(list(_TIME.finditer(before))) if _adjacent(before[f.end() :])), None)
    rest = after
    if b is not None and (t is None or len(before) - b.end() < t.start()):
        t, rest = b, before + after
    if t:
        hour, minute, second = int(t[1]), int(t[2]), int(t[3] or 0)
        marker = (t[4] or "").lower().replace(".", "")
        if marker in ("pm", "م") and hour < 12:
            hour += 12
        elif marker in ("am", "ص") and hour == 12:
            hour = 0
        precision = "second" if t[3] else "minute"
        zone = _stated_zone(rest[t.end() :])
    try:
        parsed = datetime(year, month, day, hour, minute, second, tzinfo=zone or default_offset)
    except ValueError:
        return None
    if not 1990 <= year <= 2100:
        return None
    return ParsedDate(parsed, precision, zone is None), m.start(), m.end()


def _adjacent(gap: str) -> bool:
    """The text between a time of day and the date after it joins them: a separator or a zone."""
    return len(gap) <= 6 or (len(gap) <= 14 and _stated_zone(gap) is not None)


def _stated_zone(text: str) -> timezone | None:
    """The zone stated right after a time of day: ``GMT``, ``UTC+3``, ``+0100``, ``CET``."""
    z = _ZONE.match(text)
    if z is None:
        return None
    if z[6]:
        hours_only = ZONE_ABBREVIATIONS.get(z[6])
        return timezone(timedelta(hours=hours_only)) if hours_only is not None else None
    if z[5]:
        return UTC
    sign_hours, mins = (z[1], z[2]) if z[1] else (z[3], z[4])
    hours = int(sign_hours.replace(" ", ""))
    minutes = int(mins or 0) * (-1 if sign_hours.strip().startswith("-") else 1)
    return timezone(timedelta(hours=hours, minutes=minutes)) if abs(hours) <= 14 else None


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
