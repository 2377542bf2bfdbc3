"""Wrapping names and institutions the way Polish badges need it, for any renderer.

Breaks at spaces and, only when a size would not fit otherwise, after hyphens
(``Cecuga-`` / ``Nowak``). A one-letter word ("w", "z", "i", "o", "u", "a") is glued
to the next one with a no-break space so it never dangles at a line's end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

Measure = Callable[[str], float]
ELLIPSIS = "…"
_SPACES = re.compile(r"[ \t\r\n]+")


def tokens(text: str, hyphen_breaks: bool = True) -> list[str]:
    """Wrap units of ``text``: words, optionally split after each hyphen."""
    units: list[str] = []
    for word in _SPACES.split(text.strip()):
        parts = word.split("-") if hyphen_breaks else [word]
        for i, part in enumerate(parts):
            units.append(part + ("-" if i < len(parts) - 1 else ""))
    glued: list[str] = []
    for unit in (u for u in units if u):
        if glued and len(glued[-1]) == 1 and glued[-1].isalpha():
            glued[-1] = f"{glued[-1]}\u00a0{unit}"
        else:
            glued.append(unit)
    return glued


def join(units: Iterable[str]) -> str:
    out = ""
    for unit in units:
        if out and not out.endswith("-"):
            out += " "
        out += unit
    return out


def wrap(text: str, measure: Measure, width: float, hyphen_breaks: bool = True) -> list[str]:
    """Greedy wrap; a unit wider than ``width`` stays whole (see :func:`hard_wrap`)."""
    lines: list[list[str]] = []
    for unit in tokens(text, hyphen_breaks):
        if lines and measure(join([*lines[-1], unit])) <= width:
            lines[-1].append(unit)
        else:
            lines.append([unit])
    return [join(line) for line in lines]


def fits(lines: list[str], measure: Measure, width: float, max_lines: int) -> bool:
    return len(lines) <= max_lines and all(measure(line) <= width for line in lines)


def hard_wrap(text: str, measure: Measure, width: float, max_lines: int) -> list[str]:
    """Last resort: cut words wider than ``width`` and ellipsize past ``max_lines``."""
    lines: list[str] = []
    for line in wrap(text, measure, width):
        while measure(line) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and measure(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and measure(last + ELLIPSIS) > width:
            last = last[:-1].rstrip()
        lines = [*lines[: max_lines - 1], last + ELLIPSIS]
    return lines
