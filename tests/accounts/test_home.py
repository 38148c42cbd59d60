"""The workbench each role lands on after signing in."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_workers_account_lands_on_the_way_to_its_trip_not_a_board_of_zeros(client, worker_user, home_city):
    client.force_login(worker_user)
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="worker-signin"' in page and 'action="/w/"' in page  # short code + ID last four
    assert "data-count=" not in page  # no headline figures


def test_other_roles_keep_their_workbench(client, enterprise_user, taskforce, home_city):
    for user in (enterprise_user, taskforce):
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 200, user
        assert "accounts/home.html" in [t.name for t in response.templates]
