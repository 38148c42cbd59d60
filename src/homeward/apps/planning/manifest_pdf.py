"""乘客信息登记表 as an A4 landscape PDF, in the CJK font shipped with ``core.permits`` (fpdf2 embeds
only the glyphs used)."""

from __future__ import annotations

from datetime import timedelta, timezone

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from homeward.apps.planning.models import PlanVehicle
from homeward.core.permits.pdf import FONT_FAMILY, FONT_PATH, printable

CST = timezone(timedelta(hours=8))
# The seat column fits a train seat (``01车012``) on one line: a wrapped seat doubles every row.
COLS = (20, 24, 46, 30, 52, 52, 18, 33)


def render_manifest_pdf(
    vehicle: PlanVehicle, headers: list[str], rows: list[list[str]], *, masked: bool
) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.set_title(f"乘客信息登记表 {vehicle.name}")
    pdf.set_creator("Homeward 返岗通")
    pdf.add_font(FONT_FAMILY, "", str(FONT_PATH))
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, size=15)
    pdf.cell(0, 9, printable("乘客信息登记表"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, size=9)
    dep = vehicle.departs.astimezone(CST).strftime("%Y-%m-%d %H:%M")
    arr = vehicle.arrives.astimezone(CST).strftime("%Y-%m-%d %H:%M")
    crew = vehicle.detail.get("crew", {})
    lines = [
        f"车辆 {vehicle.get_kind_display()} {vehicle.name}    计划 #{vehicle.run_id} / {vehicle.key}    "
        f"乘客 {len(rows)} / 限载 {vehicle.seat_cap} (核定 {vehicle.seats})",
        f"出发 {vehicle.origin_name} {dep}    到达 {vehicle.destination_name} {arr} (北京时间)    里程 {vehicle.km:.0f} 公里",
        f"驾驶员 {'、'.join(crew.get('drivers', [])) or '—'}    随车医护 {'、'.join(crew.get('escorts', [])) or '—'}",
    ]
    if masked:
        lines.append("个人信息已脱敏 (masked)")
    for line in lines:
        pdf.cell(0, 5.5, printable(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    heading = FontFace(emphasis="", fill_color=(235, 240, 248))
    with pdf.table(
        col_widths=COLS,
        wrapmode=WrapMode.CHAR,
        text_align="LEFT",
        line_height=5,
        padding=(0.8, 1.2),
        headings_style=heading,
        repeat_headings=1,
    ) as table:
        head = table.row()
        for h in headers:
            head.cell(printable(h))
        for r in rows:
            row = table.row()
            for value in r:
                row.cell(printable(str(value)))
    pdf.ln(4)
    pdf.cell(
        0, 6,
        printable("登车前测温 ____  到达后测温 ____  随车医护签字 ________  交接单位签字 ________"),
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )  # fmt: skip
    return bytes(pdf.output())
