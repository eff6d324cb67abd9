"""The case sheet (督办单) as PDF, read back: every text is text, never markup."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

HOSTILE_TEXTS = [
    '<img src="{jpeg}" width="400" height="300"/>',  # would embed a file the service can read
    "<b>unclosed and <i>nested",  # made the case sheet answer 500
    '=HYPERLINK("http://example.invalid","点击")',
    "\u202eRTL override\u202c and \x00\x07 control",
    "长" * 10_000,
]


@pytest.mark.parametrize("hostile", HOSTILE_TEXTS)
def test_case_sheet_text_is_text_never_markup(hostile, tmp_path):
    """Review notes, names and every other value reach reportlab as text: an officer of one county
    wrote <img src=".../live/cam2.jpg"> in a note and the 督办单 embedded another county's camera
    frame, byte for byte; an unclosed <b> answered 500 (issue 24). Now the sheet renders, embeds
    no picture it was not given, and its text is the note's, escaped."""
    import io

    from pypdf import PdfReader

    from alerts.evidence.case_sheet import CaseSheet, render

    jpeg = tmp_path / "other-county.jpg"
    cv2.imwrite(str(jpeg), np.full((60, 80, 3), 128, np.uint8))
    note = hostile.format(jpeg=jpeg)
    pdf = render(CaseSheet("DB-1", [("大厅", note)], f"认定违规：{note}", None, None, note, datetime.now(UTC)))
    reader = PdfReader(io.BytesIO(pdf))
    images = [image for page in reader.pages for image in page.images]
    assert images == []
    extracted = " ".join("".join(page.extract_text() for page in reader.pages).replace("\n", "").split())
    visible = " ".join("".join(ch for ch in note if ch.isprintable() and ch not in "\u202e\u202c").split())
    assert visible[:40] in extracted
    assert "\u202e" not in extracted and "\x00" not in extracted
