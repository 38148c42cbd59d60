"""Masked by default, unmasked only for roles that need it, and every unmasked read audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeward.apps.accounts.roles import profile_of
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import Worker
from homeward.apps.registry.selectors import workers_visible
from homeward.core.errors import NotFound, PermissionDenied
from homeward.core.identity import mask_phone, mask_ric


@dataclass(frozen=True)
class WorkerContact:
    worker_id: int
    id_number: str
    phone: str
    masked: bool


def worker_contact_masked(worker: Worker) -> WorkerContact:
    return WorkerContact(worker.pk, mask_ric(worker.id_number), mask_phone(worker.phone), True)


def worker_reveal(*, actor: Any, worker_id: int) -> WorkerContact:
    """The full ID number and phone of one worker, for a role that needs them; audited either way.

    Not wrapped in a transaction on purpose: a denial raises, and its audit event must still land.
    """
    profile = profile_of(actor)
    worker = workers_visible(actor=actor).filter(pk=worker_id).first()
    if worker is None:
        audit_record(actor=actor, action="denied.worker.reveal", object_type="worker", object_id=worker_id)
        raise NotFound("找不到该务工人员 (worker not found)", "not_found")
    if profile is None or not profile.sees_personal_data:
        audit_record(actor=actor, action="denied.worker.reveal", object_type="worker", object_id=worker_id)
        raise PermissionDenied(
            "您的角色无权查看完整个人信息 (your role may not see personal data)", "forbidden"
        )
    audit_record(
        actor=actor,
        action="worker.reveal",
        object_type="worker",
        object_id=worker.pk,
        data={"fields": ["id_number", "phone"]},
    )
    return WorkerContact(worker.pk, worker.id_number, worker.phone, False)
