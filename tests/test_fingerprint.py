"""The SimHash used for Daily8 linking equals the bit-by-bit definition."""

from __future__ import annotations

import random
from hashlib import blake2b

from newscrawl.pipelines import linking


def reference(title: str, body: str) -> int | None:
    tokens = linking.words(f"{title} {body}")
    if len(tokens) < linking.MIN_WORDS:
        return None
    weights = [0] * 64
    for i in range(len(tokens) - 2):
        value = int.from_bytes(blake2b(" ".join(tokens[i : i + 3]).encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def test_lane_counting_matches_the_definition() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(200)] + ["كلمة", "سلام", "عالم", "'quoted'"]
    for _ in range(150):
        body = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 400)))
        assert linking.fingerprint.__wrapped__("title", body) == reference("title", body)


def test_near_duplicates_stay_close() -> None:
    body = " ".join(f"word{i % 97} other{i % 13}" for i in range(300))
    a = linking.fingerprint("t", body)
    b = linking.fingerprint("t", body.replace("word5 ", "word6 ", 1))
    assert a is not None and b is not None and linking.distance(a, b) <= 3
