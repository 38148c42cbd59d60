"""A ticket's legs in plain words, in the page's language, times in Beijing time (the verification
page and the worker's own page say them the same way)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from homeward.core.permits import LegKind, TicketLeg

BEIJING = ZoneInfo("Asia/Shanghai")


def kind_label(kind: str) -> str:
    return {
        LegKind.TRAIN: _("专列"),
        LegKind.BUS: _("包车"),
        LegKind.SHUTTLE: _("接驳车"),
    }.get(LegKind(kind), kind)


def leg_words(leg: TicketLeg) -> str:
    """``第1程 包车 贵D·12345：2020-02-12 08:00 北京时间 在 毕节市 上车，座位 12，到 义乌站``."""
    at = f"{leg.pickup_at.astimezone(BEIJING):%Y-%m-%d %H:%M} {_('北京时间')}"
    return _(
        "第%(n)s程 %(kind)s %(vehicle)s：%(at)s 在 %(pickup)s 上车，座位 %(seat)s，到 %(destination)s"
    ) % {
        "n": leg.leg + 1,
        "kind": kind_label(leg.kind),
        "vehicle": leg.vehicle,
        "at": at,
        "pickup": leg.pickup,
        "seat": leg.seat,
        "destination": leg.destination,
    }


def leg_view(leg: dict[str, Any]) -> dict[str, Any]:
    """A stored leg (``Ticket.legs`` item) for the worker's page: the same facts, one per line."""
    from datetime import datetime

    at = datetime.fromisoformat(leg["pickup_at"]).astimezone(BEIJING)
    return {
        "number": leg["leg"] + 1,
        "kind": kind_label(leg["kind"]),
        "vehicle": leg["vehicle"],
        "pickup": leg["pickup"],
        "pickup_at": f"{at:%Y-%m-%d %H:%M}",
        "seat": leg["seat"],
        "destination": leg["destination"],
        "escort_phone": leg.get("escort_phone", ""),
    }
