"""The demo applications: every state, an open case, issued permits that verify."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_loads_applications_in_every_state(
    taskforce, town_officer, hr_officer, health_officer, transport_officer, enterprise_a, enterprise_user
):
    from homeward.apps.applications import services
    from homeward.apps.applications.models import Case, Permit
    from homeward.demo.applications import demo_applications_load
    from tests.factories import WorkerFactory

    WorkerFactory.create_batch(120, employer=enterprise_a)
    enterprise_a.is_key = True
    enterprise_a.save()
    counts = demo_applications_load(seed=3)
    assert set(counts) == {
        "draft",
        "submitted",
        "accepted",
        "planned",
        "in_transit",
        "completed",
        "cancelled",
    }
    assert Case.objects.filter(state="open").exists()
    issued = Permit.objects.filter(state="issued")
    assert issued.count() >= 8
    assert all(services.permit_verify(p.token).valid for p in issued)
    assert Permit.objects.filter(state="drafted").exists()
