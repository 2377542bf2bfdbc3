"""Text folding for matching and search: lower case, no diacritics, single spaces."""

from __future__ import annotations

from sync.text import fold  # noqa: F401 (re-exported: one folding for all search)


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
