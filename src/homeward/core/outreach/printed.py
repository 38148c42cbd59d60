"""Printable letters: one A5 page per worker, the text and the link as a QR code, in the permits'
embedded CJK font (``core.permits.pdf``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from homeward.core.permits.pdf import FONT_FAMILY, FONT_PATH, printable

if TYPE_CHECKING:
    from homeward.core.outreach.channels import Outgoing

QR_MM = 45.0


def letters_pdf(letters: Sequence[Outgoing]) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A5")
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(auto=False)
    pdf.set_title("家书")
    pdf.set_creator("Homeward 返岗通")
    pdf.add_font(FONT_FAMILY, "", str(FONT_PATH))
    for x in letters:
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, size=16)
        pdf.cell(0, 10, printable("家书"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT_FAMILY, size=11)
        pdf.multi_cell(0, 6.5, printable(x.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        qr = segno.make(x.link, error="m", micro=False)
        matrix = list(qr.matrix_iter(scale=1, border=4))
        cell = QR_MM / len(matrix)
        left, top = (148 - QR_MM) / 2, 210 - 14 - QR_MM - 8
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    pdf.rect(left + c * cell, top + r * cell, cell, cell, style="F")
        pdf.set_xy(14, top + QR_MM + 1)
        pdf.set_font(FONT_FAMILY, size=8)
        pdf.cell(0, 5, printable("扫码回复返程打算"), align="C")
    return bytes(pdf.output())
