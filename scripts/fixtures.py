"""Rewrite the expected JSON of golden fixtures from the current parsers.

    python scripts/fixtures.py --update [--source arab_news]

Review the diff before committing: the expected files are the specification.
Without --update it only reports which fixtures differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newscrawl.items import Article
from tests.test_parsers import PAGES, parse


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--update", action="store_true", help="write the new expected JSON")
    ap.add_argument("--source", help="only this source's fixtures")
    opts = ap.parse_args()
    changed = 0
    for page in PAGES:
        if opts.source and page.source != opts.source:
            continue
        assert page.expected is not None
        got = Article(**parse(page)).model_dump(mode="json")
        got.pop("crawled_at")
        old = json.loads(page.expected.read_text("utf-8"))
        if old != got:
            changed += 1
            print(f"{'updated' if opts.update else 'differs'}: {page.expected}")
            if opts.update:
                page.expected.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"{changed} fixture(s) {'updated' if opts.update else 'differ'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
