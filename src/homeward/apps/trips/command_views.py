"""The live command dashboard page (``/command/``): a big screen drawn in the browser
(``static/command/command.js``, ECharts) from ``GET /api/v1/command/board``, which it polls.

Polling rather than server-sent events: one open stream per screen would hold one of the server's
few threads for as long as the screen is on, and the board is one bounded read per poll (see
``homeward bench command`` for what a poll costs at city scale)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from homeward.apps.registry.selectors import home_city
from homeward.apps.trips.command import command_board
from homeward.core.errors import DomainError

REFRESH_SECONDS = 10
REFRESH_LIMITS = (2, 300)


def _refresh_seconds(value: str | None) -> int:
    try:
        seconds = int(value or REFRESH_SECONDS)
    except ValueError:
        return REFRESH_SECONDS
    return min(max(seconds, REFRESH_LIMITS[0]), REFRESH_LIMITS[1])


def command_words() -> dict[str, str]:
    """What the page's script writes, in the page's language."""
    return {
        "train": _("专列"), "bus": _("包车"), "shuttle": _("接驳车"),
        "home": _("在家"), "vehicle": _("在车上"), "station": _("在站"),
        "shuttle_stage": _("接驳中"), "factory": _("已到厂"),
        "eta": _("预计到达"), "late": _("晚点"), "minutes": _("分钟"), "people": _("人"),
        "waiting": _("未发车"), "in_transit": _("在途"), "on_time": _("正点"),
        "level_ok": _("正常"), "level_warn": _("临近"), "level_critical": _("紧急"),
        "level_overdue": _("已超时"), "planner_at_risk": _("计划预计超时"),
        "total": _("合计"), "none": _("暂无"), "offline": _("连接中断，稍后自动重试"),
    }  # fmt: skip


@never_cache
@require_GET
def command_page(request: HttpRequest) -> HttpResponse:
    try:
        board = command_board(actor=request.user)
    except DomainError as exc:
        return render(
            request, "command/denied.html", {"message": exc.message, "reason": exc.code}, status=exc.status
        )
    return render(
        request,
        "command/page.html",
        {
            "board": board,
            "city": home_city(),
            "words": command_words(),
            "refresh_seconds": _refresh_seconds(request.GET.get("refresh")),
        },
    )
