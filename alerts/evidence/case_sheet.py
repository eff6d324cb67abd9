"""The printable case sheet (电子监察督办单) as PDF: snapshot, hall, window, who was on duty, times,
the review opinion, and a verification code that `python -m alerts.evidence verify FOLDER --code`
accepts for exactly this evidence. Chinese text uses reportlab's built-in CJK font (STSong-Light,
a CID font every PDF reader provides), so servers need no font files."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
MAX_TEXT = 1500  # characters of one value on the sheet
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=20, leading=26, alignment=1)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=16)
CODE = ParagraphStyle("code", fontName="Courier-Bold", fontSize=14, leading=18)


@dataclass(frozen=True)
class CaseSheet:
    number: str
    rows: list[tuple[str, str]]  # (label, value), in order
    opinion: str
    snapshot: bytes | None
    code: str | None
    issued_by: str
    issued_at: datetime


def text(value: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: reportlab reads a Paragraph as markup (``<img src=...>`` would
    embed any file the service can read), so every text is escaped here, by construction, and
    control and direction-override characters are dropped."""
    clean = _CONTROL.sub("", value)
    if len(clean) > MAX_TEXT:  # bounded: a page holds it (a longer note is in the audit trail, whole)
        clean = clean[:MAX_TEXT] + "…"
    return Paragraph(escape(clean).replace("\n", "<br/>"), style)


def render(sheet: CaseSheet, compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="电子监察督办单",
        pageCompression=1 if compress else 0,
    )
    story = [
        text("政务服务电子监察督办单", TITLE),
        Spacer(1, 4 * mm),
        text(f"编号：{sheet.number}", BODY),
        Spacer(1, 3 * mm),
    ]
    table = Table(
        [[text(label, BODY), text(value or "—", BODY)] for label, value in sheet.rows],
        colWidths=[32 * mm, 142 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm)]
    image = _image(sheet.snapshot)
    if image is not None:
        story += [text("违规时刻快照：", BODY), image, Spacer(1, 4 * mm)]
    story += [text("复核意见：", BODY), text(sheet.opinion or "（尚未复核）", BODY), Spacer(1, 6 * mm)]
    if sheet.code:
        story += [
            text("证据校验码（python -m alerts.evidence verify 证据目录 --code 校验码）：", BODY),
            text(sheet.code, CODE),
        ]
    else:
        story += [text("本案无签名证据，无校验码。", BODY)]
    story += [
        Spacer(1, 8 * mm),
        text(f"签发：{sheet.issued_by}　　时间：{sheet.issued_at.strftime('%Y-%m-%d %H:%M:%S %z')}", BODY),
    ]
    doc.build(story)
    return buffer.getvalue()


def _image(jpeg: bytes | None) -> Image | None:
    """The snapshot scaled to the text width; None when there is none or it cannot be read."""
    if not jpeg:
        return None
    try:
        width, height = ImageReader(io.BytesIO(jpeg)).getSize()
    except Exception:  # noqa: BLE001 - a broken snapshot leaves the sheet without a picture
        return None
    scale = min(174 * mm / width, 95 * mm / height)
    return Image(io.BytesIO(jpeg), width * scale, height * scale)
