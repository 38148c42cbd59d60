"""Create and change users with their role. Every change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction

from homeward.apps.accounts.models import Profile
from homeward.apps.accounts.policy import authorize
from homeward.apps.accounts.roles import Role
from homeward.apps.audit.services import audit_record
from homeward.core.errors import DomainError


def roles_ensure_groups() -> None:
    """One auth Group per role, so admin permissions can be granted by role."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def user_create_with_role(
    *,
    actor: Any,
    username: str,
    password: str,
    role: Role | str,
    display_name: str = "",
    town: Any = None,
    enterprise: Any = None,
    province_code: str = "",
    place: str = "",
    escort: Any = None,
) -> User:
    authorize(actor, "user.create")
    role = Role(role)
    if role == Role.ENTERPRISE and enterprise is None:
        raise DomainError(
            "企业用户必须关联一个企业 (an enterprise user needs an enterprise)", "enterprise_required"
        )
    if role == Role.TOWN and town is None:
        raise DomainError("镇街用户必须关联一个镇街 (a town officer needs a town)", "town_required")
    if role == Role.ESCORT and escort is None:
        raise DomainError(
            "随车医护账号必须关联一名医护人员 (an escort login needs a medical escort)", "escort_required"
        )
    if User.objects.filter(username=username).exists():
        raise DomainError(f"用户名 {username} 已存在 (username taken)", "username_taken")
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password)
        if role == Role.TASKFORCE:
            user.is_staff = True
            user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        group, _ = Group.objects.get_or_create(name=role.value)
        user.groups.add(group)
        Profile.objects.create(
            user=user,
            role=role,
            display_name=display_name,
            town=town,
            enterprise=enterprise,
            province_code=province_code,
            place=place,
            escort=escort,
        )
        audit_record(
            actor=actor,
            action="user.create",
            object_type="user",
            object_id=user.pk,
            data={"username": username, "role": role.value},
        )
    return user
