"""Text folding for matching and search: lower case, no diacritics, single spaces.

``clean`` drops what cannot be seen: format characters (Unicode category Cf: zero-width
space U+200B, byte-order mark U+FEFF, direction marks U+200E/U+200F, soft hyphen...) and
control characters other than white space. Forms and spreadsheets leave them behind when
people paste names from e-mails or web pages; "Zofia\u200b" must be "Zofia".
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache

from sync.text import fold  # noqa: F401 (re-exported: one folding for all search)


@cache
def _invisible() -> dict[int, None]:
    """Every Cf character, and every Cc one that is not white space, mapped to nothing."""
    out: dict[int, None] = {}
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category == "Cf" or (category == "Cc" and not chr(code).isspace()):
            out[code] = None
    return out


def clean(text: str) -> str:
    """``text`` without invisible characters; white space is left for :func:`tidy`."""
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return text.translate(_invisible())


def words(text: str) -> list[str]:
    return fold(clean(text)).split()


def tidy(text: str) -> str:
    """Drop invisible characters and collapse white space; keep the text as written otherwise."""
    return " ".join(clean(text).split())


def tidy_name(text: str) -> str:
    """Title-case a name typed all in lower or upper case ('JAN KOWALSKI-NOWAK')."""
    text = tidy(text)
    letters = [c for c in text if c.isalpha()]
    if letters and (all(c.islower() for c in letters) or all(c.isupper() for c in letters)):
        return "-".join(" ".join(w.capitalize() for w in part.split(" "))
                        for part in text.split("-"))
    return text
