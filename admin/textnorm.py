"""Text folding for matching and search: lower case, no diacritics, single spaces."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into base + accent.
_EXTRA = str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ø": "o", "Ø": "o",
                        "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe"})
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """'Łukasz  Wójcik-Nowak' -> 'lukasz wojcik nowak'."""
    text = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", text).strip()


def words(text: str) -> list[str]:
    return fold(text).split()


def tidy(text: str) -> str:
    """Collapse whitespace; keep the text as written otherwise."""
    return " ".join(str(text).split())


def tidy_name(text: str) -> str:
    """Title-case a name typed all in lower or upper case ('JAN KOWALSKI-NOWAK')."""
    text = tidy(text)
    letters = [c for c in text if c.isalpha()]
    if letters and (all(c.islower() for c in letters) or all(c.isupper() for c in letters)):
        return "-".join(" ".join(w.capitalize() for w in part.split(" "))
                        for part in text.split("-"))
    return text
