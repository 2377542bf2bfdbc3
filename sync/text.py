"""Text folding for forgiving search: "lukasz wojc" finds "Łukasz Wójcik".

Shared by the kiosk's staff search and the admin's help desk, so both match alike.
"""

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
