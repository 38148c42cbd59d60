from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from homeward.apps.accounts.roles import Role


class Profile(models.Model):
    """Who a user is in Homeward: one role, and the scope that role is bound to."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    display_name = models.CharField(_("显示名"), max_length=100, blank=True)
    town = models.ForeignKey(
        "registry.Town", null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # Service teams work one origin province (2-digit prefix of its code, e.g. "52" for 贵州).
    province_code = models.CharField(_("省份代码"), max_length=6, blank=True)
    # Station and gate staff scan at one place (a station telecode or an enterprise gate).
    place = models.CharField(_("地点"), max_length=100, blank=True)
    # An escort login is one medical escort of the planning pool; the plan crews vehicles with them.
    # An escort taken out of the pool takes the login's role along (the user stays, with no role).
    escort = models.ForeignKey(
        "planning.MedicalEscort", null=True, blank=True, on_delete=models.CASCADE, related_name="logins"
    )

    class Meta:
        verbose_name = _("用户档案")
        verbose_name_plural = _("用户档案")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="enterprise") | models.Q(enterprise__isnull=False),
                name="enterprise_role_has_enterprise",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="town") | models.Q(town__isnull=False),
                name="town_role_has_town",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="escort") | models.Q(escort__isnull=False),
                name="escort_role_has_escort",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
