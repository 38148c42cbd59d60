"""Masked by default, unmasked only for roles that need it, and every unmasked read audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeward.apps.accounts.policy import authorized
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import Worker
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
    worker = authorized(actor, "worker.reveal", Worker.objects.all(), worker_id)
    audit_record(
        actor=actor,
        action="worker.reveal",
        object_type="worker",
        object_id=worker.pk,
        data={"fields": ["id_number", "phone"]},
    )
    return WorkerContact(worker.pk, worker.id_number, worker.phone, False)
