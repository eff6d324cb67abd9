"""Tables as CSV and XLSX downloads, with text that stays text: a cell a person typed (a roster
name, a note) must never become a live formula in the spreadsheet that opens it. CSV cells that
start like a formula (``= + - @``, TAB, CR) are prefixed with an apostrophe, as OWASP advises;
XLSX cells holding text are written as strings (never formulas), without the control characters
the format cannot hold.

A workbook's sheets open with a title row (what the table is: range and scope), bold frozen
headers with filters, columns as wide as their text, and shares (``Percent``) shown as
percentages; a CSV stays one header line and its rows (for machines), shares written "92.3%"."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Row = Sequence[object]
MIN_WIDTH, MAX_WIDTH = 6, 48


class Percent(float):
    """A share (0.923) that spreadsheets show as a percentage (92.3%)."""


def _display_width(value: object) -> int:
    """Roughly how many character cells ``value`` takes in a spreadsheet (CJK: two)."""
    if value is None:
        return 0
    text = f"{value:.1%}" if isinstance(value, Percent) else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def csv_cell(value: object) -> object:
    if isinstance(value, Percent):
        return f"{value:.1%}"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(headers: Row, rows: Iterable[Row]) -> bytes:
    """UTF-8 with a BOM, so that Excel reads the Chinese headers."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(v) for v in headers])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode()


def xlsx_bytes(sheets: Mapping[str, tuple[Row, Iterable[Row]]], title: str = "") -> bytes:
    """One worksheet per entry: ``title`` (when given) above bold frozen headers with filters."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for name, (headers, rows) in sheets.items():
        sheet = book.create_sheet(name)
        top = 2 if title else 1  # the headers' row
        if title:
            sheet.cell(row=1, column=1, value=_XLSX_ILLEGAL.sub("", f"{title} · {name}")).font = Font(
                bold=True, size=14
            )
            if len(headers) > 1:
                sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        widths = [_display_width(h) for h in headers]
        for r, row in enumerate([headers, *rows], start=top):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, str):
                    cell.value = _XLSX_ILLEGAL.sub("", value)
                    cell.data_type = "s"  # text, even when it starts with '='
                elif isinstance(value, Percent):
                    cell.value = float(value)
                    cell.number_format = "0.0%"
                else:
                    cell.value = value
                if c <= len(widths):
                    widths[c - 1] = max(widths[c - 1], _display_width(value))
        for cell in sheet[top]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        for c, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
        sheet.freeze_panes = sheet.cell(row=top + 1, column=1)
        if headers:
            sheet.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{max(top, sheet.max_row)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
