"""Heat-map snapshots (one fusion run, stored compactly) and the per-worker status behind them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from homeward.apps.audit.runs import LeasedRun


class HeatmapSnapshot(LeasedRun):
    """One rebuild of the heat map as of a day. The computed tables are Parquet files in
    ``MEDIA_ROOT/heatmap/snapshot-<id>/`` (see ``store.py``); ``summary`` keeps the headline totals."""

    audit_type = "heatmap_snapshot"
    finished_field = "built_at"

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    as_of = models.DateField(_("截至日期"))
    window_start = models.DateField(_("统计起始日"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    stage = models.CharField(_("阶段"), max_length=50, blank=True)
    # FusionParams beyond the dates (hotspot threshold, disagreement ratio, min cell)
    params = models.JSONField(default=dict, blank=True)
    # {workers, away, returned, unknown, carrier_estimate, hotspots, seconds: {...}, inputs: {...}}
    summary = models.JSONField(default=dict, blank=True)
    path = models.CharField(_("结果目录"), max_length=255, blank=True)
    reason = models.CharField(_("触发"), max_length=50, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = "built_at"
        verbose_name = _("热图快照")
        verbose_name_plural = _("热图快照")
        indexes = [models.Index(fields=["state", "built_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of} {self.state}"

    @property
    def active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)


class WorkerStatus(models.Model):
    """The fused status of a worker with the source and date behind it (``Worker.status`` keeps the
    status itself, written back in bulk by each rebuild)."""

    class Source(models.TextChoices):
        POLICE = "police", _("公安到达")
        INTENTION = "intention", _("返岗意向")
        ROSTER = "roster", _("参保名册")

    worker = models.OneToOneField(
        "registry.Worker", primary_key=True, on_delete=models.CASCADE, related_name="fused_status"
    )
    status = models.CharField(_("状态"), max_length=10)
    source = models.CharField(_("依据"), max_length=10, choices=Source.choices)
    date = models.DateField(_("依据日期"), null=True, blank=True)
    origin_code = models.CharField(_("所在区县"), max_length=6)
    snapshot = models.ForeignKey(HeatmapSnapshot, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("务工人员状态")
        verbose_name_plural = _("务工人员状态")

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.status} ({self.source} {self.date})"
