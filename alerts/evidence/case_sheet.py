"""The printable case sheet (电子监察督办单) as PDF: 责任单位 and 责任人, the facts of the violation
(type, reason, times, window and camera by name), the snapshot, then on one page the decisions —
复核意见, 整改要求, 整改时限, 整改反馈, 办结意见 — with the verification code that
`python -m alerts.evidence verify FOLDER --code` accepts for exactly this evidence and the
signature block. Chinese text uses reportlab's built-in CJK font (STSong-Light,
a CID font every PDF reader provides), so servers need no font files."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
MAX_TEXT = 1500  # characters of one value on the sheet
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=20, leading=26, alignment=1)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=16)
CODE = ParagraphStyle("code", fontName="Courier-Bold", fontSize=14, leading=18)


Rows = list[tuple[str, str]]  # (label, value), in order


@dataclass(frozen=True)
class CaseSheet:
    number: str
    rows: Rows  # 责任单位, 责任人 and the facts
    opinion: str  # 复核意见
    snapshot: bytes | None
    code: str | None
    issued_by: str
    issued_at: datetime
    decisions: Rows = field(default_factory=list)  # 整改要求, 整改时限, 整改反馈, 办结意见


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
    story: list[Flowable] = [
        text("政务服务电子监察督办单", TITLE),
        Spacer(1, 4 * mm),
        text(f"编号：{sheet.number}", BODY),
        Spacer(1, 3 * mm),
        _table(sheet.rows),
        Spacer(1, 4 * mm),
    ]
    image = _image(sheet.snapshot)
    if image is not None:
        story += [text("违规时刻快照：", BODY), image, Spacer(1, 4 * mm)]
    # The decisions, the code and the signature stay on one page: a signature alone on the next
    # page signs nothing.
    closing: list[Flowable] = [
        _table([("复核意见", sheet.opinion or "（尚未复核）"), *sheet.decisions]),
        Spacer(1, 5 * mm),
    ]
    if sheet.code:
        closing += [
            text("证据校验码（python -m alerts.evidence verify 证据目录 --code 校验码）：", BODY),
            text(sheet.code, CODE),
        ]
    else:
        closing += [text("本案无签名证据，无校验码。", BODY)]
    closing += [
        Spacer(1, 8 * mm),
        text(f"签发：{sheet.issued_by}　　时间：{sheet.issued_at.strftime('%Y-%m-%d %H:%M:%S %z')}", BODY),
        Spacer(1, 6 * mm),
        text("签发单位（盖章）：　　　　　　　　　　　责任单位签收：　　　　　　　　　　", BODY),
    ]
    story.append(KeepTogether(closing))
    doc.build(story)
    return buffer.getvalue()


def _table(rows: Rows) -> Table:
    table = Table(
        [[text(label, BODY), text(value or "—", BODY)] for label, value in rows], colWidths=[32 * mm, 142 * mm]
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
    return table


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
