"""Queues that scale: the application list and the departments' task queues with true totals,
pages, search (application number, enterprise, plate), filters (state, due soon), the 30-hour clock
order and the policy's scope; tasks completed from the case page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tests.applications.conftest import TRANSPORT_DATA, task_of

pytestmark = pytest.mark.django_db


def many_accepted(enterprise, n, *, first_deadline_h=1):
    """``n`` accepted applications of ``enterprise``, each with a case and one open task per
    department, deadlines ``first_deadline_h``, +1 h, +2 h, … from now, created in the reverse order
    (the last created has the soonest deadline). Returns them soonest deadline first."""
    from django.utils import timezone

    from homeward.apps.applications.models import Case, DepartmentTask, ReturnApplication
    from homeward.apps.applications.services import CASE_TASKS

    now = timezone.now()
    apps = ReturnApplication.objects.bulk_create(
        [
            ReturnApplication(
                enterprise=enterprise,
                state="accepted",
                submitted_at=now,
                accepted_at=now - timedelta(hours=1),
                deadline_at=now + timedelta(hours=first_deadline_h + i),
            )  # fmt: skip
            for i in reversed(range(n))
        ]
    )
    cases = Case.objects.bulk_create([Case(application=a) for a in apps])
    DepartmentTask.objects.bulk_create(
        [
            DepartmentTask(case=c, department=d, kind=k, data={"passengers": 1})
            for c in cases
            for d, k in CASE_TASKS
        ]
    )
    return sorted(apps, key=lambda a: a.deadline_at)


def _tasks(actor, **kw):
    from homeward.apps.applications import queues

    return queues.task_search(actor=actor, filters=queues.Filters(**kw))


def _apps(actor, **kw):
    from homeward.apps.applications import queues

    return queues.application_search(actor=actor, filters=queues.Filters(**kw))


# ------------------------------------------------------------------------------------ totals, pages


def test_the_queue_counts_every_task_and_pages_them_soonest_deadline_first(transport_officer, enterprise_a):
    from homeward.apps.applications import queues

    apps = many_accepted(enterprise_a, 120)
    qs = _tasks(transport_officer, state="open")
    pages = [queues.page_of(qs, n) for n in (1, 2, 3)]
    assert pages[0].paginator.count == 120  # the true total, not a cap
    assert [len(p.object_list) for p in pages] == [50, 50, 20]
    seen = [t.case.application_id for p in pages for t in p.object_list]
    assert seen == [a.pk for a in apps]  # the 30-hour clock: soonest deadline first, no gaps
    assert {t.kind for p in pages for t in p.object_list} == {"vehicle_route_pass"}
    # a page past the end is the last page, garbage is the first
    assert queues.page_of(qs, 99).number == 3 and queues.page_of(qs, "x").number == 1


def test_newest_accepted_first_on_request(transport_officer, enterprise_a, accepted):
    """A just-accepted application has the latest deadline: last by the clock, first by ``new``."""
    many_accepted(enterprise_a, 20)  # deadlines within 21 hours: before the new one's 30
    by_clock = list(_tasks(transport_officer, state="open"))
    by_new = list(_tasks(transport_officer, state="open", sort="new"))
    assert by_clock[-1].case.application_id == accepted.pk
    assert by_new[0].case.application_id == accepted.pk


def test_the_application_list_counts_everything_and_puts_a_just_submitted_one_first(
    enterprise_user, enterprise_a, submitted, taskforce
):
    from homeward.apps.applications import queues

    many_accepted(enterprise_a, 260)  # more than the old cap of 200
    for actor in (enterprise_user, taskforce):
        page = queues.application_page(actor=actor, filters=queues.Filters(), number=1)
        assert page.paginator.count == 261
        assert page.object_list[0].pk == submitted.pk  # awaiting acceptance: the clock starts then
        assert page.object_list[0].worker_count == 3
        running = [a.deadline_at for a in page.object_list[1:]]
        assert running == sorted(running)  # then the running clocks, soonest first


def test_the_clock_order_of_the_application_list(enterprise_user, enterprise_a, draft):
    from homeward.apps.applications.models import ReturnApplication

    late, soon = many_accepted(enterprise_a, 2)[::-1]
    done = ReturnApplication.objects.create(enterprise=enterprise_a, state="completed")
    waiting = ReturnApplication.objects.create(enterprise=enterprise_a, state="submitted")
    assert [a.pk for a in _apps(enterprise_user)] == [waiting.pk, soon.pk, late.pk, draft.pk, done.pk]


# ------------------------------------------------------------------------------------------ search


def test_it_finds_an_application_by_number_enterprise_or_plate(
    transport_officer, enterprise_a, enterprise_b, accepted, taskforce
):
    from homeward.apps.applications import services

    many_accepted(enterprise_a, 30)
    others = many_accepted(enterprise_b, 3)
    assert [t.case.application_id for t in _tasks(transport_officer, state="open", q=str(accepted.pk))] == [
        accepted.pk
    ]
    assert [a.pk for a in _apps(taskforce, q=f"#{accepted.pk}")] == [accepted.pk]
    by_name = _tasks(transport_officer, state="open", q="乙轴承")
    assert sorted(t.case.application_id for t in by_name) == sorted(a.pk for a in others)
    # the road pass drafted when transport completes its task carries the plate
    services.department_task_complete(
        actor=transport_officer, task_id=task_of(accepted, "vehicle_route_pass").pk, data=TRANSPORT_DATA
    )
    assert [a.pk for a in _apps(taskforce, q="D1234")] == [accepted.pk]
    assert [t.case.application_id for t in _tasks(transport_officer, state="done", q="贵F")] == [accepted.pk]
    assert not _apps(taskforce, q="no such plate").exists()


def test_the_application_whose_number_was_typed_comes_first(transport_officer, taskforce, enterprise_a):
    """A number also matches plates and names that contain it (found on the city demo: #12 was on
    page 2 behind applications whose buses' plates hold 12): the application with that number is
    first in every order, the others after it."""
    from homeward.apps.registry.models import Enterprise

    apps = many_accepted(enterprise_a, 4)
    wanted = apps[-1]  # the latest deadline: last in clock order
    Enterprise.objects.filter(pk=enterprise_a.pk).update(name=f"慈溪{wanted.pk}号厂")  # all match by name
    for kw in ({"state": "open"}, {"state": "open", "sort": "new"}):
        found = [t.case.application_id for t in _tasks(transport_officer, q=str(wanted.pk), **kw)]
        assert found[0] == wanted.pk and sorted(found) == sorted(a.pk for a in apps), found
    listed = [a.pk for a in _apps(taskforce, q=str(wanted.pk))]
    assert listed[0] == wanted.pk and len(listed) == 4


def test_it_finds_an_application_by_the_plate_of_the_plan_bus_its_workers_ride(taskforce, accepted):
    from django.utils import timezone

    from homeward.apps.planning.models import PlanRun, PlanSeat, PlanVehicle

    now = timezone.now()
    run = PlanRun.objects.create(state="done", finished_at=now)
    bus = PlanVehicle.objects.create(
        run=run, key="b1", kind="bus", name="浙B·90017", seats=55, seat_cap=27, passengers=1,
        departs=now, arrives=now + timedelta(hours=20),
    )  # fmt: skip
    row = accepted.workers.filter(active=True).first()
    PlanSeat.objects.create(
        run=run,
        vehicle=bus,
        seat="1A",
        worker=row,
        application=accepted,
        enterprise_id=accepted.enterprise_id,
    )
    assert [a.pk for a in _apps(taskforce, q="90017")] == [accepted.pk]
    assert [t.case.application_id for t in _tasks(taskforce, state="open", q="浙B·9001")][:1] == [accepted.pk]
    # a newer plan without that bus: the old plate no longer finds the application
    PlanRun.objects.create(state="done", finished_at=now + timedelta(minutes=1))
    assert not _apps(taskforce, q="90017").exists()


# ----------------------------------------------------------------------------------------- filters


def test_it_filters_by_due_soon_overdue_and_at_risk(taskforce, enterprise_a, health_officer):
    from homeward.apps.applications.models import ReturnApplication

    soon, mid, _far = many_accepted(enterprise_a, 3, first_deadline_h=2)[:1] + many_accepted(
        enterprise_a, 2, first_deadline_h=20
    )
    late = many_accepted(enterprise_a, 1, first_deadline_h=-3)[0]
    ReturnApplication.objects.filter(pk=mid.pk).update(at_risk=True)
    # 6 hours ahead: the ones due in 2, 3 and 4 hours, and the overdue one
    assert {a.pk for a in _apps(taskforce, due="soon")} >= {soon.pk, late.pk}
    assert mid.pk not in {a.pk for a in _apps(taskforce, due="soon")}
    assert [a.pk for a in _apps(taskforce, due="overdue")] == [late.pk]
    assert [a.pk for a in _apps(taskforce, due="at_risk")] == [mid.pk]
    assert [t.case.application_id for t in _tasks(health_officer, state="open", due="overdue")] == [late.pk]
    # a filter by state and the due filter together
    assert not _apps(taskforce, state="submitted", due="soon").exists()
    # an unknown due value is no filter at all (dropped by Filters.of)
    from homeward.apps.applications import queues

    assert queues.Filters.of({"due": "tomorrow"}).due == ""


# ------------------------------------------------------------------------------------------- scope


def test_a_department_sees_only_its_own_tasks_and_an_enterprise_only_its_own_applications(
    health_officer, transport_officer, enterprise_user, other_enterprise_user, enterprise_a, enterprise_b
):
    a = many_accepted(enterprise_a, 5)
    b = many_accepted(enterprise_b, 4)
    assert {t.kind for t in _tasks(health_officer, state="open")} == {"escort_kit_checks"}
    assert _tasks(health_officer, state="open").count() == 9
    assert {a_.pk for a_ in _apps(enterprise_user)} == {x.pk for x in a}
    assert {a_.pk for a_ in _apps(other_enterprise_user)} == {x.pk for x in b}
    # searching for the other enterprise finds nothing, its number neither
    assert not _apps(enterprise_user, q=enterprise_b.name).exists()
    assert not _apps(enterprise_user, q=str(b[0].pk)).exists()


def test_an_enterprise_has_no_task_queue(enterprise_user):
    from homeward.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        _tasks(enterprise_user, state="open")


# -------------------------------------------------------------------------------------------- pages


def test_the_queue_page_shows_the_total_pages_and_searches(client, transport_officer, enterprise_a, accepted):
    many_accepted(enterprise_a, 70)
    client.force_login(transport_officer)
    response = client.get(reverse("applications:tasks"))
    assert response.context["total"] == 71 and len(response.context["tasks"]) == 50
    assert 'data-testid="pager"' in response.content.decode()
    response = client.get(reverse("applications:tasks"), {"q": str(accepted.pk)})
    assert [r["task"].case.application_id for r in response.context["tasks"]] == [accepted.pk]
    page2 = client.get(reverse("applications:tasks"), {"page": "2"})
    assert len(page2.context["tasks"]) == 21


def test_the_queue_page_takes_a_bounded_number_of_queries(
    client, transport_officer, enterprise_a, django_assert_max_num_queries
):
    many_accepted(enterprise_a, 200)
    client.force_login(transport_officer)
    # session and user, the page's count and rows, permits to sign, the stations: not one per task
    with django_assert_max_num_queries(12):
        response = client.get(reverse("applications:tasks"))
    assert response.status_code == 200 and len(response.context["tasks"]) == 50


def test_the_application_list_page_takes_a_bounded_number_of_queries(
    client, taskforce, enterprise_a, django_assert_max_num_queries
):
    many_accepted(enterprise_a, 200)
    client.force_login(taskforce)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("applications:list"))
    assert response.context["total"] == 200 and len(response.context["rows"]) == 50


def test_the_api_pages_and_searches_the_queue(client, transport_officer, enterprise_a, accepted):
    many_accepted(enterprise_a, 30)
    client.force_login(transport_officer)
    body = client.get("/api/v1/tasks", {"q": f"#{accepted.pk}"}).json()
    assert body["count"] == 1 and body["items"][0]["application_id"] == accepted.pk
    body = client.get("/api/v1/tasks", {"limit": 10}).json()
    assert body["count"] == 31 and len(body["items"]) == 10


def test_the_api_lists_applications_in_clock_order_with_filters(client, taskforce, enterprise_a, submitted):
    many_accepted(enterprise_a, 5)
    client.force_login(taskforce)
    body = client.get("/api/v1/applications").json()
    assert body["count"] == 6 and body["items"][0]["id"] == submitted.pk
    assert body["items"][0]["worker_count"] == 3
    assert client.get("/api/v1/applications", {"due": "soon"}).json()["count"] == 5


# ----------------------------------------------------------------------------------- the case page


def test_the_case_page_offers_the_actors_own_open_tasks(client, health_officer, transport_officer, accepted):
    url = reverse("applications:detail", args=[accepted.pk])
    client.force_login(health_officer)
    assert [t.kind for t in client.get(url).context["task_forms"]] == ["escort_kit_checks"]
    client.force_login(transport_officer)
    html = client.get(url).content.decode()
    assert 'data-task="vehicle_route_pass"' in html and 'data-task="escort_kit_checks"' not in html


def test_the_enterprise_gets_no_task_form_on_its_case(client, enterprise_user, accepted):
    client.force_login(enterprise_user)
    response = client.get(reverse("applications:detail", args=[accepted.pk]))
    assert response.context["task_forms"] == [] and "data-task=" not in response.content.decode()


def test_a_task_completed_from_the_case_page_goes_back_to_the_case(client, transport_officer, accepted):
    from homeward.apps.audit.models import AuditEvent

    url = reverse("applications:detail", args=[accepted.pk])
    task = task_of(accepted, "vehicle_route_pass")
    client.force_login(transport_officer)
    form = {k: ("\n".join(v) if isinstance(v, list) else v) for k, v in TRANSPORT_DATA.items()}
    response = client.post(reverse("applications:task-complete", args=[task.pk]), {**form, "next": url})
    assert response.status_code == 302 and response["Location"] == url
    task.refresh_from_db()
    assert task.state == "done" and task.data["vehicles"][0]["plate"] == "贵F·D1234"
    assert AuditEvent.objects.filter(action="task.complete", object_id=str(task.pk)).exists()
    assert client.get(url).context["task_forms"] == []


def test_the_queue_and_list_speak_english(client, transport_officer, taskforce, enterprise_a):
    many_accepted(enterprise_a, 60)
    client.cookies["django_language"] = "en"
    client.force_login(transport_officer)
    html = client.get(reverse("applications:tasks")).content.decode()
    assert "Soonest deadline first" in html and "Application no., enterprise or plate" in html
    assert "Page 1 of 2" in html and "Any deadline" in html
    client.force_login(taskforce)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("applications:list")).content.decode()
    assert "60 applications" in html and "Due within 6 hours" in html


def test_search_text_is_trimmed_cut_and_free_of_nul(taskforce, accepted):
    from homeward.apps.applications import queues

    f = queues.Filters.of({"q": f"  #{accepted.pk}\x00 ", "due": "soon", "sort": "sideways"})
    assert f.q == f"#{accepted.pk}" and f.due == "soon" and f.sort == "deadline"
    assert len(queues.Filters.of({"q": "浙" * 500}).q) == queues.MAX_QUERY
    assert [a.pk for a in _apps(taskforce, q=f.q)] == [accepted.pk]
