"""Fonts for the admin's PDF documents, made small once per process.

fpdf2 parses the whole TrueType font for every document (DejaVu Sans: ~6 000 glyphs,
0.15 s a face), which is most of a one-page certificate's cost. The glyphs a Polish
congress's documents need (Latin with every Polish letter, Greek, Cyrillic for Ukrainian
and Belarusian names, punctuation, currency, arrows) are cut out of it once with
fontTools, kept in a cache file, and used whenever a document's text is all inside them;
a text with anything else (a Georgian name, an emoji) gets the full font, slower and
complete.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from printers.fonts import find_fonts

log = logging.getLogger(__name__)

RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x52F),
          (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x21FF),
          (0x2212, 0x2212), (0x25A0, 0x25CF), (0x2713, 0x2714))
#: characters that never need a glyph (line breaks, tabs)
IGNORED = frozenset("\n\r\t")


def _subset(source: Path, target: Path, unicodes: list[int]) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]  # kerning and ligatures stay as in the full font
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge timestamps
    font = TTFont(str(source))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(str(partial))
    os.replace(partial, target)  # whole or not at all, whichever process writes it


@cache
def small_fonts() -> tuple[Path, Path, frozenset[int]] | None:
    """(regular, bold, the code points they cover), or None when they cannot be made
    (then documents use the full fonts)."""
    regular, bold = find_fonts()
    unicodes = [c for low, high in RANGES for c in range(low, high + 1)]
    try:
        from fontTools.ttLib import TTFont

        covered = frozenset(set(unicodes) & set(TTFont(str(regular)).getBestCmap()))
        folder = Path(tempfile.gettempdir()) / "bramka-fonts"
        folder.mkdir(exist_ok=True)
        out = []
        for source in (regular, bold):
            stat = source.stat()
            key = hashlib.sha256(f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{RANGES}"
                                 .encode()).hexdigest()[:16]
            target = folder / f"{source.stem}-{key}.ttf"
            if not target.is_file():
                _subset(source, target, sorted(covered))
            out.append(target)
    except Exception:  # a cache dir that cannot be written, a font fontTools cannot cut
        log.warning("cannot make the small document fonts; using the full ones",
                    exc_info=True)
        return None
    return out[0], out[1], covered


def fonts_for(texts: Iterable[str]) -> tuple[Path, Path]:
    """The (regular, bold) font files for a document holding ``texts``."""
    small = small_fonts()
    if small is not None:
        regular, bold, covered = small
        if all(ord(ch) in covered for text in texts for ch in text if ch not in IGNORED):
            return regular, bold
    return find_fonts()
