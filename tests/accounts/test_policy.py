"""The permission policy itself: system actors act only on their grants, bare strings are no
actors, and a refusal is a 404 outside the actor's scope or a 403 inside it, audited either way."""

from __future__ import annotations

import pytest

from homeward.apps.accounts.policy import ACTIONS, SystemActor, authorize, authorized, scoped
from homeward.apps.audit.models import AuditEvent
from homeward.apps.audit.services import audit_record
from homeward.apps.registry.models import Worker
from homeward.core.errors import NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def test_a_system_actor_may_do_only_what_it_is_granted():
    importer = SystemActor("nightly-import", frozenset({"import.run"}))
    authorize(importer, "import.run")
    with pytest.raises(PermissionDenied):
        authorize(importer, "plan.request")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.actor) == ("denied.plan.request", "nightly-import", None)


def test_a_bare_string_is_no_actor():
    """The old "cli"/"demo" strings skipped every check; now they are refused before anything is
    written, by the policy and by the audit log alike."""
    with pytest.raises(TypeError):
        authorize("cli", "import.run")
    with pytest.raises(TypeError):
        audit_record(actor="cli", action="import.roster")
    assert not AuditEvent.objects.exists()


def test_names_outside_the_table_are_programming_errors():
    with pytest.raises(ValueError):
        SystemActor("typo", frozenset({"import.runn"}))
    with pytest.raises(LookupError):
        authorize(SystemActor("cli", frozenset()), "no.such.action")


def test_every_action_is_someones():
    """No action in the table that no role may perform (system-only actions name the task force,
    which may always do what the system does), except those only a system actor with its own
    credential may perform (``machine_only``: the SMS gateway, whose messages speak for workers),
    which no role holds."""
    assert all(action.roles or action.machine_only for action in ACTIONS.values())
    machine = [name for name, action in ACTIONS.items() if action.machine_only]
    assert machine == ["letter.sms_inbound"]
    assert not any(ACTIONS[name].roles for name in machine)


def test_outside_its_scope_an_object_is_not_found_inside_it_refused(
    town_officer, workers_a, workers_b, enterprise_user
):
    """A town officer asking for another town's worker gets 404 (as for an id that does not
    exist); revealing its own town's worker is a 403. Both refusals are audited, nothing else."""
    with pytest.raises(NotFound):
        authorized(town_officer, "worker.reveal", Worker.objects.all(), workers_b[0].pk)
    with pytest.raises(NotFound):
        authorized(town_officer, "worker.reveal", Worker.objects.all(), 10**9)
    with pytest.raises(PermissionDenied):
        authorized(town_officer, "worker.reveal", Worker.objects.all(), workers_a[0].pk)
    reasons = list(
        AuditEvent.objects.filter(actor=town_officer).order_by("pk").values_list("action", "data__reason")
    )
    assert reasons == [("denied.worker.reveal", "not_found")] * 2 + [("denied.worker.reveal", "forbidden")]
    assert set(scoped(town_officer, Worker.objects.all())) == set(workers_a)
    assert set(scoped(enterprise_user, Worker.objects.all())) == set(workers_a)
