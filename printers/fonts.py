"""Finding a TrueType font with Polish glyphs on a fresh machine.

DejaVu Sans ships with Debian and Raspberry Pi OS (package ``fonts-dejavu-core``)
and covers every Polish letter. ``BadgeSettings.font_path`` overrides it; a bold
face is looked up beside the regular one (``X.ttf`` -> ``X-Bold.ttf``).
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

SEARCH_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu, Raspberry Pi OS
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"


class FontNotFound(Exception):
    """No usable TrueType font: install fonts-dejavu-core or set [badge] font_path."""

    code = "font_not_found"


def _search(name: str) -> Path | None:
    for folder in SEARCH_DIRS:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def find_fonts(font_path: Path | None = None) -> tuple[Path, Path]:
    """Return ``(regular, bold)`` font files. Bold falls back to regular when missing."""
    if font_path is not None:
        regular = Path(font_path)
        if not regular.is_file():
            raise FontNotFound(f"[badge] font_path: no such font file: {regular}")
        bold_sibling = regular.with_name(f"{regular.stem}-Bold{regular.suffix}")
        return regular, bold_sibling if bold_sibling.is_file() else regular
    found = _search(REGULAR)
    if found is None:
        raise FontNotFound(
            "DejaVu Sans not found: install fonts-dejavu-core "
            "or set [badge] font_path to a TTF with Polish letters"
        )
    bold = _search(BOLD)
    if bold is None:
        log.warning("DejaVu Sans Bold not found, using the regular face for bold text")
    return found, bold or found


def family_fonts(family: str) -> tuple[Path, Path] | None:
    """``(regular, bold)`` of a template's font family (``sync.badge_template.FONTS``), or
    None when this machine lacks it (DejaVu Sans Condensed needs fonts-dejavu-extra)."""
    from sync.badge_template import FONTS

    names = FONTS.get(family)
    if names is None:
        return None
    regular, bold = _search(names[0]), _search(names[1])
    if regular is None:
        log.warning("font %s not found on this machine: using DejaVu Sans", family)
        return None
    return regular, bold or regular
