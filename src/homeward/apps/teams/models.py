"""Service teams in the origin provinces (服务小分队) and what they record there.

``Team``: one per origin province (2-digit code), with its base city and its members from HR,
police, health and the towns. Signed-in team users are ``Profile`` rows with role ``service_team``
and the same province; ``TeamMember`` is the roster of the people on the ground (phones to call).

``HealthStatus``: a worker's origin-side health status (health-code colour and issuing province, the
latest test's result and time), append-only: the latest recorded for an ID number is the one that
counts. Verification (``verified_at``) is the team's or the health department's check of it against
its source; the recognition rule (``core.recognition``) reads only verified statuses.

``TestBooking``: a test scheduled at the origin for a passenger of a trip (testing aid); its result,
once entered, is a ``HealthStatus`` like any other (``result``: the latest entered against it), so
the boarding check reads it like any status: positive, or no negative one within the rule's window,
refuses boarding.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from homeward.apps.applications.models import HealthCode


class Team(models.Model):
    province_code = models.CharField(_("省份代码"), max_length=2, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    base_city = models.CharField(_("驻点城市"), max_length=40)
    active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["province_code"]
        verbose_name = _("服务小分队")
        verbose_name_plural = _("服务小分队")

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    class Department(models.TextChoices):
        HR = "hr", _("人社")
        POLICE = "police", _("公安")
        HEALTH = "health", _("卫健")
        TOWN = "town", _("镇街")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    department = models.CharField(_("所属部门"), max_length=8, choices=Department.choices)
    phone = models.CharField(_("手机号"), max_length=11)

    class Meta:
        ordering = ["team_id", "department", "name"]
        verbose_name = _("小分队队员")
        verbose_name_plural = _("小分队队员")
        constraints = [models.UniqueConstraint(fields=["team", "name", "phone"], name="team_member_once")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_department_display()})"


class TestResult(models.TextChoices):
    NONE = "", _("未检测")
    PENDING = "pending", _("待出结果")
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")


class HealthStatus(models.Model):
    id_number = models.CharField(_("身份证号"), max_length=18)
    # the worker's origin province (2 digits, from the ID number's region): whose team sees it
    province = models.CharField(_("所属省份"), max_length=2)
    health_code = models.CharField(_("健康码"), max_length=8, choices=HealthCode.choices)
    code_province = models.CharField(_("健康码签发省份"), max_length=2)
    test_result = models.CharField(_("核酸结果"), max_length=8, choices=TestResult.choices, blank=True)
    tested_at = models.DateTimeField(_("采样时间"), null=True, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nonce = models.CharField(max_length=64)  # from the form: a resent form is stored once

    class Meta:
        ordering = ["id_number", "-recorded_at", "-pk"]
        verbose_name = _("健康状态")
        verbose_name_plural = _("健康状态")
        constraints = [models.UniqueConstraint(fields=["nonce"], name="health_status_once")]
        indexes = [models.Index(fields=["id_number", "recorded_at"]), models.Index(fields=["province"])]

    def __str__(self) -> str:
        return f"{self.id_number[-4:]} {self.health_code} {self.test_result}"


class TestBooking(models.Model):
    """A test at the origin for one passenger before a trip (by the vehicle's stable plan key)."""

    worker = models.ForeignKey(
        "applications.ApplicationWorker", on_delete=models.CASCADE, related_name="test_bookings"
    )
    province = models.CharField(max_length=2)
    vehicle_key = models.CharField(max_length=40)
    place = models.CharField(_("采样点"), max_length=60)
    scheduled_at = models.DateTimeField(_("采样时间"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the status recording the test's result (the latest entered against this booking)
    result = models.ForeignKey(
        HealthStatus, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scheduled_at", "worker_id"]
        verbose_name = _("核酸预约")
        verbose_name_plural = _("核酸预约")
        constraints = [models.UniqueConstraint(fields=["worker", "vehicle_key"], name="test_booking_once")]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.vehicle_key} {self.scheduled_at:%m-%d %H:%M}"


class Vacancy(models.Model):
    """A job an enterprise posts (岗位需求): teams in the origin provinces see every open one."""

    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.CASCADE, related_name="vacancies")
    role = models.CharField(_("岗位"), max_length=40)
    count = models.PositiveIntegerField(_("人数"))
    pay_min = models.PositiveIntegerField(_("月薪下限(元)"))
    pay_max = models.PositiveIntegerField(_("月薪上限(元)"))
    skills = models.JSONField(_("技能"), default=list)
    town = models.ForeignKey("registry.Town", on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("到岗日期"))
    open = models.BooleanField(_("招聘中"), default=True)
    created_at = models.DateTimeField()
    nonce = models.CharField(max_length=64, unique=True)  # from the form: a resent form posts once

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("岗位需求")
        verbose_name_plural = _("岗位需求")

    def __str__(self) -> str:
        return f"{self.role} ×{self.count}"


class Recruit(models.Model):
    """A new worker a team registered at the origin (新员工招录), with skills and preferences."""

    province = models.CharField(max_length=2)
    id_number = models.CharField(_("身份证号"), max_length=18)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=11)
    county = models.CharField(_("所在区县"), max_length=6)
    skills = models.JSONField(_("技能"), default=list)
    pay_wanted = models.PositiveIntegerField(_("期望月薪(元)"), default=0)
    towns = models.JSONField(_("意向镇街"), default=list)  # town codes; empty: any
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("新招员工")
        verbose_name_plural = _("新招员工")
        constraints = [models.UniqueConstraint(fields=["id_number"], name="recruit_once")]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    class State(models.TextChoices):
        OFFERED = "offered", _("已发出")
        ACCEPTED = "accepted", _("已接受")

    vacancy = models.ForeignKey(Vacancy, on_delete=models.CASCADE, related_name="offers")
    recruit = models.ForeignKey(Recruit, on_delete=models.CASCADE, related_name="offers")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OFFERED)
    offered_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    # where the accepted recruit travels: the application made for them, and the plan vehicle seated on
    application = models.ForeignKey(
        "applications.ReturnApplication", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    vehicle_key = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-offered_at", "-pk"]
        verbose_name = _("录用通知")
        verbose_name_plural = _("录用通知")
        constraints = [
            models.UniqueConstraint(fields=["vacancy", "recruit"], name="offer_once"),
            # a recruit takes one job
            models.UniqueConstraint(fields=["recruit"], condition=models.Q(state="accepted"), name="one_job"),
        ]

    def __str__(self) -> str:
        return f"{self.recruit_id}→{self.vacancy_id} {self.state}"
