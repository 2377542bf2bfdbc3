"""The admin's PDFs with the small cut of DejaVu (admin.pdf_fonts): every Polish letter,
Cyrillic names too, and the full font for anything outside it; the text reads back."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import pdf_text

from admin.pdf import certificate_pdf
from admin.pdf_fonts import fonts_for, small_fonts
from printers.fonts import find_fonts

POLISH = "Zażółć gęślą jaźń ŻÓŁĆ GĘŚLĄ JAŹŃ „cytat” – 5 €"
UKRAINIAN = "Олена Шевченко, Їжак Ґудзь"
GEORGIAN = "ნინო ბერიძე"


def _certificate(name: str) -> bytes:
    return certificate_pdf(heading="ZAŚWIADCZENIE", intro="Zaświadcza się udział", name=name,
                           institution="MOPS Kraków", event_name="w wydarzeniu: Kongres",
                           event_dates="15.06.2026 – 17.06.2026",
                           items_title="Obecność (1 h 30 min)",
                           items=["16.06.2026, 09:00–10:30 Sesja plenarna: 90 min obecności"],
                           place_date="17.06.2026", signature="Organizator")


def test_the_small_fonts_cover_polish_and_cyrillic_and_nothing_else_is_lost() -> None:
    small = small_fonts()
    assert small is not None
    regular, bold, covered = small
    assert regular.stat().st_size * 4 < find_fonts()[0].stat().st_size  # much smaller
    assert all(ord(c) in covered for c in POLISH + UKRAINIAN if c != " ")
    assert fonts_for([POLISH, UKRAINIAN]) == (regular, bold)
    assert fonts_for([POLISH, GEORGIAN]) == find_fonts()  # the whole font, not a gap


@pytest.mark.parametrize("name", ["Łucja Źdźbło-Gęśląjaźń", UKRAINIAN, GEORGIAN])
def test_a_certificate_reads_back_in_every_script(name: str, tmp_path: Path) -> None:
    text = pdf_text(_certificate(name), tmp_path)
    assert name in text and "ZAŚWIADCZENIE" in text and "MOPS Kraków" in text
