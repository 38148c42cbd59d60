"""A ticket's legs in plain words, in the page's language, times in Beijing time (the verification
page and the worker's own page say them the same way)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from homeward.apps.planning.models import PlanVehicle
from homeward.core.permits import TicketLeg
from homeward.i18n import BEIJING, beijing_time

__all__ = ["BEIJING", "kind_label", "leg_view", "leg_words"]


def kind_label(kind: str) -> str:
    """A leg's vehicle kind as the plan names it (the ticket's wire codes are the plan's kinds)."""
    return str(PlanVehicle.Kind(kind).label) if kind in PlanVehicle.Kind.values else kind


def leg_words(leg: TicketLeg) -> str:
    """``第1程 包车 贵D·12345：2020-02-12 08:00 北京时间 在 毕节市 上车，座位 12，到 义乌站``."""
    at = beijing_time(leg.pickup_at)
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
    at = datetime.fromisoformat(leg["pickup_at"])
    return {
        "number": leg["leg"] + 1,
        "kind": kind_label(leg["kind"]),
        "vehicle": leg["vehicle"],
        "pickup": leg["pickup"],
        "pickup_at": beijing_time(at, zone_name=False),
        "seat": leg["seat"],
        "destination": leg["destination"],
        "escort_phone": leg.get("escort_phone", ""),
    }
