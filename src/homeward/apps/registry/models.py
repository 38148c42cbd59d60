"""The home city and its destination stations, towns, enterprises, workers, roster membership, police
arrivals, carrier aggregates, county risk.

Region codes (origin counties, carrier counties) are stored as 6-digit strings and resolved through
``homeward.core.regions``; they are not foreign keys because the region list is shipped data.
"""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from homeward.apps.audit.runs import LeasedRun


class HomeCity(models.Model):
    """The city this installation serves: one row, written by ``homeward setup --city CODE`` (or the
    first-run page). Its point is where the city's own coaches start (the coach base)."""

    # Always 1: a second row cannot exist.
    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    code = models.CharField(_("区县代码"), max_length=6)
    name = models.CharField(_("名称"), max_length=50)  # 义乌市
    full_name = models.CharField(_("全称"), max_length=100)  # 浙江省金华市义乌市
    display_name = models.CharField(_("显示名称"), max_length=50)  # in page titles
    organiser = models.CharField(_("组织单位"), max_length=100)  # on permits: 义乌市企业复工复产返岗专班
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    set_up_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("本市")
        verbose_name_plural = _("本市")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="one_home_city")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class HomeStation(models.Model):
    """A railway station where the city's workers arrive, from the curated table, nearest first."""

    name = models.CharField(_("站名"), max_length=20, unique=True)
    telecode = models.CharField(_("电报码"), max_length=3)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    distance_km = models.FloatField(_("距本市(公里)"))
    rank = models.PositiveSmallIntegerField(_("顺序"))  # 1 = the nearest, the default arrival station
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["rank", "name"]
        verbose_name = _("到达车站")
        verbose_name_plural = _("到达车站")

    def __str__(self) -> str:
        return f"{self.name}站"


# The kinds of township-level units (core.regions.TownKind) as pages show them.
TOWN_KIND_LABELS = {
    "街道": pgettext_lazy("town kind", "街道"),
    "镇": pgettext_lazy("town kind", "镇"),
    "乡": pgettext_lazy("town kind", "乡"),
    "其他": pgettext_lazy("town kind", "其他"),
}


class Town(models.Model):
    """A town (镇), subdistrict (街道) or other township-level unit of the city, by its MCA code."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    kind = models.CharField(_("类型"), max_length=8)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    # True when no source locates the town and its point is its county's (see core.regions).
    approximate_point = models.BooleanField(_("位置为近似值"), default=True)
    # Other names offices write for this town in their files (a former name, a common short form),
    # separated by commas, 、 or spaces; imports match them as they match the name.
    aliases = models.CharField(_("别名"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("镇街")
        verbose_name_plural = _("镇街")

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        """The kind in the active language (the column keeps the Chinese kind of core.regions)."""
        return str(TOWN_KIND_LABELS.get(self.kind, self.kind))

    @staticmethod
    def split_aliases(text: str) -> list[str]:
        return [a for a in re.split(r"[,，、;；\s]+", text) if a]


class Enterprise(models.Model):
    class Size(models.TextChoices):
        MICRO = "micro", _("微型")
        SMALL = "small", _("小型")
        MEDIUM = "medium", _("中型")
        LARGE = "large", _("大型")

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=200)
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="enterprises")
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    size = models.CharField(_("规模"), max_length=8, choices=Size.choices, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_key = models.BooleanField(_("重点企业"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        indexes = [models.Index(fields=["town", "is_key"])]

    def __str__(self) -> str:
        return self.name


class Worker(models.Model):
    class Status(models.TextChoices):
        UNKNOWN = "unknown", _("未知")
        AWAY = "away", _("未返")
        RETURNED = "returned", _("已返")

    # The 18-digit resident ID, kept for matching across sources; shown masked unless a role needs it.
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    # Today's county for the ID's area code at issue, resolved by birth year (see core.identity).
    origin_code = models.CharField(_("籍贯区县"), max_length=6, db_index=True)
    birth_date = models.DateField(_("出生日期"))
    employer = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.SET_NULL, related_name="workers"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    # Where the worker last said they are now (a letter home's reply): the heat map counts them there
    # instead of at the ID's county (the fusion's ``declared_code``). Blank: never said.
    # (a database default too: the bulk importers insert rows with raw SQL)
    declared_code = models.CharField(_("现在所在区县"), max_length=6, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("务工人员")
        verbose_name_plural = _("务工人员")
        indexes = [models.Index(fields=["employer", "status"])]

    def __str__(self) -> str:
        return self.name


class RosterMembership(models.Model):
    """A worker on an enterprise's social-insurance roster (参保)."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="memberships")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="memberships")
    insured_since = models.DateField(_("参保日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("参保关系")
        verbose_name_plural = _("参保关系")
        constraints = [models.UniqueConstraint(fields=["worker", "enterprise"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.worker_id}@{self.enterprise_id}"


class PoliceArrival(models.Model):
    """A police registration of a person arriving in the city (公安 到达登记)."""

    id_number = models.CharField(_("身份证号"), max_length=18)
    arrived_on = models.DateField(_("到达日期"))
    place = models.CharField(_("地点"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("公安到达记录")
        verbose_name_plural = _("公安到达记录")
        constraints = [
            models.UniqueConstraint(fields=["id_number", "arrived_on", "place"], name="one_arrival_record")
        ]
        indexes = [models.Index(fields=["id_number"])]

    def __str__(self) -> str:
        return f"{self.arrived_on} {self.place}"


class CarrierAggregate(models.Model):
    """Mobile-carrier count of phones whose home is the city, seen in a county on a date."""

    date = models.DateField(_("日期"))
    county_code = models.CharField(_("所在区县代码"), max_length=6)
    count = models.PositiveIntegerField(_("人数"))

    class Meta:
        verbose_name = _("运营商聚合")
        verbose_name_plural = _("运营商聚合")
        constraints = [models.UniqueConstraint(fields=["date", "county_code"], name="one_carrier_count")]

    def __str__(self) -> str:
        return f"{self.date} {self.county_code}: {self.count}"


class CountyRisk(models.Model):
    """Epidemic risk level of an origin county, as published; decides whether travel is allowed."""

    class Level(models.TextChoices):
        LOW = "low", _("低风险")
        MEDIUM = "medium", _("中风险")
        HIGH = "high", _("高风险")

    county_code = models.CharField(_("区县代码"), max_length=6, unique=True)
    level = models.CharField(_("风险等级"), max_length=8, choices=Level.choices, default=Level.LOW)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("区县风险等级")
        verbose_name_plural = _("区县风险等级")

    def __str__(self) -> str:
        return f"{self.county_code}: {self.level}"


class ImportRun(LeasedRun):
    """One import of a file (CLI or web upload), with its report. Web uploads run as a task."""

    audit_type = "import_run"

    class Kind(models.TextChoices):
        ROSTER = "roster", _("参保名册")
        POLICE = "police", _("公安到达")
        CARRIER = "carrier", _("运营商")

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A retried upload (API header Idempotency-Key) returns the run it already started.
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # {accepted, updated, unchanged, rejected: [{row, field, reason, message}]}
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_import_per_idempotency_key",
            )
        ]
        verbose_name = _("导入")
        verbose_name_plural = _("导入")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.state}"


class ExportRun(LeasedRun):
    """One .xlsx export of a registry list, built by the task worker with progress (the city's
    670,000 workers took over a minute in the request). Only its creator sees and downloads it."""

    audit_type = "export_run"

    class Kind(models.TextChoices):
        WORKERS = "workers", _("务工人员")

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导出中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.WORKERS)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    # the list's filters as asked ({enterprise, status, q}); the same request again while this one
    # is queued or running returns it
    filters = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导出")
        verbose_name_plural = _("导出")

    def __str__(self) -> str:
        return f"{self.kind} export #{self.pk} {self.state}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
