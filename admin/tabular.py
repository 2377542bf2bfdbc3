"""Attendance lists as CSV and XLSX, safe to open in a spreadsheet (no formula injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralize(value: object) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote before it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """UTF-8 with BOM and semicolons: what Polish Excel opens correctly by double-click."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([neutralize(h) for h in headers])
    for row in rows:
        w.writerow([neutralize(v) for v in row])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
            sheet: str = "Lista") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append([neutralize(title)])
    ws["A1"].font = Font(bold=True)
    ws.append([neutralize(h) for h in headers])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralize(v) for v in row])
    for col, width in zip("ABCDEFGH", (5, 22, 18, 40, 24, 8, 8, 10), strict=False):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
