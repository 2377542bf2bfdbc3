"""Typo-tolerant word matching, shared by the admin's help-desk search and the kiosk's
self-service lookup, so that both forgive the same typos."""

from __future__ import annotations


def trigrams(word: str) -> set[str]:
    padded = f"${word}$"
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def osa_distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent swaps (optimal string alignment); stops above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def allowed_typos(word: str) -> int:
    """How many typos a word of this length may have: none below 4 letters (too many
    short words are one typo apart), one up to 7, two from 8."""
    if len(word) >= 8:
        return 2
    if len(word) >= 4:
        return 1
    return 0
