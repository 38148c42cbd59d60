"""The daily report's files, in Chinese: ``.xlsx`` through the one table writer
(``core.ingest.export``) and an A4 landscape PDF in the CJK font shipped with ``core.permits``
(fpdf2, as the permits and the passenger lists)."""

from __future__ import annotations

from datetime import datetime

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from homeward.core.daily_report import BEIJING, DailyReport, Figures
from homeward.core.ingest.export import xlsx_bytes
from homeward.core.permits.pdf import FONT_FAMILY, FONT_PATH, printable

TITLE = "返岗接返日报"
HEADERS = [
    "镇街", "包车", "专列", "接驳车", "当日出发", "当日到厂", "其中30小时内", "30小时内占比%",
    "累计出发", "累计到厂", "累计30小时内占比%", "当日新增留观", "日末在观",
]  # fmt: skip
TOTAL = "合计"
# What each figure means, printed under the PDF's table (core.daily_report defines them).
NOTES = (
    "单位：包车、接驳车为辆，专列为列，人员为人；占比为百分数，当日无人到厂时记“—”。",
    "统计口径：北京时间当日 00:00 至 24:00；均由扫码记录自动计算，同一人多次扫码只计一次，被拒绝或冲突的扫码不计。",
    "车辆：当日有乘客扫码上车的包车、专列、接驳车；拼车按当日乘客最多的镇街计入。",
    "出发：当日首次扫码（通常为上车）的人数；到厂：当日在厂门交接的人数。",
    "30小时内：到厂时间不晚于申请受理后的到厂时限；占比 = 30小时内到厂人数 ÷ 到厂人数。",
    "留观：体温 37.3°C 及以上或健康码非绿码者；日末在观为当日结束时最后一次扫码仍为留观的人数。",
)
COLS = (33, *([20] * 12))


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def cells(name: str, f: Figures) -> list[object]:
    """One row under ``HEADERS`` (a share is a percentage, empty when nobody arrived)."""
    return [
        name, f.buses, f.trains, f.shuttles, f.moved, f.arrived, f.arrived_on_time,
        _percent(f.share_on_time), f.moved_to_date, f.arrived_to_date, _percent(f.share_on_time_to_date),
        f.new_observation, f.in_observation,
    ]  # fmt: skip


def table(report: DailyReport) -> list[list[object]]:
    """The rows of both files: one per town, then the total."""
    return [*(cells(r.town.name, r.figures) for r in report.rows), cells(TOTAL, report.total)]


def report_xlsx(report: DailyReport) -> bytes:
    return xlsx_bytes(HEADERS, table(report), sheet=f"日报 {report.day.isoformat()}")


def report_pdf(report: DailyReport, *, made_at: datetime | None = None) -> bytes:
    made = (made_at or datetime.now(BEIJING)).astimezone(BEIJING)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_margins(10, 8, 10)
    pdf.set_auto_page_break(auto=True, margin=8)
    pdf.set_title(f"{TITLE} {report.day.isoformat()}")
    pdf.set_creator("Homeward 返岗通")
    pdf.add_font(FONT_FAMILY, "", str(FONT_PATH))
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, size=15)
    pdf.cell(
        0, 9, printable(f"{TITLE} {report.day.isoformat()}"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FONT_FAMILY, size=9)
    line = (
        f"统计日 {report.day.isoformat()} 00:00—24:00 (北京时间)    生成于 {made:%Y-%m-%d %H:%M} (北京时间)"
    )
    pdf.cell(0, 6, printable(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    with pdf.table(
        col_widths=COLS,
        text_align=(Align.L, *([Align.R] * 12)),
        line_height=4.6,
        padding=(0.6, 1.2),
        headings_style=FontFace(emphasis="", fill_color=(235, 240, 248)),
        repeat_headings=1,
    ) as grid:
        head = grid.row()
        for h in HEADERS:
            head.cell(printable(h), align=Align.C)
        for values in table(report):
            row = grid.row()
            for value in values:
                row.cell(printable("—" if value is None else str(value)))
    pdf.ln(3)
    pdf.set_font(FONT_FAMILY, size=8)
    for note in NOTES:
        pdf.multi_cell(0, 4.5, printable(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
