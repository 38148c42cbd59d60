"""One permission policy: who may do which named action to which object.

Every service starts with ``authorize(actor, action, obj)`` (or ``authorized(...)`` when it is handed
an id); every scoped read goes through ``scoped(actor, queryset)``. Both read the two tables below, so
a list and an object check cannot drift apart:

- ``ACTIONS``: each named action (``"application.submit"``) and the roles that may perform it, with the
  message a refusal shows; a few add a narrower rule on the object (``task.complete``: the actor's
  own department's task).
- ``SCOPES``: per object type, which rows an actor sees at all (ownership): an enterprise its own
  enterprise, applications, workers and permits; a town officer its town's; a service team the
  workers of its province; a department the cases it has tasks in and the permits it signs; a medical
  escort the plan vehicles it rides on.

An allowed call returns None. A refused one writes a ``denied.<action>`` audit event and raises
``NotFound`` when the object is outside the actor's scope (its existence is not revealed: the same
answer as for an id that does not exist) or ``PermissionDenied`` when the actor sees the object but
the action is not theirs. Call it outside the service's transaction so the audit event stays.

System actors (the CLI, the demo loader, background tasks, tests) are ``SystemActor`` objects with
explicit grants; they act city-wide, but only for the actions granted. No bare strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from django.apps import apps
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from homeward.apps.accounts.roles import CITY_WIDE_ROLES, DEPARTMENT_ROLES, PERSONAL_DATA_ROLES, Role
from homeward.core import regions
from homeward.core.errors import NotFound, PermissionDenied
from homeward.core.permits import Department


@dataclass(frozen=True, slots=True)
class SystemActor:
    """A process acting without a signed-in user, allowed exactly the actions in ``grants``."""

    name: str
    grants: frozenset[str]

    def __post_init__(self) -> None:
        unknown = self.grants - ACTIONS.keys()
        if unknown:
            raise ValueError(f"unknown actions granted to {self.name}: {sorted(unknown)}")

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class WorkerSession:
    """A worker on their own page, without an account: signed in by a one-time link or a short code
    (``trips.services.self_service``), bound to one application worker row (0: on no application)
    and to their registry worker (``person_id``, 0 when the application row has none: a letter home
    reaches a worker through the registry, a ticket through the application). It plays the part of a
    profile with role ``worker``: the actions whose roles include ``Role.WORKER`` are its, and its
    scope is that one worker and what hangs on them (their tickets, their replies), nothing else."""

    application_worker_id: int
    person_id: int = 0
    role: str = "worker"
    user_id: None = None
    town_id: None = None
    enterprise_id: None = None
    province_code: None = None

    @property
    def name(self) -> str:  # the audit trail's actor label
        if self.application_worker_id:
            return f"worker:{self.application_worker_id}"
        return f"person:{self.person_id}"

    def __str__(self) -> str:
        return self.name


# Role → the department task it works and the permit department it signs as.
ROLE_TASK_DEPARTMENT = {
    Role.DEPT_TRANSPORT: "transport",
    Role.DEPT_HEALTH: "health",
    Role.DEPT_HR: "hr",
    Role.TOWN: "reception",
}
ROLE_SIGNER = {
    Role.DEPT_TRANSPORT: Department.TRANSPORT,
    Role.DEPT_HEALTH: Department.HEALTH,
    Role.DEPT_HR: Department.HR,
}


# ------------------------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class Action:
    roles: frozenset[str]
    message: str
    # A narrower rule on the object, beyond its scope (None: the scope is enough).
    narrow: Callable[[Any], Q] | None = None
    # Only a system actor that holds its own credential, never a signed-in user, not even the task
    # force (which otherwise may do whatever the system does): what it records speaks for others.
    machine_only: bool = False


def _task_of_own_department(profile: Any) -> Q:
    if profile.role == Role.TASKFORCE:
        return Q()
    return Q(department=ROLE_TASK_DEPARTMENT.get(profile.role, ""))


TASKFORCE = frozenset({Role.TASKFORCE})
TOWN, ENTERPRISE = Role.TOWN, Role.ENTERPRISE
DEPARTMENTS = frozenset(DEPARTMENT_ROLES)
SCOPED_READERS = CITY_WIDE_ROLES | {TOWN, ENTERPRISE, Role.SERVICE_TEAM}
APPLICATION_READERS = CITY_WIDE_ROLES | {TOWN, ENTERPRISE}
TASK_FORCE_ONLY = "只有专班可以操作 (task force only)"
TEAMS = TASKFORCE | {Role.SERVICE_TEAM}

ACTIONS: dict[str, Action] = {
    # Registries
    "registry.read": Action(SCOPED_READERS, "您的角色无权查看登记册 (your role has no registry)"),
    "worker.reveal": Action(
        PERSONAL_DATA_ROLES, "您的角色无权查看完整个人信息 (your role may not see personal data)"
    ),
    # Personal data shown unmasked where a role's work needs it (manifests, the heat map's small
    # cells); each such read is audited by its reader.
    "personal_data.read": Action(
        PERSONAL_DATA_ROLES, "您的角色无权查看完整个人信息 (your role may not see personal data)"
    ),
    "registry.export": Action(
        SCOPED_READERS, "您的角色无权导出登记册 (your role may not export the registry)"
    ),
    "import.read": Action(TASKFORCE, "只有专班可以查看导入 (task force only)"),
    "import.run": Action(TASKFORCE, "只有专班可以导入数据 (task force only)"),
    "user.create": Action(TASKFORCE, "只有专班可以创建用户 (task force only)"),
    # Return applications, cases, tasks, permits
    "application.read": Action(APPLICATION_READERS, "无权查看接返申请 (no access to applications)"),
    "application.create": Action(
        TASKFORCE | {ENTERPRISE}, "只有企业或专班可以发起申请 (enterprises or the task force only)"
    ),
    "application.edit": Action(
        TASKFORCE | {ENTERPRISE}, "只有申请企业或专班可以修改名单 (the enterprise or task force only)"
    ),
    "application.submit": Action(
        TASKFORCE | {ENTERPRISE}, "只有申请企业或专班可以提交 (the enterprise or task force only)"
    ),
    "application.accept": Action(TASKFORCE | {TOWN}, "只有镇街或专班可以受理 (town officer or task force)"),
    "application.cancel": Action(TASKFORCE | {TOWN, ENTERPRISE}, "无权取消 (not allowed to cancel)"),
    "application.transition": Action(TASKFORCE, "只有专班可以变更状态 (task force only)"),
    "application.flag": Action(TASKFORCE, "只有专班可以标记 (task force only)"),
    "application.expire": Action(TASKFORCE, TASK_FORCE_ONLY),
    "task.read": Action(TASKFORCE | DEPARTMENTS | {TOWN}, "您的角色没有待办任务 (your role has no tasks)"),
    "task.complete": Action(
        TASKFORCE | DEPARTMENTS | {TOWN},
        "这不是您部门的任务 (not your department's task)",
        narrow=_task_of_own_department,
    ),
    "permit.read": Action(APPLICATION_READERS, "无权查看许可证 (no access to permits)"),
    "permit.draft": Action(
        TASKFORCE | {Role.DEPT_TRANSPORT, Role.DEPT_HEALTH}, "无权起草许可证 (not allowed to draft permits)"
    ),
    # a road pass's plate, carrier and toll stations, before anyone signs (the planner knows none)
    "permit.fill": Action(
        TASKFORCE | {Role.DEPT_TRANSPORT}, "只有交通部门或专班可以补填通行证 (transport or task force only)"
    ),
    "permit.sign": Action(DEPARTMENTS, "只有审批部门可以签发 (department approvers only)"),
    "permit.revoke": Action(TASKFORCE, "只有专班可以撤销许可证 (task force only)"),
    "revocations.publish": Action(TASKFORCE, TASK_FORCE_ONLY),
    # Door to door: tickets from the plan in force (the planner when a run finishes, or the task force)
    "ticket.issue": Action(TASKFORCE, "只有专班可以出票 (task force only)"),
    # a worker's self-service link: the enterprise for its own workers, and the task force
    "worker_link.issue": Action(
        TASKFORCE | {ENTERPRISE}, "只有申请企业或专班可以发送链接 (the enterprise or task force only)"
    ),
    # the worker on their own page (a WorkerSession): see, confirm or decline the trip, declare health
    "trip.read": Action(frozenset({Role.WORKER}), "仅限务工人员本人 (the worker only)"),
    "trip.respond": Action(frozenset({Role.WORKER}), "仅限务工人员本人 (the worker only)"),
    "health.declare": Action(frozenset({Role.WORKER}), "仅限务工人员本人 (the worker only)"),
    # Letters home: the task force writes to the workers still away; the worker answers through the
    # same link (a reply is a return intention); the employer sees its workers' intentions and turns
    # them into a return application.
    "campaign.read": Action(TASKFORCE, TASK_FORCE_ONLY),
    "campaign.create": Action(TASKFORCE, "只有专班可以创建家书活动 (task force only)"),
    "campaign.send": Action(TASKFORCE, "只有专班可以发送家书 (task force only)"),
    "letter.reply": Action(frozenset({Role.WORKER}), "仅限务工人员本人 (the worker only)"),
    # the SMS gateway (``letters.api.SMS_GATEWAY``) by its shared secret: a keyword reply speaks for the
    # worker whose phone sent it, so no signed-in user may post one
    "letter.sms_inbound": Action(frozenset(), "仅限短信网关 (the SMS gateway only)", machine_only=True),
    "intention.read": Action(
        TASKFORCE | {ENTERPRISE}, "只有企业或专班可以查看返程意向 (enterprises or the task force only)"
    ),
    # Scans at the handovers (boarding, station, shuttle, factory gate): station and gate staff at
    # their place, a medical escort on the vehicles they are crewed on, the task force anywhere, an
    # enterprise user the gate handover of its own workers (``trips.services.scans`` narrows each scan).
    "scan.record": Action(
        TASKFORCE | {Role.STATION, Role.ESCORT, ENTERPRISE}, "无权扫码 (your role may not record scans)"
    ),
    # The scanner's passenger list: an escort's vehicles (their ``planning.planvehicle`` scope), the
    # arrivals expected at a station's place, any vehicle for the task force (``trips.manifest``).
    "scan.manifest": Action(
        TASKFORCE | {Role.STATION, Role.ESCORT}, "无权查看乘客名单 (not allowed to see manifests)"
    ),
    # A worker in observation handed to a health post by who found them (``trips.services.observations``),
    # and the health department's outcome for them.
    "observation.handover": Action(
        TASKFORCE | {Role.STATION, Role.ESCORT}, "无权登记留观交接 (not allowed to hand over)"
    ),
    "observation.read": Action(
        TASKFORCE | {Role.DEPT_HEALTH},
        "只有卫健部门或专班可以查看留观 (health department or task force only)",
    ),
    "observation.outcome": Action(
        TASKFORCE | {Role.DEPT_HEALTH},
        "只有卫健部门或专班可以判定留观结果 (health department or task force only)",
    ),
    # Heat map
    "heatmap.read": Action(SCOPED_READERS, "无权查看用工热图 (not allowed to see the heat map)"),
    "heatmap.crosscheck": Action(
        CITY_WIDE_ROLES | {Role.SERVICE_TEAM},
        "运营商数据不按镇街或企业划分，无权查看 (carrier data is not per town or enterprise)",
    ),
    "heatmap.rebuild": Action(
        TASKFORCE, "只有专班可以重建热图 (only the task force may rebuild the heat map)"
    ),
    # Planning
    "plan.read": Action(TASKFORCE, "只有专班可以查看排班计划 (task force only)"),
    "plan.request": Action(TASKFORCE, "只有专班可以排班 (task force only)"),
    "plan.resources": Action(TASKFORCE, "只有专班可以导入排班资源 (task force only)"),
    "plan.dispatch": Action(TASKFORCE, "只有专班可以登记发车 (task force only)"),
    "plan.train_request": Action(TASKFORCE, "只有专班可以申请专列 (task force only)"),
    "plan.manifest": Action(
        TASKFORCE | {Role.DEPT_HEALTH, Role.DEPT_TRANSPORT}, "无权查看乘客名单 (not allowed to see manifests)"
    ),
    "plan.permits": Action(
        TASKFORCE | {Role.DEPT_TRANSPORT},
        "只有专班或交通部门可以起草通行证 (task force or transport department only)",
    ),
    # Contact tracing of a worker who later tests positive: the close contacts with ID numbers and
    # phones, for the health authority (``trips.tracing``; every read audited).
    "tracing.read": Action(
        TASKFORCE | {Role.DEPT_HEALTH},
        "只有卫健部门或专班可以追踪密接 (health department or task force only)",
    ),
    "plan.seats": Action(frozenset({ENTERPRISE}), "仅企业用户 (enterprise users only)"),
    # Service teams in the origin provinces (``apps.teams``): their province's workspace, the
    # origin-side health statuses they record and verify (mutual recognition) and the tests they book.
    "team.read": Action(TEAMS, "仅限服务小分队或专班 (service teams or the task force only)"),
    "health_status.record": Action(TEAMS, "仅限服务小分队或专班 (service teams or the task force only)"),
    "health_status.verify": Action(TEAMS, "仅限服务小分队或专班 (service teams or the task force only)"),
    "test.schedule": Action(TEAMS, "仅限服务小分队或专班 (service teams or the task force only)"),
    # Job demand exchange and recruiting: enterprises post vacancies and make offers; teams see every
    # open vacancy, register recruits at the origin and record their acceptance.
    "vacancy.read": Action(TEAMS | {ENTERPRISE}, "无权查看岗位需求 (no access to vacancies)"),
    "vacancy.post": Action(
        TASKFORCE | {ENTERPRISE}, "只有企业或专班可以发布岗位 (enterprises or the task force only)"
    ),
    "offer.make": Action(
        TASKFORCE | {ENTERPRISE}, "只有企业或专班可以发出录用 (enterprises or the task force only)"
    ),
    "recruit.register": Action(TEAMS, "仅限服务小分队或专班 (service teams or the task force only)"),
    "offer.accept": Action(TEAMS, "仅限服务小分队或专班 (service teams or the task force only)"),
    # The live command dashboard (``trips.command``): the task force, the departments (read-only, as
    # the whole page is) and town officers, each within their scope of application workers (a town
    # officer: their own town's workers and the vehicles those ride).
    "command.read": Action(
        TASKFORCE | DEPARTMENTS | {TOWN}, "无权查看指挥大屏 (not allowed to see the command dashboard)"
    ),
    # The daily report 日报 (counts from scan events): the task force, and a town officer for their
    # own town's row (the ``registry.town`` scope); a download is audited.
    "report.read": Action(
        TASKFORCE | {TOWN}, "只有专班或镇街可以查看日报 (task force or town officers only)"
    ),
    "report.export": Action(
        TASKFORCE | {TOWN}, "只有专班或镇街可以下载日报 (task force or town officers only)"
    ),
    # The city and its operations
    "city.setup": Action(TASKFORCE, "只有专班可以设置本市 (task force only)"),
    "audit.read": Action(TASKFORCE, "只有专班可以查看审计日志 (task force only)"),
    "audit.export": Action(TASKFORCE, "只有专班可以导出审计日志 (task force only)"),
    # Operator work, done at the server's command line (no page or endpoint offers it).
    "ops.backup": Action(TASKFORCE, TASK_FORCE_ONLY),
    "ops.restore": Action(TASKFORCE, TASK_FORCE_ONLY),
    "ops.retention": Action(TASKFORCE, TASK_FORCE_ONLY),
    "permit.keys": Action(TASKFORCE, TASK_FORCE_ONLY),
}


# -------------------------------------------------------------------------------------------- scopes

ALL = Q()
NOTHING = Q(pk__in=[])


@dataclass(frozen=True, slots=True)
class Area:
    """The part of the city's registries a role is bound to: all of it (every field None), a town,
    an enterprise, or the workers from one origin province (2-digit code prefix)."""

    town_id: int | None = None
    enterprise_id: int | None = None
    province: str | None = None


def _area(p: Any) -> Area | None:
    if p.role in CITY_WIDE_ROLES:
        return Area()
    if p.role == TOWN and p.town_id:
        return Area(town_id=p.town_id)
    if p.role == ENTERPRISE and p.enterprise_id:
        return Area(enterprise_id=p.enterprise_id)
    if p.role == Role.SERVICE_TEAM and p.province_code:
        return Area(province=p.province_code[:2])
    return None


def area_of(actor: Any) -> Area | None:
    """Where ``actor``'s registry and heat-map scope lies (a system actor: the city), or None when it
    has none (station staff, escorts, workers, anonymous)."""
    if isinstance(actor, SystemActor):
        return Area()
    profile = _profile(actor)
    return _area(profile) if profile is not None else None


def signer_of(actor: Any) -> Department | None:
    """The permit department ``actor`` signs as, if any."""
    profile = _profile(actor)
    return ROLE_SIGNER.get(profile.role) if profile is not None else None


def _enterprise_scope(p: Any) -> Q:
    area = _area(p)
    if area is None or area.province is not None:  # enterprises are not by origin province
        return NOTHING
    if area.town_id is not None:
        return Q(town_id=area.town_id)
    if area.enterprise_id is not None:
        return Q(pk=area.enterprise_id)
    return ALL


def _town_scope(p: Any) -> Q:
    area = _area(p)
    if area is None or area.province is not None:  # a province's workers go to every town
        return NOTHING
    if area.town_id is not None:
        return Q(pk=area.town_id)
    if area.enterprise_id is not None:
        return Q(enterprises=area.enterprise_id)
    return ALL


def _worker_scope(p: Any) -> Q:
    if isinstance(p, WorkerSession):
        return Q(pk=p.person_id) if p.person_id else NOTHING
    area = _area(p)
    if area is None:
        return NOTHING
    if area.town_id is not None:
        return Q(employer__town_id=area.town_id)
    if area.enterprise_id is not None:
        return Q(employer_id=area.enterprise_id)
    if area.province is not None:
        return Q(origin_code__startswith=area.province)
    return ALL


def _application_scope(p: Any) -> Q:
    area = _area(p)
    if p.role == Role.TASKFORCE:
        return ALL
    if p.role in DEPARTMENT_ROLES:  # every accepted application has one task per department
        return Q(case__isnull=False)
    if area is not None and area.enterprise_id is not None:
        return Q(enterprise_id=area.enterprise_id)
    if area is not None and area.town_id is not None:  # a town sees an application once submitted
        return Q(enterprise__town_id=area.town_id) & ~Q(state__in=("draft", "expired"))
    return NOTHING


def _applications(p: Any) -> QuerySet[Any]:
    return apps.get_model("applications", "ReturnApplication").objects.filter(_application_scope(p))


def _task_scope(p: Any) -> Q:
    if p.role in DEPARTMENT_ROLES:
        return Q(department=ROLE_TASK_DEPARTMENT[p.role])
    if p.role == Role.TASKFORCE:
        return ALL
    return Q(case__application__in=_applications(p))


def _permit_scope(p: Any) -> Q:
    """The permits of the applications one sees, and the road passes of plan buses on which workers
    of those applications ride (a pooled bus carries several enterprises: each sees the bus's pass,
    none sees another bus's). Departments also every permit they sign; as they see every case, the
    health officer opens the bus's road pass from the case page as transport and HR do."""
    if p.role == Role.TASKFORCE:
        return ALL
    seats = apps.get_model("planning", "PlanSeat").objects
    riding = seats.filter(vehicle_id=OuterRef("plan_vehicle_id"), application__in=_applications(p))
    seen = Q(application__in=_applications(p)) | Q(Exists(riding))
    if p.role in DEPARTMENT_ROLES:
        return Q(required_signers__contains=str(ROLE_SIGNER[p.role])) | seen
    return seen


def _of_application_workers(prefix: str) -> Callable[[Any], Q]:
    """A scope for an application's worker rows (``prefix`` ""), or for what hangs on one
    (``"worker__"``): a worker on their own page sees their row; others, the workers of the
    applications they see."""

    def scope(p: Any) -> Q:
        if isinstance(p, WorkerSession):
            return Q(**{f"{prefix}pk": p.application_worker_id})
        if p.role == Role.TASKFORCE:
            return ALL
        return Q(**{f"{prefix}application__in": _applications(p)})

    return scope


def escort_vehicle_ids(p: Any) -> list[int]:
    """The plan-in-force vehicles an escort login rides on: those whose crew names its medical
    escort (the planner crews vehicles by the escort's name, ``planning.services._crew``)."""
    if getattr(p, "role", None) != Role.ESCORT or p.escort_id is None:
        return []
    from django.db.models import Subquery

    runs = apps.get_model("planning", "PlanRun").objects.in_force_first().values("pk")[:1]
    crews = apps.get_model("planning", "PlanVehicle").objects.filter(run=Subquery(runs))
    name = p.escort.name
    return [pk for pk, names in crews.values_list("pk", "detail__crew__escorts") if name in (names or [])]


def _vehicle_scope(p: Any) -> Q:
    if p.role in (Role.TASKFORCE, Role.DEPT_HEALTH, Role.DEPT_TRANSPORT):
        return ALL
    if p.role == Role.ESCORT:
        return Q(pk__in=escort_vehicle_ids(p))
    if p.role == Role.STATION and p.place:  # the arrivals expected at its place (with or without 站)
        return Q(destination_name__in=[p.place, regions.station_name(p.place)])
    return NOTHING


def _handover_scope(p: Any) -> Q:
    """Hand-overs: all for the task force and health; an escort's of their vehicles; a station's of
    the observation scans made at its place."""
    if p.role in (Role.TASKFORCE, Role.DEPT_HEALTH):
        return ALL
    if p.role == Role.ESCORT:
        keys = apps.get_model("planning", "PlanVehicle").objects.filter(pk__in=escort_vehicle_ids(p))
        return Q(vehicle_key__in=list(keys.values_list("key", flat=True)))
    if p.role == Role.STATION and p.place:
        return Q(scan__place=p.place)
    return NOTHING


def _of_province(p: Any) -> Q:
    """What a service team records at the origin (``province``: 2 digits): its own province's; the
    task force all; others none."""
    area = _area(p)
    if p.role == Role.TASKFORCE:
        return ALL
    if area is not None and area.province is not None:
        return Q(province=area.province)
    return NOTHING


def _vacancy_scope(p: Any) -> Q:
    """An enterprise its own vacancies; a team every open one; the task force all."""
    area = _area(p)
    if p.role == Role.TASKFORCE:
        return ALL
    if area is not None and area.enterprise_id is not None:
        return Q(enterprise_id=area.enterprise_id)
    if area is not None and area.province is not None:
        return Q(open=True)
    return NOTHING


def _offer_scope(p: Any) -> Q:
    """An enterprise the offers on its vacancies; a team those to its province's recruits."""
    area = _area(p)
    if p.role == Role.TASKFORCE:
        return ALL
    if area is not None and area.enterprise_id is not None:
        return Q(vacancy__enterprise_id=area.enterprise_id)
    if area is not None and area.province is not None:
        return Q(recruit__province=area.province)
    return NOTHING


def _roles(*roles: str) -> Callable[[Any], Q]:
    """A scope for objects that are not owned by anyone: all of them for ``roles``, none for others."""
    return lambda p: ALL if p.role in roles else NOTHING


# model label → (the object type named in audit events, the scope)
SCOPES: dict[str, tuple[str, Callable[[Any], Q]]] = {
    "registry.town": ("town", _town_scope),
    "registry.enterprise": ("enterprise", _enterprise_scope),
    "registry.worker": ("worker", _worker_scope),
    "registry.importrun": ("import_run", _roles(Role.TASKFORCE)),
    # an export holds the rows its creator could list: nobody else sees it
    "registry.exportrun": ("export_run", lambda p: Q(created_by_id=p.user_id)),
    "applications.returnapplication": ("application", _application_scope),
    "applications.departmenttask": ("task", _task_scope),
    "applications.permit": ("permit", _permit_scope),
    "applications.applicationworker": ("application_worker", _of_application_workers("")),
    "trips.ticket": ("ticket", _of_application_workers("worker__")),
    # plans: the task force, and the departments that check their vehicles (manifests, road passes)
    # letters home: campaigns are the task force's
    "letters.campaign": ("campaign", _roles(Role.TASKFORCE)),
    "planning.planrun": ("plan_run", _roles(Role.TASKFORCE, Role.DEPT_HEALTH, Role.DEPT_TRANSPORT)),
    # vehicles: those too; an escort the plan-in-force vehicles it is crewed on; a station the arrivals
    # expected at its place (the scanner's passenger list, ``trips.manifest``)
    "planning.planvehicle": ("plan_vehicle", _vehicle_scope),
    "trips.observationhandover": ("observation_handover", _handover_scope),
    # service teams: their province's statuses and test bookings
    "teams.healthstatus": ("health_status", _of_province),
    "teams.testbooking": ("test_booking", _of_province),
    "teams.vacancy": ("vacancy", _vacancy_scope),
    # a recruit: its team's province; an enterprise sees every one (masked) to offer them a job
    "teams.recruit": ("recruit", lambda p: ALL if p.role == ENTERPRISE else _of_province(p)),
    "teams.offer": ("offer", _offer_scope),
}


# ------------------------------------------------------------------------------------- system actors


# The command line (an operator at the server), the demo loader, background tasks (acting for a
# user who has gone, or on their own behalf), the planner marking applications, the import hook
# that queues a heat-map rebuild, and the benchmarks (the scan bench issues its world's tickets and
# makes its scanner logins, in a database it created).
CLI = SystemActor(
    "cli",
    frozenset(
        {
            "import.run", "heatmap.rebuild", "plan.request", "user.create", "city.setup",
            "ops.backup", "ops.restore", "ops.retention", "permit.keys", "report.read", "report.export",
        }
    ),
)  # fmt: skip
DEMO = SystemActor("demo", frozenset({"import.run", "heatmap.rebuild", "user.create", "city.setup"}))
TASK = SystemActor("task", frozenset({"import.run"}))
PLANNER = SystemActor("planner", frozenset({"application.flag", "ticket.issue", "revocations.publish"}))
# A worker's decline revokes their ticket: the revocation list is re-signed on the task force's behalf.
TICKETS = SystemActor("tickets", frozenset({"revocations.publish"}))
IMPORT_HOOK = SystemActor("import", frozenset({"heatmap.rebuild"}))
DRAFT_SWEEPER = SystemActor("drafts", frozenset({"application.expire"}))
BENCH = SystemActor("bench", frozenset({"import.run", "city.setup", "ticket.issue", "user.create"}))
# An accepted offer places the recruit on the enterprise's behalf: an application for them, accepted,
# and a free seat on a planned trip with its ticket (``teams.recruiting``).
RECRUITING = SystemActor(
    "recruiting",
    frozenset({"application.create", "application.edit", "application.submit", "application.accept",
               "ticket.issue"}),
)  # fmt: skip
# The task worker's sweep, which fails runs that lost their lease (it acts on nothing else).
WORKER = SystemActor("worker", frozenset())


# ------------------------------------------------------------------------------------------- checks


def _profile(actor: Any) -> Any:
    if isinstance(actor, str):
        raise TypeError(f"actor {actor!r} is a bare string: use a SystemActor")
    if isinstance(actor, WorkerSession):
        return actor
    if not getattr(actor, "is_authenticated", False):
        return None
    return getattr(actor, "profile", None)


def _role_allowed(actor: Any, action: str) -> bool:
    if isinstance(actor, SystemActor):
        return action in actor.grants
    profile = _profile(actor)
    return profile is not None and profile.role in ACTIONS[action].roles


def _scope_of(actor: Any, model: type[Model]) -> tuple[str, Q]:
    try:
        object_type, scope = SCOPES[model._meta.label_lower]
    except KeyError:
        raise LookupError(f"no scope rule for {model._meta.label_lower} in accounts.policy.SCOPES") from None
    if isinstance(actor, SystemActor):
        return object_type, ALL
    profile = _profile(actor)
    return object_type, (scope(profile) if profile is not None else NOTHING)


def scoped[M: Model](actor: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """``queryset`` narrowed to the rows ``actor`` may see (the object type's scope in ``SCOPES``)."""
    _type, scope = _scope_of(actor, queryset.model)
    return queryset.filter(scope)


def actionable[M: Model](actor: Any, action: str, queryset: QuerySet[M]) -> QuerySet[M]:
    """The rows of ``queryset`` ``actor`` may do ``action`` to (role, scope and narrower rule), for a
    work queue; none when the role may not do it at all. Nothing is audited."""
    if not _role_allowed(actor, action):
        return queryset.none()
    narrow = ACTIONS[action].narrow
    queryset = scoped(actor, queryset)
    if narrow is None or isinstance(actor, SystemActor):
        return queryset
    return queryset.filter(narrow(_profile(actor)))


def _narrowed(actor: Any, action: str, obj: Model) -> bool:
    narrow = ACTIONS[action].narrow
    if narrow is None or isinstance(actor, SystemActor):
        return True
    return type(obj)._default_manager.filter(narrow(_profile(actor)), pk=obj.pk).exists()


def _deny(actor: Any, action: str, object_type: str, object_id: object, reason: str) -> None:
    from homeward.apps.audit.services import audit_record

    audit_record(
        actor=actor,
        action=f"denied.{action}",
        object_type=object_type,
        object_id=object_id,
        data={"reason": reason},
    )


def refuse(actor: Any, action: str, object_type: str = "", object_id: object = "") -> NoReturn:
    """Audit and raise the 403 of ``action``: the role, the narrower rule, or a scope rule on values
    that are not objects (a heat-map filter naming another town) says no."""
    _deny(actor, action, object_type, object_id, "forbidden")
    raise PermissionDenied(ACTIONS[action].message, "forbidden")


def _not_found(actor: Any, action: str, object_type: str, object_id: object) -> NoReturn:
    _deny(actor, action, object_type, object_id, "not_found")
    raise NotFound(f"找不到该对象 (no such {object_type} in your scope)", "not_found")


def conceal(actor: Any, action: str, object_type: str, object_id: object) -> NoReturn:
    """Audit and raise the 404 of ``action`` for an object outside the actor's scope by a rule on
    what it hangs on (a scan seen through its vehicle or place), as for a scoped model."""
    _not_found(actor, action, object_type, object_id)


def authorize(actor: Any, action: str, obj: Model | None = None) -> None:
    """Allow ``actor`` to do ``action`` (to ``obj``), or audit the refusal and raise.

    Raises:
        NotFound: ``obj`` is outside the actor's scope (``SCOPES``).
        PermissionDenied: the actor's role (or grants) does not allow ``action``, or ``obj`` fails
            the action's narrower rule.
    """
    if action not in ACTIONS:
        raise LookupError(f"unknown action {action!r}: add it to accounts.policy.ACTIONS")
    if obj is None:
        if not _role_allowed(actor, action):
            refuse(actor, action, "", "")
        return
    object_type, scope = _scope_of(actor, type(obj))
    if not type(obj)._default_manager.filter(scope, pk=obj.pk).exists():
        _not_found(actor, action, object_type, obj.pk)
    if not _role_allowed(actor, action) or not _narrowed(actor, action, obj):
        refuse(actor, action, object_type, obj.pk)


def authorized[M: Model](actor: Any, action: str, queryset: QuerySet[M], pk: object) -> M:
    """The object ``pk`` of ``queryset``, once ``actor`` may do ``action`` to it (as ``authorize``;
    an id that does not exist gets the same 404 as one outside the actor's scope)."""
    if action not in ACTIONS:
        raise LookupError(f"unknown action {action!r}: add it to accounts.policy.ACTIONS")
    object_type, _scope = _scope_of(actor, queryset.model)
    obj = scoped(actor, queryset).filter(pk=pk).first()
    if obj is None:
        _not_found(actor, action, object_type, pk)
    if not _role_allowed(actor, action) or not _narrowed(actor, action, obj):
        refuse(actor, action, object_type, obj.pk)
    return obj


def allows(actor: Any, action: str, obj: Model | None = None) -> bool:
    """Whether ``authorize`` would allow it, without auditing: for what a page offers (buttons,
    links). The service still authorizes when the button is pressed."""
    if not _role_allowed(actor, action):
        return False
    if obj is None:
        return True
    _type, scope = _scope_of(actor, type(obj))
    return type(obj)._default_manager.filter(scope, pk=obj.pk).exists() and _narrowed(actor, action, obj)


def user_of(actor: Any) -> Any:
    """The signed-in User behind ``actor`` (for ``created_by`` fields), or None for a system actor."""
    return actor if getattr(actor, "is_authenticated", False) else None


class Permissions:
    """What the signed-in user may do, for templates: ``{% if can.plan_read %}`` is
    ``allows(user, "plan.read")`` (no object)."""

    def __init__(self, actor: Any) -> None:
        self._actor = actor

    def __getattr__(self, name: str) -> bool:
        action = name.replace("_", ".", 1)
        if action not in ACTIONS:
            raise AttributeError(name)
        return _role_allowed(self._actor, action)
