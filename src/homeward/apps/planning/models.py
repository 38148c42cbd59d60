"""Planning resources and plan runs.

Resources: train slots granted by the railway (专列), coaches (包车), drivers, medical escorts
(随车医护) and prevention kits (防疫物资包). A ``PlanRun`` is one run of the campaign planner
(``core.planning``) in the background; its vehicles (``PlanVehicle``) and the seat of every worker on
every leg (``PlanSeat``, also the unassigned workers with their reason) are rows, so that the board,
the manifests and an enterprise's own seats are indexed queries. The full ``PlanResult`` is kept as
gzipped JSON under ``MEDIA_ROOT/plans/`` for re-planning. ``Dispatch`` marks a vehicle as sent: a
re-plan keeps it (and the workers on it) as it is.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from homeward.apps.audit.runs import LeasedRun

# The ``base`` of the home city's own coaches, drivers and escorts (others: an origin region code).
HOME_BASE = "home"


class TrainSlot(models.Model):
    class Level(models.TextChoices):
        CITY = "city", _("市级专列")
        TOWN = "town", _("镇级专列")

    class State(models.TextChoices):
        REQUESTED = "requested", _("已申请")
        GRANTED = "granted", _("已批准")
        CANCELLED = "cancelled", _("已取消")

    name = models.CharField(_("车次名称"), max_length=40)  # e.g. named after the city or a town
    level = models.CharField(_("级别"), max_length=8, choices=Level.choices, default=Level.CITY)
    origin_station = models.CharField(_("始发站"), max_length=20)
    origin_telecode = models.CharField(_("始发站电报码"), max_length=3, blank=True)
    destination_station = models.CharField(_("到达站"), max_length=20)
    destination_telecode = models.CharField(_("到达站电报码"), max_length=3, blank=True)
    departs = models.DateTimeField(_("发车时间"))
    arrives = models.DateTimeField(_("到达时间"))
    seats = models.PositiveIntegerField(_("座位数"))
    load_cap_pct = models.PositiveSmallIntegerField(_("上座率上限 %"), default=50)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.REQUESTED)
    notes = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["departs", "name"]
        verbose_name = _("专列车次")
        verbose_name_plural = _("专列车次")
        constraints = [
            models.UniqueConstraint(fields=["name", "origin_station", "departs"], name="train_slot_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.origin_station}→{self.destination_station} {self.departs:%m-%d %H:%M}"


class Coach(models.Model):
    plate = models.CharField(_("车牌号"), max_length=20, unique=True)
    seats = models.PositiveSmallIntegerField(_("核定座位"))
    carrier = models.CharField(_("承运单位"), max_length=100)
    # HOME_BASE (the home city's own fleet) or the region code (prefecture or county) of an
    # origin-side operator
    base = models.CharField(_("驻地"), max_length=6, default=HOME_BASE)
    cost_per_km_fen = models.PositiveIntegerField(_("每公里费用(分)"), default=800)
    cost_per_day_fen = models.PositiveIntegerField(_("每日费用(分)"), default=100_000)
    active = models.BooleanField(_("可用"), default=True)

    class Meta:
        ordering = ["base", "plate"]
        verbose_name = _("包车车辆")
        verbose_name_plural = _("包车车辆")

    def __str__(self) -> str:
        return self.plate


class Driver(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    licence_no = models.CharField(_("驾驶证号"), max_length=30, unique=True)
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    carrier = models.CharField(_("承运单位"), max_length=100, blank=True)
    base = models.CharField(_("驻地"), max_length=6, default=HOME_BASE)
    active = models.BooleanField(_("可用"), default=True)

    class Meta:
        ordering = ["base", "name"]
        verbose_name = _("驾驶员")
        verbose_name_plural = _("驾驶员")

    def __str__(self) -> str:
        return self.name


class MedicalEscort(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=11)
    organisation = models.CharField(_("所属单位"), max_length=100, blank=True)
    base = models.CharField(_("驻地"), max_length=6, default=HOME_BASE)
    active = models.BooleanField(_("可用"), default=True)

    class Meta:
        ordering = ["base", "name"]
        verbose_name = _("随车医护")
        verbose_name_plural = _("随车医护")
        constraints = [models.UniqueConstraint(fields=["name", "phone"], name="escort_once")]

    def __str__(self) -> str:
        return self.name


class PreventionKit(models.Model):
    """A kind of kit and how many are in stock (masks, thermometers and disinfectant per kit)."""

    name = models.CharField(_("物资包名称"), max_length=50, unique=True)
    masks = models.PositiveIntegerField(_("口罩"), default=0)
    thermometers = models.PositiveIntegerField(_("体温计"), default=0)
    disinfectant_ml = models.PositiveIntegerField(_("消毒液(毫升)"), default=0)
    stock = models.PositiveIntegerField(_("库存(包)"), default=0)
    location = models.CharField(_("存放地点"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("防疫物资包")
        verbose_name_plural = _("防疫物资包")

    def __str__(self) -> str:
        return self.name


class PlanRunQuerySet(models.QuerySet["PlanRun"]):
    def in_force_first(self) -> PlanRunQuerySet:
        """Finished runs, the plan in force (the last to finish) first."""
        return self.filter(state=PlanRun.State.DONE).order_by("-finished_at", "-pk")


class PlanRun(LeasedRun):
    audit_type = "plan_run"

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度 %"), default=0)
    stage = models.CharField(_("阶段"), max_length=50, blank=True)
    seed = models.IntegerField(_("随机种子"), default=0)
    # {"max_iterations": .., "no_improvement": .., "max_seconds": ..}
    stop = models.JSONField(_("停止条件"), default=dict, blank=True)
    solver = models.CharField(_("求解器版本"), max_length=40, blank=True)
    plan_time = models.DateTimeField(_("计划基准时间"), null=True, blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("上一计划")
    )
    kpis = models.JSONField(_("指标"), default=dict, blank=True)
    baseline = models.JSONField(_("基线指标"), default=dict, blank=True)
    # the special trains the plan proposes to request from the railway (serialize.train_request_dict)
    train_requests = models.JSONField(_("建议申请专列"), default=list, blank=True)
    result_path = models.CharField(_("结果文件"), max_length=255, blank=True)
    reason = models.CharField(_("触发"), max_length=50, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the run read of the dispatch register: {"run": the plan in force, "dispatches": their ids};
    # re-checked when it stores its result (a plan that missed a dispatch fails as stale).
    basis = models.JSONField(default=dict, blank=True)

    objects = PlanRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("排班计划")
        verbose_name_plural = _("排班计划")
        indexes = [models.Index(fields=["state", "finished_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.state}"

    @property
    def active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)


class PlanVehicle(models.Model):
    class Kind(models.TextChoices):
        TRAIN = "train", _("专列")
        BUS = "bus", _("包车")
        SHUTTLE = "shuttle", _("接驳车")

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="vehicles")
    key = models.CharField(max_length=40)  # the planner's vehicle id, stable across re-plans
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("车辆"), max_length=40)  # plate or train name
    base = models.CharField(_("驻地"), max_length=8, blank=True)
    origin_area = models.CharField(_("服务地区"), max_length=6, blank=True)
    origin_name = models.CharField(_("出发地"), max_length=60, blank=True)
    destination_name = models.CharField(_("目的地"), max_length=60, blank=True)
    seats = models.PositiveIntegerField(_("座位"))
    seat_cap = models.PositiveIntegerField(_("限载"))
    passengers = models.PositiveIntegerField(_("乘客"))
    km = models.FloatField(_("里程(公里)"), default=0)
    departs = models.DateTimeField(_("出发"))
    arrives = models.DateTimeField(_("到达"))
    drivers = models.PositiveSmallIntegerField(_("驾驶员人数"), default=0)
    escorts = models.PositiveSmallIntegerField(_("医护人数"), default=0)
    deadline_met = models.BooleanField(_("按时"), default=True)
    feeds = models.CharField(max_length=40, blank=True)  # a shuttle: the train it meets
    # Contact tracing (DESIGN §5, ``core.tracing``): a sealed air-conditioned bus makes everyone on
    # board a close contact, a ventilated one only ±3 rows and the crew. Whether windows were open is
    # a fact of the trip (the task force records it), not of the coach, and unknown means sealed:
    # the default False is the safe side. Ignored for trains (the carriage rule).
    ventilated = models.BooleanField(_("通风行驶"), default=False)
    cost_fen = models.BigIntegerField(_("费用(分)"), default=0)
    # compact JSON: stops [{k, place, lat, lon, a, d, on, off}], drive [[driver, start, end]], kit, cost,
    # crew {drivers: [names], escorts: [names]}
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run_id", "kind", "departs", "key"]
        verbose_name = _("计划车辆")
        verbose_name_plural = _("计划车辆")
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="plan_vehicle_once")]
        indexes = [models.Index(fields=["run", "kind", "departs"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class PlanSeat(models.Model):
    """A worker's seat on one leg of a run (leg 0: train or bus, 1: station shuttle), or, with no
    vehicle, the reason the worker got none."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="seats")
    vehicle = models.ForeignKey(
        PlanVehicle, null=True, blank=True, on_delete=models.CASCADE, related_name="seat_rows"
    )
    leg = models.PositiveSmallIntegerField(default=0)
    seat = models.CharField(_("座位"), max_length=16, blank=True)
    worker = models.ForeignKey(
        "applications.ApplicationWorker", on_delete=models.CASCADE, related_name="plan_seats"
    )
    application = models.ForeignKey(
        "applications.ReturnApplication", on_delete=models.CASCADE, related_name="plan_seats"
    )
    enterprise_id = models.BigIntegerField(db_index=False)  # denormalised for the enterprise's own view
    reason = models.CharField(_("未安排原因"), max_length=24, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    # on the worker's first leg: expected at the factory after the application's deadline
    arrives = models.DateTimeField(_("预计到厂"), null=True, blank=True)
    minutes_late = models.PositiveIntegerField(_("超时分钟"), default=0)

    class Meta:
        ordering = ["run_id", "vehicle_id", "seat"]
        verbose_name = _("座位")
        verbose_name_plural = _("座位")
        constraints = [
            models.UniqueConstraint(fields=["run", "worker", "leg"], name="one_seat_per_leg"),
            models.UniqueConstraint(
                fields=["vehicle", "seat"], condition=Q(vehicle__isnull=False), name="seat_once"
            ),
        ]
        indexes = [
            models.Index(fields=["run", "enterprise_id"]),
            models.Index(fields=["run", "reason"]),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.vehicle_id}:{self.seat or self.reason}"


class Dispatch(models.Model):
    """A vehicle sent on its way: re-plans keep it and its passengers as they are."""

    vehicle = models.OneToOneField(PlanVehicle, on_delete=models.CASCADE, related_name="dispatch")
    dispatched_at = models.DateTimeField(_("发车登记时间"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("发车登记")
        verbose_name_plural = _("发车登记")

    def __str__(self) -> str:
        return f"{self.vehicle} dispatched {self.dispatched_at:%m-%d %H:%M}"
