"""The home city in the planner core's terms, translated in this one place.

The database names the home city's own fleet (coaches, drivers, escorts) ``HOME_BASE``, and the home
city comes from the setup (``registry.selectors.require_home_city``). core.planning still calls that
base "cixi", the point where its coaches start ``PlanRequest.cixi`` and that place "慈溪 (Cixi)";
renaming those to generic names is the planner's work inside core/planning. Until both meet,
nothing else translates.
"""

from __future__ import annotations

from dataclasses import replace

from homeward.apps.planning.models import HOME_BASE
from homeward.apps.registry.models import HomeCity
from homeward.core import planning as core

_CORE_HOME_BASE = "cixi"
_CORE_HOME_PLACE = "慈溪 (Cixi)"  # the core's name for the stop where the home fleet starts


def core_base(base: str) -> str:
    """A fleet base as the core knows it."""
    return _CORE_HOME_BASE if base == HOME_BASE else base


def shell_base(base: str) -> str:
    """A base of the core's result as the database stores it."""
    return HOME_BASE if base == _CORE_HOME_BASE else base


def shell_place(place: str, home: HomeCity) -> str:
    """A stop's place as the pages show it: the home fleet starts from the home city."""
    return home.display_name if place == _CORE_HOME_PLACE else place


def with_home_city(request: core.PlanRequest, home: HomeCity) -> core.PlanRequest:
    """``request`` with the home city's coaches starting from its point (the coach base)."""
    return replace(request, cixi=core.Point(home.lat, home.lon))
