"""On the small demo city (its demo applications and a campaign day of accepted ones) in Debian's
Chromium: the health department finds a just-accepted application's task by searching its number,
completes it from the queue, and the enterprise finds the application in "全部状态"."""

from __future__ import annotations

import pytest

from tests.applications.conftest import complete_health_task_by_search

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_demo(transactional_db, settings, tmp_path):
    from homeward.demo.campaign import campaign_ensure
    from homeward.demo.generate import generate_city
    from homeward.demo.load import PASSWORD, USERNAME_PREFIX, load_city

    settings.MEDIA_ROOT = str(tmp_path / "media")
    load_city(generate_city("small", 1))
    campaign_ensure(scale="small", seed=1)
    return USERNAME_PREFIX, PASSWORD


def _new_application(prefix):
    """A new application of the demo enterprise with some of its away workers, submitted and
    accepted by the task force (as the services do it)."""
    from django.contrib.auth.models import User

    from homeward.apps.applications import services
    from homeward.apps.applications.models import ApplicationWorker
    from homeward.apps.registry.models import Worker

    ent = User.objects.get(username=prefix + "enterprise")
    taskforce = User.objects.get(username=prefix + "taskforce")
    held = ApplicationWorker.objects.filter(active=True, live=True).values("id_number")
    free = (
        Worker.objects.filter(employer_id=ent.profile.enterprise_id, status=Worker.Status.AWAY)
        .exclude(id_number__in=held)
        .order_by("pk")
        .values_list("pk", flat=True)[:20]
    )
    app = services.application_create_draft(actor=ent, notes="queue test")
    report = services.application_workers_add_from_roster(
        actor=ent, application_id=app.pk, worker_ids=list(free)
    )
    assert report["accepted"] >= 1, report
    services.application_submit(actor=ent, application_id=app.pk, idempotency_key="queue-browser")
    return app, ent, taskforce


def test_a_department_finds_a_new_applications_task_by_search_and_completes_it(page, login, small_demo):
    from homeward.apps.applications import services
    from homeward.apps.applications.models import DepartmentTask, ReturnApplication

    prefix, password = small_demo
    app, _ent, taskforce = _new_application(prefix)

    # the enterprise sees its just-submitted application under "全部状态", first
    login(prefix + "enterprise", password)
    page.goto("/applications/")
    first = page.get_by_test_id("application-table").locator("tbody tr").first
    assert f"#{app.pk}" in first.inner_text()

    services.application_accept(actor=taskforce, application_id=app.pk)
    open_health = DepartmentTask.objects.filter(department="health", state="open").count()
    assert open_health > 1  # the campaign's tasks are in the queue too

    page.context.clear_cookies()
    login(prefix + "health", password)
    page.goto("/tasks/")
    assert page.get_by_test_id("task-total").inner_text().replace(",", "") == str(open_health)
    complete_health_task_by_search(page, app.pk, escort="王医生 (市人民医院)", kit="医用口罩*100\n额温枪*2")
    task = DepartmentTask.objects.get(case__application=app, kind="escort_kit_checks")
    assert task.state == "done" and task.data["kit"][0] == {"name": "医用口罩", "quantity": 100}
    assert ReturnApplication.objects.get(pk=app.pk).state == "accepted"
