"""Attendance lists as CSV and XLSX, safe to open in a spreadsheet (no formula injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sync.timekeeping import ZoneLike, zone_of

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


def _cell(value: object, zone: ZoneLike = None) -> object:
    """Numbers, dates and times stay what they are (a spreadsheet can sum and sort them);
    datetimes are shown in the event's time without a zone (Excel has none); text stays
    text (written as a string cell: see to_xlsx)."""
    if isinstance(value, bool) or value is None:
        return neutralize(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(zone_of(zone)).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return "" if value is None else str(value)


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
            sheet: str = "Lista", zone: ZoneLike = None) -> bytes:
    """``zone``: the event (or its time zone) whose wall time the date-time cells show."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

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
        ws.append([_cell(v, zone) for v in row])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                # Text, said so in the file: no formula runs, and no quote shows in the
                # name (CSV has no cell types: there the quote stays).
                cell.data_type = "s"
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str) and len(cell.value) > 30:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEFGHIJ", (5, 22, 18, 40, 24, 16, 16, 10, 10, 30),
                          strict=False):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
