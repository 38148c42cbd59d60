"""A medical escort's scope at the scanner: the vehicles the plan in force crews them on
(``accounts.policy.escort_vehicle_ids``), by the keys tickets and scans name. The scan service
refuses an escort a ticket whose scanned leg rides none of them (``not_your_vehicle``)."""

from __future__ import annotations

from typing import Any

from homeward.apps.accounts.policy import escort_vehicle_ids
from homeward.apps.planning.models import PlanVehicle


def escort_vehicle_keys(profile: Any) -> set[str]:
    """The stable keys (what tickets and scans name) of the escort's vehicles."""
    ids = escort_vehicle_ids(profile)
    return set(PlanVehicle.objects.filter(pk__in=ids).values_list("key", flat=True)) if ids else set()
