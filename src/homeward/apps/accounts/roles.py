"""The roles of DESIGN §2 and what each may see. Plain data, shared by selectors, views and the API."""

from __future__ import annotations

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

TASK_QUEUE_ROLES = DEPARTMENT_ROLES | {Role.TASKFORCE, Role.TOWN}
