"""Letters home 家书: campaigns, one letter per worker × campaign, opt-outs, replies and intentions.

``Campaign``: a letter template, an audience (the heat map's filters, ``core.outreach.audience``) and a
channel; sending is a background run (``audit.runs``: claimed once, under a lease, with progress).
``Letter``: one per worker × campaign — a unique constraint, so a resumed campaign cannot write a
second letter to anyone; its ``batch`` is fixed when the audience is written down, so the batch a
crash interrupted is the same batch when it is sent again (the channel overwrites it).
``OptOut``: a worker who asked for no more letters; honoured when the audience is written down and
again when each batch goes out.
``Reply``: what a worker answered through their link (append-only; the form's nonce makes a resent
form count once). ``Intention``: the latest reply per worker — their known whereabouts and plan,
what the heat map counts and the employer turns into a return application.
``KeywordMessage``: an SMS keyword reply as the gateway passed it on, with what became of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from homeward.apps.applications.models import HealthCode
from homeward.apps.audit.runs import LeasedRun


class Channel(models.TextChoices):
    FILE = "file", _("文件（演示）")
    PRINT = "print", _("打印信件")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信模板消息")


class Campaign(LeasedRun):
    audit_type = "campaign"

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("发送中")
        DONE = "done", _("已发完")
        FAILED = "failed", _("已中断")

    name = models.CharField(_("名称"), max_length=100)
    template = models.TextField(_("信件模板"))
    hotline = models.CharField(_("咨询热线"), max_length=40)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.FILE)
    audience = models.JSONField(_("收信人范围"), default=dict)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    batch_size = models.PositiveIntegerField(default=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # the audience was written down as letters (once: a resumed campaign keeps its letters)
    materialised_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    letters_total = models.PositiveIntegerField(default=0)
    letters_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("家书活动")
        verbose_name_plural = _("家书活动")

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(99, self.letters_done * 100 // self.letters_total) if self.letters_total else 0


class LetterState(models.TextChoices):
    QUEUED = "queued", _("待发")
    SENT = "sent", _("已发出")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("失败")
    OPTED_OUT = "opted_out", _("已退订")


class Letter(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="letters")
    person = models.ForeignKey("registry.Worker", on_delete=models.CASCADE, related_name="letters")
    seq = models.PositiveIntegerField()
    batch = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=LetterState.choices, default=LetterState.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["campaign_id", "seq"]
        verbose_name = _("家书")
        verbose_name_plural = _("家书")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="one_letter_per_worker_and_campaign")
        ]
        indexes = [models.Index(fields=["campaign", "batch", "state"]), models.Index(fields=["person"])]

    def __str__(self) -> str:
        return f"letter {self.campaign_id}/{self.seq} {self.state}"


class OptOut(models.Model):
    person = models.OneToOneField("registry.Worker", on_delete=models.CASCADE, related_name="opt_out")
    at = models.DateTimeField()
    source = models.CharField(max_length=20)  # reply, keyword

    class Meta:
        verbose_name = _("退订")
        verbose_name_plural = _("退订")

    def __str__(self) -> str:
        return f"opt-out {self.person_id}"


class IntentionKind(models.TextChoices):
    RETURNING = "returning", _("打算返岗")
    NOT_RETURNING = "not_returning", _("暂不返岗")


class Reply(models.Model):
    person = models.ForeignKey("registry.Worker", on_delete=models.CASCADE, related_name="replies")
    kind = models.CharField(_("意向"), max_length=16, choices=IntentionKind.choices)
    return_date = models.DateField(_("返程日期"), null=True, blank=True)
    county_code = models.CharField(_("现在所在区县"), max_length=6, blank=True)
    needs_transport = models.BooleanField(_("需要接送"), default=False)
    health_code = models.CharField(_("健康码"), max_length=8, choices=HealthCode.choices, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    replied_at = models.DateTimeField()
    nonce = models.CharField(max_length=64)

    class Meta:
        ordering = ["-replied_at", "-pk"]
        verbose_name = _("回信")
        verbose_name_plural = _("回信")
        constraints = [models.UniqueConstraint(fields=["person", "nonce"], name="reply_once")]

    def __str__(self) -> str:
        return f"reply {self.person_id} {self.kind}"


class Intention(models.Model):
    """The worker's latest reply: their known whereabouts and plan (one row per worker)."""

    person = models.OneToOneField("registry.Worker", on_delete=models.CASCADE, related_name="intention")
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("意向"), max_length=16, choices=IntentionKind.choices)
    return_date = models.DateField(_("返程日期"), null=True, blank=True)
    county_code = models.CharField(_("现在所在区县"), max_length=6, blank=True)
    needs_transport = models.BooleanField(_("需要接送"), default=False)
    health_code = models.CharField(_("健康码"), max_length=8, blank=True)
    updated_at = models.DateTimeField()
    # the return application the employer made from it (converted)
    application = models.ForeignKey(
        "applications.ReturnApplication", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("返程意向")
        verbose_name_plural = _("返程意向")
        indexes = [models.Index(fields=["kind", "county_code"])]

    def __str__(self) -> str:
        return f"intention {self.person_id} {self.kind}"


class KeywordMessage(models.Model):
    """An SMS the gateway passed on (``core.outreach.keywords``), once per gateway message id: a
    message sent again answers what it got the first time."""

    message_id = models.CharField(max_length=64, unique=True)
    phone = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    received_at = models.DateTimeField()
    person = models.ForeignKey(
        "registry.Worker", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=12)  # replied / opted_out / refused
    reason = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=200, blank=True)
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("短信回复")
        verbose_name_plural = _("短信回复")

    def __str__(self) -> str:
        return f"sms {self.message_id} {self.outcome}"
