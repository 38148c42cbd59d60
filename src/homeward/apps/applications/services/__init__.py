"""Writes for return applications, cases, department tasks and permits, by sub-domain:

- ``states``: the state machine's moves (the table of allowed transitions is beside the states, in
  ``applications.models``);
- ``lifecycle``: create, submit, accept, move, cancel, flag an application; expire drafts;
- ``holds`` and ``workers``: who an application may hold, and its worker list;
- ``tasks`` and ``task_data``: the case's department tasks and the data that completes them;
- ``permits``: draft, sign, revoke, verify, render permits; the public keys file.

Every service is ``<entity>_<action>(*, actor, ...)`` and starts with the permission policy
(``accounts.policy.authorize``/``authorized``), outside the transaction, so that a denial's audit
event lands even though the service raises (404 when the object is outside the actor's scope, 403
when it is visible but the action is not the actor's). The change itself runs in
``transaction.atomic`` with its audit event; state transitions are conditional UPDATEs
(``filter(state=from).update(state=to)``) so a repeated submit or accept applies once; unique
constraints are the last guard (one live application per ID, one signature per department).

Callers import from this package (``from homeward.apps.applications.services import X``).
"""

from __future__ import annotations

from homeward.apps.applications.models import TRANSITIONS
from homeward.apps.applications.services.holds import NOT_ON_ROSTER, UNAVAILABLE
from homeward.apps.applications.services.lifecycle import (
    MAX_DEADLINE_HOURS,
    application_accept,
    application_cancel,
    application_create_draft,
    application_flag_at_risk,
    application_submit,
    application_transition,
    draft_ttl,
    drafts_expire,
)
from homeward.apps.applications.services.permits import (
    FILLABLE_FIELDS,
    core_permit,
    keys_file_text,
    permit_draft,
    permit_fill,
    permit_get,
    permit_pdf,
    permit_revoke,
    permit_sign,
    permit_store,
    permit_verify,
    revocation_list_publish,
    signed_permit,
    verify_url,
)
from homeward.apps.applications.services.states import application_get
from homeward.apps.applications.services.task_data import DEFAULT_PERMIT_HOURS, LATE_DECISIONS
from homeward.apps.applications.services.tasks import (
    CASE_TASKS,
    case_late_task_sync,
    department_task_complete,
)
from homeward.apps.applications.services.workers import (
    application_worker_add,
    application_worker_remove,
    application_worker_replace,
    application_workers_add_from_roster,
    application_workers_upload,
)

__all__ = [
    "FILLABLE_FIELDS",
    "CASE_TASKS",
    "DEFAULT_PERMIT_HOURS",
    "LATE_DECISIONS",
    "MAX_DEADLINE_HOURS",
    "NOT_ON_ROSTER",
    "TRANSITIONS",
    "UNAVAILABLE",
    "application_accept",
    "application_cancel",
    "application_create_draft",
    "application_flag_at_risk",
    "application_get",
    "application_submit",
    "application_transition",
    "application_worker_add",
    "application_worker_remove",
    "application_worker_replace",
    "application_workers_add_from_roster",
    "application_workers_upload",
    "case_late_task_sync",
    "core_permit",
    "department_task_complete",
    "draft_ttl",
    "drafts_expire",
    "keys_file_text",
    "permit_draft",
    "permit_fill",
    "permit_get",
    "permit_pdf",
    "permit_revoke",
    "permit_sign",
    "permit_store",
    "permit_verify",
    "revocation_list_publish",
    "signed_permit",
    "verify_url",
]
