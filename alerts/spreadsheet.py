"""Tables as CSV and XLSX downloads, with text that stays text: a cell a person typed (a roster
name, a note) must never become a live formula in the spreadsheet that opens it. CSV cells that
start like a formula (``= + - @``, TAB, CR) are prefixed with an apostrophe, as OWASP advises;
XLSX cells holding text are written as strings (never formulas), without the control characters
the format cannot hold."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Row = Sequence[object]


def csv_cell(value: object) -> object:
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


def xlsx_bytes(sheets: Mapping[str, tuple[Row, Iterable[Row]]]) -> bytes:
    """One worksheet per entry, bold frozen headers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, (headers, rows) in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate([headers, *rows], start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, str):
                    cell.value = _XLSX_ILLEGAL.sub("", value)
                    cell.data_type = "s"  # text, even when it starts with '='
                else:
                    cell.value = value
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
