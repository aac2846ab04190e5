"""Credentials never reach logs, reports or stats files.

``redact(text)`` masks the password of every ``scheme://user:password@host`` URL
(``redis://:s3cret@127.0.0.1:6379/0`` -> ``redis://:***@127.0.0.1:6379/0``) and the
value of ``password=``/``passwd=``/``pwd=`` query or ``key=value`` parameters.

``install()`` (done on import by ``newscrawl.operations.startup``, which every spider imports,
so before Scrapy logs "Overridden settings") wraps the logging record factory: each
record whose message or traceback holds a credential is emitted redacted, whatever
logger wrote it (Scrapy's settings dump, the seen-store, redis errors, ...).
``StatsFile`` writes redacted JSON; ``newscrawl.operations.report`` can call ``redact`` likewise.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

MASK = "***"
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s'\"]*):(?P<secret>[^@\s'\"/]+)@")
_PARAM = re.compile(r"(?P<head>\b(?:password|passwd|pwd)=)(?P<secret>[^&\s'\",;]+)", re.I)

_installed = False


def redact(text: str) -> str:
    """``text`` with URL passwords and ``password=`` values replaced by ``***``."""
    if "@" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@" if m["secret"] != MASK else m[0], text)
    return _PARAM.sub(lambda m: m["head"] + MASK, text)


def redact_value(value: Any) -> Any:
    """``redact`` applied to every string inside dicts, lists and tuples."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


def install() -> None:
    """Redact every log record from now on (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's to report
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if (clean_tb := redact(text)) != text:
                record.exc_text = clean_tb
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
