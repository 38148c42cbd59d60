"""Return applications 接返申请, their workers, the case with department tasks, permits and keys.

State changes go through ``services``; every one is audited (``audit.AuditEvent``), which is also the
application's event history. Workers changed after acceptance are new rows plus ``removed_at`` on the
old ones, never overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Hours from acceptance to factory arrival (the 30-hour home plan); a project setting may override.
DEFAULT_DEADLINE_HOURS = int(getattr(settings, "HOMEWARD_APPLICATION_DEADLINE_HOURS", 30))


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    PLANNED = "planned", _("已排班")
    IN_TRANSIT = "in_transit", _("接返途中")
    COMPLETED = "completed", _("已到厂")
    CANCELLED = "cancelled", _("已取消")
    # A draft left past ``expires_at`` (HOMEWARD_DRAFT_TTL_HOURS): it no longer holds its workers.
    EXPIRED = "expired", _("已过期")


# States in which the application still holds its workers: its rows are ``live`` (the database
# allows one live, active row per ID number), and leaving these states clears the flag.
LIVE_STATES = (
    ApplicationState.DRAFT,
    ApplicationState.SUBMITTED,
    ApplicationState.ACCEPTED,
    ApplicationState.PLANNED,
    ApplicationState.IN_TRANSIT,
)
# States whose worker list changes are tracked (new rows + removed_at) rather than edited in place.
TRACKED_STATES = (ApplicationState.SUBMITTED, ApplicationState.ACCEPTED, ApplicationState.PLANNED)
# States an application may still be cancelled in (before the trip).
CANCELLABLE_STATES = (
    ApplicationState.DRAFT,
    ApplicationState.SUBMITTED,
    ApplicationState.ACCEPTED,
    ApplicationState.PLANNED,
)
# The moves after acceptance, made by the task force, the planner and journeys
# (``services.application_transition``): target state → the states it may be reached from. The
# other moves have their own services: draft → submitted (submit), submitted → accepted (accept),
# CANCELLABLE_STATES → cancelled (cancel), draft → expired (the draft sweeper).
# A case's tasks are worked from acceptance until the workers have arrived: the landing handover
# (镇街接站) is done while the bus is on the road.
TASKS_WORKABLE_IN = (ApplicationState.ACCEPTED, ApplicationState.PLANNED, ApplicationState.IN_TRANSIT)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    ApplicationState.PLANNED: (ApplicationState.ACCEPTED,),
    ApplicationState.IN_TRANSIT: (ApplicationState.ACCEPTED, ApplicationState.PLANNED),
    ApplicationState.COMPLETED: (ApplicationState.IN_TRANSIT,),
}


class ReturnApplication(models.Model):
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="return_applications"
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=ApplicationState.choices, default=ApplicationState.DRAFT
    )
    # When a draft stops holding its workers unless submitted (set when the draft is made).
    expires_at = models.DateTimeField(_("草稿到期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deadline_hours = models.PositiveSmallIntegerField(_("时限(小时)"), default=DEFAULT_DEADLINE_HOURS)
    deadline_at = models.DateTimeField(_("到厂时限"), null=True, blank=True, db_index=True)
    # the workers can be picked up from then on (the factory restarts later, they return on a stated
    # date): the plan picks them up no earlier, and the deadline clock runs from then
    pickup_from = models.DateTimeField(_("最早接送时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # The key of the submit request (Idempotency-Key header); unique per enterprise when set.
    idempotency_key = models.CharField(max_length=100, blank=True)
    # Set by the planner when the deadline cannot be met.
    at_risk = models.BooleanField(_("可能超时"), default=False)
    at_risk_reason = models.CharField(max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("接返申请")
        verbose_name_plural = _("接返申请")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="application_idempotency_key_once",
            )
        ]
        indexes = [models.Index(fields=["enterprise", "state"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.enterprise_id} {self.state}"

    @property
    def is_expired_draft(self) -> bool:
        return (
            self.state == ApplicationState.DRAFT
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )

    @property
    def shown_state(self) -> str:
        """The state as pages and the API show it: a draft past its expiry is expired, also before
        ``services.drafts_expire`` has recorded that (it runs whenever a hold is taken)."""
        return ApplicationState.EXPIRED.value if self.is_expired_draft else str(self.state)

    def get_shown_state_display(self) -> str:
        return str(ApplicationState(self.shown_state).label)


class HealthCode(models.TextChoices):
    GREEN = "green", _("绿码")
    YELLOW = "yellow", _("黄码")
    RED = "red", _("红码")


class ApplicationWorker(models.Model):
    application = models.ForeignKey(ReturnApplication, on_delete=models.CASCADE, related_name="workers")
    worker = models.ForeignKey(
        "registry.Worker", null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    id_number = models.CharField(_("身份证号"), max_length=18)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=11)
    origin_code = models.CharField(_("籍贯区县"), max_length=6, blank=True)
    pickup_county_code = models.CharField(_("接送区县"), max_length=6)
    health_code = models.CharField(_("健康码"), max_length=8, choices=HealthCode.choices)
    # Not on the enterprise's roster: recruited since, with the enterprise's reason (audited).
    new_hire = models.BooleanField(_("新员工"), default=False)
    new_hire_reason = models.CharField(_("新员工说明"), max_length=200, blank=True)
    active = models.BooleanField(default=True)
    # The application is in a LIVE_STATE (denormalised, kept in step by its state changes) so the
    # database itself holds "one live application per worker".
    live = models.BooleanField(default=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # The worker declined the trip on their own page (``trips``): the next plan leaves them out.
    declined_at = models.DateTimeField(_("已谢绝行程"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("申请人员")
        verbose_name_plural = _("申请人员")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "id_number"], condition=Q(active=True), name="one_active_row_per_id"
            ),
            models.UniqueConstraint(
                fields=["id_number"], condition=Q(active=True, live=True), name="one_live_application_per_id"
            ),
        ]
        indexes = [models.Index(fields=["id_number", "active"])]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.name}"


class Case(models.Model):
    """One per accepted application: the departments' tasks, worked in parallel."""

    class State(models.TextChoices):
        OPEN = "open", _("办理中")
        DONE = "done", _("已办结")
        CLOSED = "closed", _("已关闭")

    application = models.OneToOneField(ReturnApplication, on_delete=models.CASCADE, related_name="case")
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("一企一策")
        verbose_name_plural = _("一企一策")

    def __str__(self) -> str:
        return f"case {self.pk} of application {self.application_id}"


class TaskDepartment(models.TextChoices):
    TRANSPORT = "transport", _("交通")
    HEALTH = "health", _("卫健")
    HR = "hr", _("人社")
    RECEPTION = "reception", _("镇街接站")
    TASKFORCE = "taskforce", _("专班")


class TaskKind(models.TextChoices):
    VEHICLE_ROUTE_PASS = "vehicle_route_pass", _("车辆、路线与通行证")
    ESCORT_KIT_CHECKS = "escort_kit_checks", _("医护跟车、防疫物资、健康检测")
    LIST_CHECK_SUBSIDY = "list_check_subsidy", _("名单核对与补贴分担")
    LANDING_HANDOVER = "landing_handover", _("落地对接")
    LATE_ARRIVAL = "late_arrival", _("预计超时到达：接受或处理")


class DepartmentTask(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("待办")
        DONE = "done", _("已办")
        CANCELLED = "cancelled", _("已取消")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    department = models.CharField(max_length=12, choices=TaskDepartment.choices)
    kind = models.CharField(max_length=24, choices=TaskKind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case_id", "pk"]
        verbose_name = _("部门任务")
        verbose_name_plural = _("部门任务")
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="one_task_per_kind")]
        indexes = [models.Index(fields=["department", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} ({self.state})"


class PermitState(models.TextChoices):
    DRAFTED = "drafted", _("待签")
    ISSUED = "issued", _("已签发")
    REVOKED = "revoked", _("已撤销")


class Permit(models.Model):
    """A road pass (per vehicle) or a prevention permit (per trip); ``body`` is the canonical permit
    (``core.permits``) that every department signs.

    A permit belongs to an application (drafted from its transport task) or to a bus of a plan run
    (drafted from the planner's ``PermitDraft``): a pooled bus carries the workers of several
    applications, so its road pass hangs on the vehicle, and who may see it follows its seats."""

    class Kind(models.TextChoices):
        ROAD_PASS = "road_pass", _("通行证")
        PREVENTION = "prevention", _("防控许可证")

    permit_id = models.CharField(max_length=48, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    application = models.ForeignKey(
        ReturnApplication, null=True, blank=True, on_delete=models.PROTECT, related_name="permits"
    )
    plan_vehicle = models.ForeignKey(
        "planning.PlanVehicle", null=True, blank=True, on_delete=models.PROTECT, related_name="permits"
    )
    body = models.TextField()  # canonical JSON, exactly the signed bytes (UTF-8)
    payload = models.JSONField(default=dict)  # readable form (Permit.to_dict()) for lists and templates
    # core Department values joined by commas ("hr,transport"): filterable on every database
    required_signers = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=PermitState.choices, default=PermitState.DRAFTED)
    token = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["application_id", "kind", "permit_id"]
        verbose_name = _("许可证")
        verbose_name_plural = _("许可证")
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False) | Q(plan_vehicle__isnull=False),
                name="permit_has_application_or_plan_vehicle",
            ),
            models.UniqueConstraint(
                fields=["plan_vehicle", "kind"],
                condition=Q(plan_vehicle__isnull=False),
                name="one_permit_kind_per_plan_vehicle",
            ),
        ]

    def __str__(self) -> str:
        return self.permit_id

    @property
    def signer_list(self) -> list[str]:
        return [s for s in self.required_signers.split(",") if s]


class PermitSignature(models.Model):
    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="signatures")
    department = models.CharField(max_length=12)  # core Department value
    kid = models.CharField(max_length=16)
    signed_at = models.DateTimeField()
    signature = models.BinaryField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["permit_id", "department"]
        constraints = [
            models.UniqueConstraint(fields=["permit", "department"], name="one_signature_per_dept")
        ]

    def __str__(self) -> str:
        return f"{self.permit_id} {self.department} {self.kid}"


class DepartmentKey(models.Model):
    """A department's Ed25519 key. The private seed is stored encrypted (Fernet, key derived by HKDF
    from HOMEWARD_PERMIT_KEY_SECRET; see ``keystore``); the public key is plain."""

    department = models.CharField(max_length=12)  # core Department value
    kid = models.CharField(max_length=16, unique=True)
    public_key = models.BinaryField()
    private_key_encrypted = models.TextField()
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department", "valid_from"]
        verbose_name = _("部门签名密钥")
        verbose_name_plural = _("部门签名密钥")

    def __str__(self) -> str:
        return f"{self.department} {self.kid}"


class RevocationList(models.Model):
    """Each revocation produces the next list (sequence + 1), signed by the task force."""

    sequence = models.PositiveIntegerField(unique=True)
    issued_at = models.DateTimeField()
    permit_ids = models.JSONField(default=list)
    encoded = models.TextField()  # "HWR1.…" as carried in keys files
    kid = models.CharField(max_length=16)

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("撤销清单")
        verbose_name_plural = _("撤销清单")

    def __str__(self) -> str:
        return f"#{self.sequence} ({len(self.permit_ids)})"
