"""Text folding for forgiving search: "lukasz wojc" finds "Łukasz Wójcik"."""

from __future__ import annotations

import unicodedata

# Letters that Unicode does not decompose into base + accent.
_EXTRA = str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "ø": "o", "ß": "ss", "æ": "ae"})


def fold(text: str) -> str:
    """Lower-case, strip diacritics (including Polish ł), squeeze white space."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
