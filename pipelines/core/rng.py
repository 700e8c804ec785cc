"""Deterministic per-unit randomness.

Every random decision about a unit (a question, a video, a pair) comes from a generator derived
from ``(seed, unit_key)`` alone, never from one shared generator consumed in order. The result of
a unit therefore does not depend on which worker processes it, in which order, or on which
executor, and re-running one unit reproduces it exactly.

The generator is SplitMix64 (Steele, Lea & Flood 2014) seeded with a BLAKE2b digest of the seed
and key. It is a few lines of integer arithmetic, identical on every platform and Python version,
and about ten times cheaper to create than ``random.Random`` or a NumPy ``Generator`` — which
matters because a build creates one per question.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b
from typing import TypeVar

T = TypeVar("T")

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def derive_seed(seed: int, key: str) -> int:
    """A 64-bit seed that depends only on ``seed`` and the unit's stable ``key``."""
    return int.from_bytes(derive_seeds(seed, [key])[0], "little")


def derive_seeds(seed: int, keys: Sequence[str] | Sequence[bytes]) -> list[bytes]:
    """:func:`derive_seed` of many keys (str, or their UTF-8 bytes), as 8-byte little-endian
    digests (``numpy.frombuffer`` of their concatenation with dtype ``<u8`` gives the seeds); the
    common prefix is hashed once."""
    start = blake2b(f"{seed}\x1f".encode(), digest_size=8).copy  # bound once: ~2 keys a question
    digests = []
    append = digests.append
    for key in keys:
        hasher = start()
        hasher.update(key.encode() if isinstance(key, str) else key)
        append(hasher.digest())
    return digests


class UnitRng:
    """Small deterministic generator for one unit of work (SplitMix64)."""

    __slots__ = ("_state",)

    def __init__(self, seed: int, key: str) -> None:
        self._state = derive_seed(seed, key)

    def next_u64(self) -> int:
        self._state = (self._state + _GOLDEN) & _MASK64
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """Uniform integer in ``[0, n)`` (Lemire-style multiply; bias < 2**-40 for n < 2**24)."""
        if n <= 0:
            raise ValueError("below() needs n >= 1")
        return (self.next_u64() * n) >> 64

    def random(self) -> float:
        """Uniform float in ``[0, 1)`` with 53 bits of precision."""
        return (self.next_u64() >> 11) * (1.0 / 9007199254740992.0)

    def choice(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def shuffle(self, items: list[T]) -> None:
        """Fisher-Yates shuffle in place."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` distinct items in random order (partial Fisher-Yates on a copy)."""
        pool = list(items)
        if k > len(pool):
            raise ValueError(f"cannot sample {k} from {len(pool)} items")
        for i in range(k):
            j = i + self.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    def weighted_index(self, weights: Sequence[float]) -> int:
        """Index drawn with probability proportional to ``weights`` (all >= 0, sum > 0)."""
        target = self.random() * sum(weights)
        acc = 0.0
        for i, w in enumerate(weights):
            acc += w
            if target < acc:
                return i
        return len(weights) - 1
