"""What the bench modules share: paths, the frozen clock, replay manifest lines, progress."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPTS = ROOT / "scripts"
FROZEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DATE_HEADER = "Fri, 20 Nov 2026 09:00:00 GMT"
SITE = "https://www.arabnews.com"


def replay_line(url: str, body: str, content_type: str = "text/html; charset=utf-8") -> str:
    """One ``manifest.jsonl`` line of a replay snapshot: ``url`` served from file ``body``."""
    headers = {"Content-Type": content_type, "Date": DATE_HEADER}
    return json.dumps({"url": url, "status": 200, "headers": headers, "body": body})


def article_pages() -> list[Any]:
    """The golden fixtures' article pages (``tests.conftest.article_pages``)."""
    if str(ROOT) not in sys.path:  # run as scripts/bench.py, only scripts/ is on the path
        sys.path.insert(0, str(ROOT))
    from tests.conftest import article_pages as pages

    return list(pages())


def load_average() -> float | None:
    """1-minute load average: other processes on the machine make absolute rates noisy."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def step(message: str) -> None:
    """A progress line on stderr (the table goes to stdout at the end)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
