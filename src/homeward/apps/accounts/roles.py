"""The roles of DESIGN §2 and what each may see, and who an actor is. Shared by services, selectors,
views and the API."""

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
    SERVICE_TEAM = "service_team", _("服务小分队")
    WORKER = "worker", _("务工人员")


# Roles whose work needs full ID numbers and phones; every unmasked read is still audited.
PERSONAL_DATA_ROLES = frozenset({Role.TASKFORCE, Role.DEPT_HEALTH})

DEPARTMENT_ROLES = frozenset({Role.DEPT_HR, Role.DEPT_TRANSPORT, Role.DEPT_HEALTH})

# Roles that see the whole city's registries and heat map, not one town's, enterprise's or province's.
CITY_WIDE_ROLES = DEPARTMENT_ROLES | {Role.TASKFORCE}

TASK_QUEUE_ROLES = DEPARTMENT_ROLES | {Role.TASKFORCE, Role.TOWN}


def profile_of(actor: Any) -> Any:
    """The signed-in user's ``Profile``, or None (anonymous, a user without one, or a system actor
    such as "cli")."""
    return getattr(actor, "profile", None) if getattr(actor, "is_authenticated", False) else None


def role_of(actor: Any) -> str | None:
    profile = profile_of(actor)
    return profile.role if profile is not None else None


def is_taskforce(actor: Any) -> bool:
    profile = profile_of(actor)
    return profile is not None and profile.role == Role.TASKFORCE
