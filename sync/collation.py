"""Polish alphabetical order, for every list of people (admin lists, PDFs, kiosk search).

Python's ``sorted`` and SQLite's default collation order by code point, which puts
"Łabuda" after "Zalewska" and "Ćwik" after "Czech". Polish treats ą ć ę ł ń ó ś ź ż as
letters of their own, each right after its base letter: a ą b c ć d e ę … z ź ż. Other
accented letters (é, ü, ö in foreign names) sort just after their base letter too, case
is ignored, spaces and hyphens come before any letter ("Nowak" before "Nowak-Kowalska"),
digits before letters, and other scripts after Latin. ICU would do this too; this small
key function covers what a Polish congress's lists hold without a compiled dependency.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

ALPHABET = "aąbcćdeęfghijklłmnńoópqrsśtuvwxyzźż"
_RANK = {ch: 100 + 2 * i for i, ch in enumerate(ALPHABET)}
_SEPARATORS = frozenset(" -–—'’.,_/")


@lru_cache(maxsize=65536)
def sort_key(text: str) -> tuple[int, ...]:
    """A key ordering ``text`` as a Polish dictionary does."""
    out = []
    for ch in text.casefold():
        rank = _RANK.get(ch)
        if rank is None:
            if ch in _SEPARATORS or ch.isspace():
                rank = 1
            elif ch.isdigit():
                rank = 10 + (unicodedata.digit(ch, 0))
            else:
                base = unicodedata.normalize("NFD", ch)[0]
                base_rank = _RANK.get(base)
                rank = base_rank + 1 if base_rank is not None else 1000 + ord(ch)
        out.append(rank)
    return tuple(out)


def person_key(last_name: str, first_name: str, tie: int = 0) -> tuple[tuple[int, ...], ...]:
    """Last name, then first name, then ``tie`` (e.g. the person's id) to make it total."""
    return (sort_key(last_name), sort_key(first_name), (tie,))


def by_name(rows: list[dict[str, Any]], last: str = "last_name", first: str = "first_name",
            tie: str = "id") -> list[dict[str, Any]]:
    """Rows (mappings) in Polish order of their names, ``tie`` last."""
    return sorted(rows, key=lambda r: person_key(r[last] or "", r[first] or "",
                                                 int(r.get(tie) or 0)))
