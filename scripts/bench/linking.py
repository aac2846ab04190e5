"""6. Linking: the Daily8 original lookup (``find_original``) in the seen-store at scale.

SQLite stores of 1k/100k/1M originals, next to the linear scan the store's key index
replaced.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

LINK_SIZES = (1_000, 100_000, 1_000_000)


def bench_linking(tmp: Path, sizes: tuple[int, ...] = LINK_SIZES, queries: int = 2000) -> dict[str, Any]:
    """``store.find_original`` on SQLite stores of 1k/100k/1M originals (random SimHashes,
    bulk-loaded into the store's own tables), median ms per lookup; half the queries are
    near-duplicates (found), half strangers. Beside it, the linear scan the store's key
    index replaced (min distance over every fingerprint), timed on a few queries."""
    import random

    from newscrawl.pipelines import linking
    from newscrawl.storage.seen import SqliteSeenStore

    out: dict[str, Any] = {}
    for n in sizes:
        rnd = random.Random(n)
        prints = [rnd.getrandbits(64) for _ in range(n)]
        store = SqliteSeenStore(tmp / f"linking-{n}.sqlite3")
        with store.db:
            store.db.execute("BEGIN IMMEDIATE")
            store.db.executemany(
                "INSERT INTO original_prints (oid, id, simhash) VALUES (?, ?, ?)",
                (
                    (i + 1, f"arab_news:{i}", fp - (1 << 64) if fp >= 1 << 63 else fp)
                    for i, fp in enumerate(prints)
                ),
            )
            store.db.executemany(
                "INSERT OR IGNORE INTO original_keys VALUES (?, ?)",
                ((key, i + 1) for i, fp in enumerate(prints) for key in linking.keys(fp)),
            )
        asks = [prints[rnd.randrange(n)] ^ (1 << rnd.randrange(64)) if i % 2 else rnd.getrandbits(64)
                for i in range(queries)]  # fmt: skip
        times, found = [], 0
        for q in asks:
            started = time.perf_counter()
            found += store.find_original(q) is not None
            times.append(time.perf_counter() - started)
        store.close()
        scans = []
        for q in asks[:5]:
            started = time.perf_counter()
            min((linking.distance(q, fp), i) for i, fp in enumerate(prints))
            scans.append(time.perf_counter() - started)
        out[str(n)] = {
            "ms_store": statistics.median(times) * 1000,
            "ms_linear_scan": statistics.median(scans) * 1000,
            "found": found,
            "queries": queries,
        }
        (tmp / f"linking-{n}.sqlite3").unlink(missing_ok=True)
    return out
