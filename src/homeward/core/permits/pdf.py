"""Printable A5 permit: Chinese text in an embedded CJK font, the fields, who signed, and a QR code.

The font is a subset of Noto Sans CJK SC shipped in ``fonts/`` (OFL, see fonts/NOTICE.md); fpdf2
embeds the glyphs a document uses, so the PDF renders on a machine with no CJK font at all. The QR
code is drawn as vector squares from segno's module matrix (ECC level M or better, 4-module quiet
zone), so it stays sharp at any print resolution. Characters the font lacks print as ``〓``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, TextMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from homeward.core.errors import DomainError
from homeward.core.permits.model import Permit, PermitKind, PreventionPermit, RoadPass, Ticket
from homeward.core.permits.token import SignedPermit, decode_token, verify_link

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_PATH = FONT_DIR / "NotoSansCJKsc-Regular-permit.otf"
FONT_FAMILY = "NotoSansSC"
CHINA_TIME = timezone(timedelta(hours=8), "CST")  # Beijing time, no daylight saving since 1991
MISSING_GLYPH = "〓"

PAGE_W, PAGE_H, MARGIN = 148.0, 210.0, 10.0
QR_SIZE = 52.0  # mm, quiet zone included

TITLES = {
    PermitKind.ROAD_PASS: ("农民工返岗包车通行证", "Chartered return trip — road pass"),
    PermitKind.PREVENTION: ("返岗专车疫情防控许可证", "Return trip — epidemic-prevention permit"),
}


@cache
def _font_coverage() -> frozenset[int]:
    font = TTFont(str(FONT_PATH), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def printable(text: str) -> str:
    """``text`` with every character the shipped font cannot draw replaced by 〓."""
    coverage = _font_coverage()
    return "".join(ch if ord(ch) in coverage or ch in "\n" else MISSING_GLYPH for ch in text)


def _time(value: datetime) -> str:
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def _rows(permit: Permit) -> list[tuple[str, str]]:
    window = f"{_time(permit.valid_from)} 至 {_time(permit.valid_to)} (北京时间)"
    if isinstance(permit, RoadPass):
        return [
            ("编号 No.", permit.permit_id),
            ("车牌号 Plate", permit.plate),
            ("承运单位 Carrier", permit.carrier),
            ("起点 Origin", permit.origin),
            ("终点 Destination", permit.destination),
            ("行驶路线 Route", " → ".join(permit.route)),
            ("途经省份 Provinces", "、".join(permit.provinces)),
            ("入口收费站 Entry toll", permit.entry_station),
            ("出口收费站 Exit toll", permit.exit_station),
            ("乘客人数 Passengers", f"{permit.passengers} 人"),
            ("有效时间 Valid", window),
            ("行程 Trip", permit.trip_id),
            ("组织单位 Organiser", permit.organiser),
        ]
    assert isinstance(permit, PreventionPermit)
    rows = [
        ("编号 No.", permit.permit_id),
        ("行程 Trip", permit.trip_id),
        ("车辆 Vehicles", "、".join(permit.vehicles)),
        ("乘客人数 Passengers", f"{permit.passengers} 人"),
        ("随车医护 Escort", "、".join(permit.medical_escort)),
        ("防疫物资 Kit", "、".join(f"{k.name} ×{k.quantity}" for k in permit.kit) or "—"),
        ("健康检查 Checks", "；".join(permit.health_checks)),
        ("有效时间 Valid", window),
        ("组织单位 Organiser", permit.organiser),
    ]
    if permit.notes:
        rows.append(("备注 Notes", "；".join(permit.notes)))
    return rows


def _draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    qr = segno.make_qr(text, error="m", boost_error=True)
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    module = size / len(matrix)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                # a hair of overlap so adjacent runs leave no white seams in rasterisers
                pdf.rect(
                    x + start * module, y + r * module, (c - start) * module + 0.01, module + 0.01, style="F"
                )
            else:
                c += 1


# Tried in turn until the fields, the signers and the QR code fit one page (the body is capped at
# MAX_BODY_BYTES, so a long route or many vehicles only shrink the text, never push the QR code
# onto a second page).
SCALES = (1.0, 0.92, 0.84, 0.76, 0.68, 0.6, 0.52)


def render_permit_pdf(permit: Permit, token: str, verify_url: str = "") -> bytes:
    """An A5 portrait PDF of ``permit`` on one page, with the QR code of ``token`` (which must carry
    this permit). With ``verify_url`` (the public verification page) the QR code holds the link
    ``verify_url?t=<token>``, which any phone camera opens; without, the bare token."""
    if isinstance(permit, Ticket):
        raise DomainError(
            "车票在务工人员页面显示，不打印为许可证 (a ticket is shown on the worker's page, not printed)",
            "not_a_permit",
        )
    signed = decode_token(token)
    if signed.permit != permit:
        raise DomainError("the token carries a different permit", "token_mismatch")
    qr_text = verify_link(verify_url, token) if verify_url else token
    for scale in SCALES:
        pdf = _render(signed, qr_text, verify_url, scale)
        if pdf is not None:
            return bytes(pdf.output())
    raise DomainError("the permit's fields do not fit one A5 page", "permit_too_long")


def _render(signed: SignedPermit, qr_text: str, verify_url: str, scale: float) -> FPDF | None:
    """The page at ``scale`` (text sizes and spacing), or None when it does not fit one page."""
    permit = signed.permit
    assert not isinstance(permit, Ticket)  # refused by render_permit_pdf
    title, subtitle = TITLES[permit.kind]

    pdf = FPDF(orientation="P", unit="mm", format=(PAGE_W, PAGE_H))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.set_title(f"{title} {permit.permit_id}")
    pdf.set_author(permit.organiser)
    pdf.set_creator("Homeward 返岗通")
    pdf.set_producer("Homeward 返岗通")
    issued = signed.issued_at or max((s.signed_at for s in signed.signatures), default=permit.valid_from)
    pdf.set_creation_date(issued)
    pdf.add_font(FONT_FAMILY, "", str(FONT_PATH))
    pdf.add_page()

    pdf.set_font(FONT_FAMILY, size=17 * min(1.0, scale + 0.1))
    # a touch of stroke makes a bold title from the regular face; local_context restores it (q/Q)
    with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.25):
        pdf.cell(0, 10 * scale, printable(title), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, size=8 * scale)
    pdf.set_text_color(80, 80, 80)
    pdf.cell(0, 5 * scale, subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2 * scale)

    plain = FontFace(emphasis="", fill_color=(235, 240, 248))
    pdf.set_font(FONT_FAMILY, size=9 * scale)
    with pdf.table(
        col_widths=(36, 92),
        first_row_as_headings=False,
        wrapmode=WrapMode.CHAR,
        text_align=("LEFT", "LEFT"),
        line_height=5 * scale,
        padding=(1 * scale, 1.5),
        borders_layout=TableBordersLayout.ALL,
    ) as table:
        for label, value in _rows(permit):
            row = table.row()
            row.cell(printable(label), style=plain)
            row.cell(printable(value))
    pdf.ln(3 * scale)

    pdf.set_font(FONT_FAMILY, size=8 * scale)
    heading = FontFace(emphasis="", fill_color=(235, 240, 248))
    with pdf.table(
        col_widths=(52, 36, 40),
        wrapmode=WrapMode.CHAR,
        text_align="LEFT",
        line_height=4.5 * scale,
        padding=(0.8 * scale, 1.5),
        headings_style=heading,
    ) as table:
        head = table.row()
        for text in ("会签部门 Signed by", "密钥 Key id", "签署时间 Signed at (北京时间)"):
            head.cell(printable(text))
        for sig in signed.signatures:
            row = table.row()
            row.cell(printable(sig.department.label))
            row.cell(sig.kid)
            row.cell(_time(sig.signed_at))
        for dept in signed.missing:
            row = table.row()
            row.cell(printable(dept.label))
            row.cell("—")
            row.cell(printable("待签 pending"))

    qr_top = PAGE_H - MARGIN - QR_SIZE
    if pdf.page_no() != 1 or pdf.get_y() + 2 > qr_top:
        return None
    qr_x = PAGE_W - MARGIN - QR_SIZE
    _draw_qr(pdf, qr_text, qr_x, qr_top, QR_SIZE)

    pdf.set_font(FONT_FAMILY, size=8)
    pdf.set_xy(MARGIN, qr_top + 4)
    status = "已签发 Issued" if signed.is_issued else "未完成会签 NOT ISSUED — signatures missing"
    lines = [status, ""]
    if verify_url:
        lines += [
            "用手机相机扫描二维码，",
            "打开核验页面查看本证是否有效。",
            "Scan with a phone camera to open",
            "the verification page.",
            "",
        ]
    else:
        lines += [
            "扫描二维码离线核验：",
            "Scan the QR code to verify offline",
            "(homeward permit verify).",
            "",
        ]
    if permit.kind is PermitKind.PREVENTION:
        lines += ["本证一趟一证，随车携带，", "不得涂改、转借。", "One trip, one permit; keep on board."]
    else:
        lines += ["本证一车一证，随车携带，", "不得涂改、转借。", "One vehicle, one permit; keep on board."]
    for line in lines:
        pdf.set_x(MARGIN)
        pdf.cell(PAGE_W - 2 * MARGIN - QR_SIZE - 2, 4.2, printable(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf
