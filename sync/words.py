"""Words in Polish and English: one small immutable pair both sides and the printers use.

:class:`Bilingual` is the pair; :class:`BilingualMixin` gives the same reading to the
protocol's pydantic models that carry a pair (``LocalizedText``, ``LocalizedMessage``),
which stay as they are on the wire; :class:`BilingualError` is an exception that says why
in both languages. :func:`pick` is the core of every ``tr(pl, en)``: the admin's picks
by the request's language, the kiosk's staff pages by the kiosk's.

(``sync/text.py`` is search folding, a different concern: it turns text into keys.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Language = Literal["pl", "en"]
LANGUAGES: tuple[Language, ...] = ("pl", "en")


def pick(lang: str, pl: str, en: str) -> str:
    """Polish first: English only when asked for."""
    return en if lang == "en" else pl


class _Pair(Protocol):
    @property
    def pl(self) -> str: ...
    @property
    def en(self) -> str: ...


class BilingualMixin:
    """Reading a pair that has ``pl`` and ``en``."""

    __slots__ = ()

    def in_(self: _Pair, lang: str) -> str:
        return pick(lang, self.pl, self.en)

    def to_dict(self: _Pair) -> dict[str, str]:
        """``{"pl": …, "en": …}``: the pair's JSON shape everywhere."""
        return {"pl": self.pl, "en": self.en}


@dataclass(frozen=True, slots=True)
class Bilingual(BilingualMixin):
    pl: str
    en: str

    @classmethod
    def of(cls, pair: _Pair) -> Bilingual:
        return pair if isinstance(pair, Bilingual) else cls(pair.pl, pair.en)


class BilingualError(Exception):
    """An error whose ``str()`` is English and whose :attr:`words` are both languages."""

    def __init__(self, pl: str, en: str) -> None:
        super().__init__(en)
        self.words = Bilingual(pl, en)

    @property
    def pl(self) -> str:
        return self.words.pl

    @property
    def en(self) -> str:
        return self.words.en

    def message(self, lang: str) -> str:
        return self.words.in_(lang)
