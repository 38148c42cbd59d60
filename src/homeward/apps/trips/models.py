"""Tickets, worker links and health declarations.

``Ticket``: one worker's seats on the plan in force, as a signed token (``core.permits.Ticket``,
id ``TK-<worker row>-<n>``). A worker has at most one issued ticket; a re-plan that changes its legs
revokes it (its id goes on the signed revocation list) and issues the next number. ``legs`` is the
readable form with the plan's vehicle ids (``vehicle_id``, ``vehicle_key``) that scan events will
name; ``legs_hash`` is SHA-256 of the legs' canonical JSON, what a re-plan compares.

``WorkerLink``: how a worker without an account reaches their own page — one mechanism for tickets
(issued on an application row) and letters home (issued to a registry worker). The one-time link's
token and the short code are stored only as SHA-256 digests; the link is single use, the code (with
the ID number's last four) works until the link expires and is rate limited.

``HealthDeclaration``: append-only; the latest before the deadline is the one that counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from homeward.apps.applications.models import HealthCode


class TicketState(models.TextChoices):
    ISSUED = "issued", _("有效")
    REVOKED = "revoked", _("已作废")


class Ticket(models.Model):
    ticket_id = models.CharField(max_length=48, unique=True)  # the permit id inside the token
    worker = models.ForeignKey(
        "applications.ApplicationWorker", on_delete=models.CASCADE, related_name="tickets"
    )
    # the plan in force this ticket belongs to (an unchanged ticket moves on to the next run)
    run = models.ForeignKey("planning.PlanRun", on_delete=models.CASCADE, related_name="tickets")
    legs = models.JSONField(default=list)
    legs_hash = models.CharField(max_length=64)
    token = models.TextField()
    state = models.CharField(max_length=8, choices=TicketState.choices, default=TicketState.ISSUED)
    issued_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["worker_id", "-issued_at", "-pk"]
        verbose_name = _("电子车票")
        verbose_name_plural = _("电子车票")
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=Q(state="issued"), name="one_issued_ticket_per_worker"
            )
        ]
        indexes = [models.Index(fields=["run", "state"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} ({self.state})"


class WorkerLink(models.Model):
    # the application worker row a ticket hangs on (none for a letter to a worker on no application)
    worker = models.ForeignKey(
        "applications.ApplicationWorker",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="links",
    )
    # the registry worker: a letter home is sent to them, and a reply is theirs
    person = models.ForeignKey(
        "registry.Worker", null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)  # the one-time link was opened
    # a newer link for the same worker replaces this one (its link and code stop working)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("务工人员链接")
        verbose_name_plural = _("务工人员链接")
        constraints = [
            models.CheckConstraint(
                condition=Q(worker__isnull=False) | Q(person__isnull=False), name="link_names_a_worker"
            )
        ]
        indexes = [models.Index(fields=["person", "superseded_at"])]

    def __str__(self) -> str:
        return f"link {self.pk} of {self.worker_id}"


class HealthDeclaration(models.Model):
    worker = models.ForeignKey(
        "applications.ApplicationWorker", on_delete=models.CASCADE, related_name="health_declarations"
    )
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    health_code = models.CharField(_("健康码"), max_length=8, choices=HealthCode.choices)
    temperature_c = models.DecimalField(_("体温 °C"), max_digits=3, decimal_places=1)
    declared_at = models.DateTimeField()
    nonce = models.CharField(max_length=64)  # from the form: a resent form is stored once

    class Meta:
        ordering = ["worker_id", "-declared_at", "-pk"]
        verbose_name = _("健康申报")
        verbose_name_plural = _("健康申报")
        constraints = [models.UniqueConstraint(fields=["worker", "nonce"], name="health_declaration_once")]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.health_code} {self.temperature_c}"


class ScanCheckpoint(models.TextChoices):
    BOARD = "board", _("上车")
    STATION_ARRIVAL = "station_arrival", _("到站")
    SHUTTLE_BOARD = "shuttle_board", _("接驳上车")
    GATE = "gate", _("到厂交接")


class ScanOutcome(models.TextChoices):
    OK = "ok", _("通过")
    OBSERVATION = "observation", _("留观")
    REFUSED = "refused", _("拒绝")


class ScanEvent(models.Model):
    """One scan at a handover, append-only (``trips.services.scans.scan_record``; never updated or
    deleted). The device makes ``nonce`` (a UUID) and stamps ``client_at``; the same nonce again is the
    same scan. Worker, seat and vehicle states are derived from these rows (``trips.selectors``, the
    conflict rule in ``core.scans``), never stored."""

    nonce = models.CharField(max_length=64, unique=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="scans")
    worker = models.ForeignKey(
        "applications.ApplicationWorker",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scans",
    )
    leg = models.PositiveSmallIntegerField(default=0)
    checkpoint = models.CharField(_("环节"), max_length=16, choices=ScanCheckpoint.choices)
    place = models.CharField(_("地点"), max_length=100, blank=True)
    vehicle_key = models.CharField(_("车辆"), max_length=40, blank=True)  # the plan's stable vehicle key
    vehicle = models.CharField(max_length=40, blank=True)  # plate or train name, as the ticket says
    manual = models.BooleanField(default=False)  # the ID number was typed, no ticket was read
    temperature_c = models.DecimalField(_("体温 °C"), max_digits=3, decimal_places=1, null=True, blank=True)
    health_code = models.CharField(_("健康码"), max_length=8, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=ScanOutcome.choices)
    reason = models.CharField(max_length=32, blank=True)
    # what the server answered when it stored the scan: recorded / conflict / refused
    answer = models.CharField(max_length=10)
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scanned_by_name = models.CharField(max_length=60, blank=True)
    client_at = models.DateTimeField()
    server_at = models.DateTimeField()

    class Meta:
        ordering = ["client_at", "nonce"]
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")
        indexes = [
            models.Index(fields=["worker", "checkpoint"]),
            models.Index(fields=["vehicle_key", "checkpoint"]),
        ]

    def __str__(self) -> str:
        return f"{self.nonce} {self.checkpoint} {self.outcome}"


class ObservationOutcome(models.TextChoices):
    PENDING = "pending", _("待判定")
    CLEARED = "cleared", _("排除，可改乘后续车次")
    ISOLATED = "isolated", _("隔离")


class ObservationHandover(models.Model):
    """A worker in observation handed to a health post (``trips.services.observations``): one per
    observation scan (the scan that routed them there), so a resent hand-over is stored once. The
    health department records the outcome later (cleared: may travel on a later trip; isolated)."""

    scan = models.OneToOneField(ScanEvent, on_delete=models.PROTECT, related_name="handover")
    worker = models.ForeignKey(
        "applications.ApplicationWorker", on_delete=models.PROTECT, related_name="observation_handovers"
    )
    vehicle_key = models.CharField(max_length=40, blank=True)
    rear_seat = models.CharField(_("留观座位"), max_length=20)  # the rear-row seat kept as the zone
    health_post = models.CharField(_("健康点"), max_length=100)
    handed_by = models.CharField(_("交接人"), max_length=60)
    received_by = models.CharField(_("接收人"), max_length=60)
    handed_at = models.DateTimeField(_("交接时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(
        _("判定"), max_length=10, choices=ObservationOutcome.choices, default=ObservationOutcome.PENDING
    )
    outcome_note = models.CharField(_("备注"), max_length=200, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-handed_at", "-pk"]
        verbose_name = _("留观交接")
        verbose_name_plural = _("留观交接")
        indexes = [models.Index(fields=["vehicle_key"]), models.Index(fields=["outcome", "handed_at"])]

    def __str__(self) -> str:
        return f"{self.worker_id} → {self.health_post} ({self.outcome})"
