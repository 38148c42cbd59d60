"""The roles of DESIGN §2 and the groups of them the permission policy (``accounts.policy``) and
the personal-data rules are written in."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TASKFORCE = "taskforce", _("专班")
    TOWN = "town", _("镇街干部")
    ENTERPRISE = "enterprise", _("企业用户")
    DEPT_HR = "dept_hr", _("人社部门")
    DEPT_TRANSPORT = "dept_transport", _("交通部门")
    DEPT_HEALTH = "dept_health", _("卫健部门")
    STATION = "station", _("站点人员")
    # A medical escort riding a plan vehicle (``Profile.escort``): scans and sees the manifest of
    # the vehicles the plan in force crews them on, nothing else.
    ESCORT = "escort", _("随车医护")
    SERVICE_TEAM = "service_team", _("服务小分队")
    WORKER = "worker", _("务工人员")


# Roles whose work needs full ID numbers and phones; every unmasked read is still audited.
PERSONAL_DATA_ROLES = frozenset({Role.TASKFORCE, Role.DEPT_HEALTH})

DEPARTMENT_ROLES = frozenset({Role.DEPT_HR, Role.DEPT_TRANSPORT, Role.DEPT_HEALTH})

# Roles that see the whole city's registries and heat map, not one town's, enterprise's or province's.
CITY_WIDE_ROLES = DEPARTMENT_ROLES | {Role.TASKFORCE}


def profile_of(actor: Any) -> Any:
    """The signed-in user's ``Profile`` (role and scope), or None (anonymous, a user without one, or a
    system actor). Permission decisions go through ``accounts.policy``; this is for showing who
    someone is and where their scope lies."""
    return getattr(actor, "profile", None) if getattr(actor, "is_authenticated", False) else None
