"""A case's tasks are worked until the workers arrive: the landing handover (落地对接) is done while
the bus is on the road (the application 接返途中 after dispatch), and shows on the case page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_landing_handover_is_completed_while_the_application_is_on_the_road(accepted, taskforce, client):
    from homeward.apps.applications import services
    from homeward.apps.applications.models import (
        ApplicationState,
        DepartmentTask,
        ReturnApplication,
        TaskKind,
    )

    ReturnApplication.objects.filter(pk=accepted.pk).update(state=ApplicationState.IN_TRANSIT)
    task = DepartmentTask.objects.get(case__application=accepted, kind=TaskKind.LANDING_HANDOVER)
    client.force_login(taskforce)
    page = client.get(f"/applications/{accepted.pk}/").content.decode()
    assert f'action="/tasks/{task.pk}/complete/"' in page
    done = services.department_task_complete(
        actor=taskforce, task_id=task.pk, data={"reception_point": "余姚北站", "contact": "李"}
    )
    assert done.state == DepartmentTask.State.DONE
