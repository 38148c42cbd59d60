"""A medical escort's scope at the scanner: the vehicles the plan in force crews them on
(``accounts.policy.escort_vehicle_ids``). Kept apart from ``scans`` so the scan service only asks."""

from __future__ import annotations

from typing import Any

from homeward.apps.accounts.policy import escort_vehicle_ids
from homeward.apps.planning.models import PlanVehicle
from homeward.core import scans as rules


def escort_vehicle_keys(profile: Any) -> set[str]:
    """The stable keys (what tickets and scans name) of the escort's vehicles."""
    ids = escort_vehicle_ids(profile)
    return set(PlanVehicle.objects.filter(pk__in=ids).values_list("key", flat=True)) if ids else set()


def escort_refusal(profile: Any, checkpoint: str, ticket: Any) -> str:
    """``not_your_vehicle`` when the ticket's leg for ``checkpoint`` rides another vehicle than the
    escort's, else "" (a scan without a ticket is refused for its own reason already)."""
    if ticket is None:
        return ""
    leg_no = rules.leg_of(checkpoint, len(ticket.legs))
    legs: list[dict[str, Any]] = ticket.legs
    leg = next((x for x in legs if x.get("leg") == leg_no), {})
    return "" if leg.get("vehicle_key") in escort_vehicle_keys(profile) else "not_your_vehicle"
